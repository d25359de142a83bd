package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HeartbeatLeases;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.OperatorConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: an agent whose host did not change renews its heartbeat Lease instead of rewriting its HypervisorNic
 * status, and the operator judges it alive by either (docs/decisions/023-heartbeat-leases.md).
 */
@Tag("sandbox")
class HeartbeatLeaseSandboxTest {
    private static final Duration STALE_AFTER = Duration.ofSeconds(3);

    @RegisterExtension
    static final SandboxExtension world = SandboxExtension.perClass(Duration.ofMillis(200))
            .withOptions(o -> o.withHeartbeat(Duration.ofMillis(200))
                    .withOperatorConfig(new OperatorConfig(5, 2, 2, STALE_AFTER)));

    @Test
    void aQuietHostRenewsItsLeaseAndLeavesItsStatusAlone() throws InterruptedException {
        KubernetesClient client = world.client();
        await().atMost(Duration.ofSeconds(20)).until(() -> ready(nic(client, "hv1")).isPresent()
                && lease(client, "hv1") != null);
        HypervisorNic before = nic(client, "hv1");
        Lease first = lease(client, "hv1");
        assertThat(first.getMetadata().getLabels()).containsEntry(Labels.NODE, "hv1");
        assertThat(first.getSpec().getHolderIdentity()).isEqualTo("hv1");

        Thread.sleep(1_500); // seven heartbeats
        Lease later = lease(client, "hv1");
        assertThat(later.getSpec().getRenewTime()).isAfter(first.getSpec().getRenewTime());
        assertThat(later.getMetadata().getAnnotations())
                .as("the renewal names the status it found current")
                .containsEntry(HeartbeatLeases.VOUCHES_FOR, before.getStatus().heartbeatTime);
        assertThat(nic(client, "hv1").getMetadata().getResourceVersion())
                .as("no status write while the host did not change")
                .isEqualTo(before.getMetadata().getResourceVersion());
    }

    @Test
    void aSilentAgentTurnsItsNicNotReadyAndItsLeaseAloneBringsItBack() {
        KubernetesClient client = world.client();
        Sandbox sandbox = world.sandbox();
        await().atMost(Duration.ofSeconds(20)).until(() -> ready(nic(client, "hv2"))
                .filter(c -> Conditions.TRUE.equals(c.getStatus())).isPresent());
        String reportedAt = nic(client, "hv2").getStatus().heartbeatTime;

        sandbox.stopAgent("hv2");
        Instant stopped = Instant.now();
        await().atMost(STALE_AFTER.plusSeconds(10)).until(() -> ready(nic(client, "hv2"))
                .filter(c -> Reasons.HEARTBEAT_STALE.equals(c.getReason())).isPresent());
        assertThat(Duration.between(stopped, Instant.now())).as("not before the Lease went stale")
                .isGreaterThanOrEqualTo(STALE_AFTER.minusMillis(400));
        assertThat(ready(nic(client, "hv2")).orElseThrow().getMessage())
                .contains("the node agent on hv2 last reported at").contains("Lease sriovlm-agent-hv2");

        sandbox.resumeAgent("hv2");
        await().atMost(Duration.ofSeconds(15)).until(() -> ready(nic(client, "hv2"))
                .filter(c -> Conditions.TRUE.equals(c.getStatus())).isPresent());
        assertThat(nic(client, "hv2").getStatus().heartbeatTime)
                .as("Ready again on the Lease's renewal: the unchanged host was not reported again")
                .isEqualTo(reportedAt);
    }

    @Test
    void aRenewalVouchingForAStatusTheOperatorHasNotSeenDoesNotBringTheAgentBack() throws InterruptedException {
        KubernetesClient client = world.client();
        Sandbox sandbox = world.sandbox();
        await().atMost(Duration.ofSeconds(20)).until(() -> ready(nic(client, "hv1"))
                .filter(c -> Conditions.TRUE.equals(c.getStatus())).isPresent() && lease(client, "hv1") != null);
        sandbox.stopAgent("hv1");
        try {
            await().atMost(STALE_AFTER.plusSeconds(10)).until(() -> ready(nic(client, "hv1"))
                    .filter(c -> Reasons.HEARTBEAT_STALE.equals(c.getReason())).isPresent());
            Instant reported = Timestamps.parse(nic(client, "hv1").getStatus().heartbeatTime);

            // As an agent whose newer status write is still on its way to the operator would renew.
            renew(client, "hv1", reported.plusSeconds(1));
            Thread.sleep(2_000); // ten operator resyncs of a 200 ms heartbeat
            assertThat(ready(nic(client, "hv1")).orElseThrow().getReason())
                    .as("a renewal of a status the operator does not hold dates nothing it holds")
                    .isEqualTo(Reasons.HEARTBEAT_STALE);

            renew(client, "hv1", reported);
            await().atMost(Duration.ofSeconds(15)).until(() -> ready(nic(client, "hv1"))
                    .filter(c -> Conditions.TRUE.equals(c.getStatus())).isPresent());
        } finally {
            sandbox.resumeAgent("hv1");
        }
    }

    private static void renew(KubernetesClient client, String node, Instant vouchesFor) {
        client.leases().inNamespace(Sandbox.OPERATOR_NAMESPACE).withName(HeartbeatLeases.nameFor(node))
                .edit(l -> new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder(l).editMetadata()
                        .addToAnnotations(HeartbeatLeases.VOUCHES_FOR, Timestamps.format(vouchesFor)).endMetadata()
                        .editSpec().withRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)).endSpec()
                        .build());
    }

    private static HypervisorNic nic(KubernetesClient client, String node) {
        return client.resources(HypervisorNic.class).withName(node + "-" + Sandbox.PF).get();
    }

    private static Lease lease(KubernetesClient client, String node) {
        return client.leases().inNamespace(Sandbox.OPERATOR_NAMESPACE).withName(HeartbeatLeases.nameFor(node)).get();
    }

    private static Optional<Condition> ready(HypervisorNic nic) {
        return nic == null || nic.getStatus() == null ? Optional.empty()
                : Conditions.find(nic.getStatus().conditions, ConditionTypes.READY);
    }
}
