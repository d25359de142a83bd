package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.common.Conditions;
import io.sriovlm.testing.host.FakeNicNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Optional;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: two VMs with one teaming MAC (a copied domain XML, the duplicate-MAC reports of sriov-cni) are
 * reported on the pool and each one's migration is refused naming the other; nothing on the hosts is touched.
 */
@Tag("sandbox")
class DuplicateMacSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(200));

    @Test
    void twoVmsWithOneTeamingMacAreReportedAndNeitherIsMoved() throws Exception {
        Sandbox sandbox = world.sandbox();
        KubernetesClient client = world.client();
        String mac = TeamingXml.inspect(sandbox.host("hv1").domain("vm-01").orElseThrow().xml()).toSummary().mac;
        assertThat(macsUnique(client)).as("the default world's VMs each have their own MAC")
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo(Conditions.TRUE));

        sandbox.host("hv2").define(Sandbox.teamedDomain("vm-04", 3, FakeNicNames.pciAddressOfVf(Sandbox.PF_PCI, 3), mac),
                true);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(macsUnique(client))
                .hasValueSatisfying(c -> {
                    assertThat(c.getStatus()).isEqualTo(Conditions.FALSE);
                    assertThat(c.getReason()).isEqualTo(Reasons.DUPLICATE_MAC);
                    assertThat(c.getMessage()).contains(mac.toLowerCase()).contains("VM vm-01 on hv1")
                            .contains("VM vm-04 on hv2");
                }));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.v1().events()
                .inNamespace("default").list().getItems()).as("an Event on the pool says it too")
                .anyMatch(e -> Reasons.DUPLICATE_MAC.equals(e.getReason())
                        && "VfPool".equals(e.getInvolvedObject().getKind())));

        create(client, "dup-vm-01", "vm-01", "hv2");
        SriovMigration refused = awaitTerminal(client, "dup-vm-01", Duration.ofSeconds(15));
        assertThat(refused.getStatus().phase).isEqualTo(MigrationPhase.Failed);
        assertThat(refused.getStatus().failureReason).isEqualTo(Reasons.DUPLICATE_MAC);
        assertThat(refused.getStatus().message).contains("as does VM vm-04 on hv2");
        assertThat(TeamingXml.inspect(sandbox.host("hv1").domain("vm-01").orElseThrow().xml()).primaryAttached())
                .as("nothing on the source was touched").isTrue();

        sandbox.host("hv2").destroy("vm-04");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(macsUnique(client))
                .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo(Conditions.TRUE)));
    }

    private static Optional<Condition> macsUnique(KubernetesClient client) {
        VfPool pool = client.resources(VfPool.class).withName(Sandbox.POOL).get();
        return pool == null || pool.getStatus() == null ? Optional.empty()
                : Conditions.find(pool.getStatus().conditions, ConditionTypes.TEAMING_MACS_UNIQUE);
    }
}
