package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.common.Conditions;
import io.sriovlm.operator.OperatorConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: the operator's NIC controller is handed the cached HypervisorNic itself, not JOSDK's copy
 * ({@code PrimaryCloner}), so it must change nothing in it. Driven through each of its writes (the node label put
 * back, NotReady on a silent agent, Ready again) and its periodic rechecks, the operator's cached NICs stay exactly
 * what the API server holds at that version.
 */
@Tag("sandbox")
class HypervisorNicReadOnlySandboxTest {
    private static final Duration STALE_AFTER = Duration.ofSeconds(2);

    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200))
            .withOptions(o -> o.withHeartbeat(Duration.ofMillis(200))
                    .withOperatorConfig(new OperatorConfig(5, 2, 2, STALE_AFTER)));

    @Test
    void theNicControllerLeavesTheCachedNicsAsTheApiServerHasThem() {
        KubernetesClient client = world.client();
        Sandbox sandbox = world.sandbox();
        await().atMost(Duration.ofSeconds(20)).until(() -> readyReason(nic(client, "hv2")).equals(Reasons.AGENT_REPORTING));

        client.resources(HypervisorNic.class).withName(name("hv2")).patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"labels\":{\"" + Labels.NODE + "\":null}}}");
        await().atMost(Duration.ofSeconds(10)).until(() -> "hv2".equals(nic(client, "hv2").getMetadata().getLabels()
                .get(Labels.NODE)));
        sandbox.stopAgent("hv2");
        try {
            await().atMost(STALE_AFTER.plusSeconds(10)).until(() -> readyReason(nic(client, "hv2"))
                    .equals(Reasons.HEARTBEAT_STALE));
        } finally {
            sandbox.resumeAgent("hv2");
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> readyReason(nic(client, "hv2")).equals(Reasons.AGENT_REPORTING));

        // Quiet now (renewals go to the Lease): each NIC is reconciled again at its recheck, on the cached object.
        Cache<HypervisorNic> cached = operatorsNicCache(sandbox);
        await().pollDelay(STALE_AFTER.plusSeconds(1)).atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (String node : new String[] { "hv1", "hv2" }) {
                HypervisorNic server = nic(client, node);
                HypervisorNic held = cached.get(new ResourceID(name(node))).orElseThrow();
                assertThat(held.getMetadata().getResourceVersion()).isEqualTo(server.getMetadata().getResourceVersion());
                assertThat(io.fabric8.kubernetes.client.utils.Serialization.asJson(held))
                        .as("the operator's cached NIC of %s", node)
                        .isEqualTo(io.fabric8.kubernetes.client.utils.Serialization.asJson(server));
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Cache<HypervisorNic> operatorsNicCache(Sandbox sandbox) {
        return (Cache<HypervisorNic>) sandbox.eventSourcesByController().get("sriovmigration").stream()
                .filter(s -> s.resourceType() == HypervisorNic.class && s instanceof Cache<?>)
                .findFirst().orElseThrow();
    }

    private static String name(String node) {
        return node + "-" + Sandbox.PF;
    }

    private static HypervisorNic nic(KubernetesClient client, String node) {
        return client.resources(HypervisorNic.class).withName(name(node)).get();
    }

    private static String readyReason(HypervisorNic nic) {
        Optional<Condition> ready = nic == null || nic.getStatus() == null ? Optional.empty()
                : Conditions.find(nic.getStatus().conditions, ConditionTypes.READY);
        return ready.map(Condition::getReason).orElse("");
    }
}
