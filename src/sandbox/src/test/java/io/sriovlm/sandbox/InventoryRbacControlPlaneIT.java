package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.VmInventory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Real-control-plane tier: an agent whose ClusterRole is older than its release (no rights on VmInventories, the
 * resource this release added) is refused by the real RBAC authorizer, says so in AgentReady (its NIC turns NotReady
 * with what to apply) and in a Warning Event, and recovers once the shipped role is applied again. The sandbox proves
 * the same with refusals its fault proxy injects; here the refusals are the API server's own.
 * <p>
 * Not in {@link RbacControlPlaneIT#TIER}: the denials are this class's point, and the shipped role is restored after
 * each test.
 */
@Tag("control-plane")
class InventoryRbacControlPlaneIT {
    static final String AGENT_ROLE = "sriovlm-agent";
    static ControlPlaneWorld world;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        world = ControlPlaneWorld.start(InventoryRbacControlPlaneIT.class, o -> o);
        client = world.client();
        SandboxFixture.awaitReady(client);
    }

    @AfterAll
    static void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void anAgentWithoutRightsOnVmInventoriesSaysWhatToApplyAndRecoversOnceTheRoleIsApplied() {
        String nic = "hv1-" + Sandbox.PF;
        List<PolicyRule> shipped = withoutRulesOn(r -> r.equals("vminventories") || r.equals("vminventories/status"));
        try {
            // A new agent: it has not read its inventory yet (the old one kept what it last wrote).
            world.sandbox().restartAgent("hv1");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(condition(nic, ConditionTypes.AGENT_READY)).satisfies(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getReason()).isEqualTo(Reasons.INVENTORY_NOT_WRITABLE);
                    assertThat(c.getMessage()).as("the API server's answer and what to apply").contains(
                            "agent of hv1", "VmInventory " + nic, "cannot get resource \"vminventories\"",
                            "crds/vminventories.sriovlm.io.yaml", "update on vminventories/status");
                });
                assertThat(condition(nic, ConditionTypes.READY)).satisfies(c -> {
                    assertThat(c.getStatus()).isEqualTo("False");
                    assertThat(c.getMessage()).contains("crds/vminventories.sriovlm.io.yaml");
                });
            });
            assertThat(SandboxFixture.warnings(client, nic, Reasons.INVENTORY_NOT_WRITABLE)).anySatisfy(e -> assertThat(
                    e.getMessage()).contains("cannot get resource \"vminventories\""));
        } finally {
            restore(shipped);
        }
        awaitReady(nic);
    }

    @Test
    void anAgentThatMayNotWriteItsInventorysStatusSaysSoUntilAWriteLands() {
        String nic = "hv2-" + Sandbox.PF;
        // The stored inventory misses a VM, so the agent must write it (read fresh at its restart below).
        VmInventory stored = client.resources(VmInventory.class).withName(nic).get();
        stored.getStatus().vms.clear();
        client.resource(stored).updateStatus();
        List<PolicyRule> shipped = withoutRulesOn("vminventories/status"::equals);
        try {
            world.sandbox().restartAgent("hv2");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                    condition(nic, ConditionTypes.AGENT_READY)).satisfies(c -> {
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getReason()).isEqualTo(Reasons.INVENTORY_NOT_WRITABLE);
                        assertThat(c.getMessage()).contains("may not write the status of VmInventory " + nic,
                                "cannot update resource \"vminventories/status\"", "update on vminventories/status");
                    }));
        } finally {
            restore(shipped);
        }
        awaitReady(nic);
        assertThat(client.resources(VmInventory.class).withName(nic).get().getStatus().vms)
                .as("the inventory written once allowed").isNotEmpty();
    }

    /** Takes the agent's ClusterRole back to an older release's: no rule on the resources {@code dropped} matches. */
    private static List<PolicyRule> withoutRulesOn(Predicate<String> dropped) {
        List<PolicyRule> shipped = client.rbac().clusterRoles().withName(AGENT_ROLE).get().getRules();
        assertThat(shipped).as("the shipped agent role grants what the test takes away")
                .anyMatch(r -> r.getResources().stream().anyMatch(dropped));
        client.rbac().clusterRoles().withName(AGENT_ROLE).edit(role -> {
            role.setRules(shipped.stream().filter(r -> r.getResources().stream().noneMatch(dropped)).toList());
            return role;
        });
        return shipped;
    }

    private static void restore(List<PolicyRule> shipped) {
        client.rbac().clusterRoles().withName(AGENT_ROLE).edit(role -> {
            role.setRules(shipped);
            return role;
        });
    }

    private static Condition condition(String nic, String type) {
        return client.resources(HypervisorNic.class).withName(nic).get().getStatus().conditions.stream()
                .filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    private static void awaitReady(String nic) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(condition(nic, ConditionTypes.AGENT_READY).getStatus()).isEqualTo("True");
            assertThat(condition(nic, ConditionTypes.READY).getStatus()).isEqualTo("True");
        });
    }
}
