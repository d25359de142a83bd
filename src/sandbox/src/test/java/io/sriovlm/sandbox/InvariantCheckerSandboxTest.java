package io.sriovlm.sandbox;

import io.sriovlm.agent.libvirt.TeamingXml;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Sandbox tier: the invariant checker sees a sound world as sound and names each broken invariant. */
@Tag("sandbox")
class InvariantCheckerSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(100));
    InvariantChecker checker;

    @BeforeEach
    void checker() {
        checker = new InvariantChecker(world.sandbox(), Duration.ofSeconds(5));
    }

    @Test
    void theDefaultWorldIsSound() {
        assertThat(checker.violations()).isEmpty();
    }

    @Test
    void aBondThatDoesNotFollowTheVfIsNamed() {
        world.sandbox().sysfs("hv1").forceActiveSlave("bond0", "en6s0f0pf0sf0");
        assertThat(checker.violations()).singleElement().asString()
                .contains("VM vm-01 on hv1").contains("bond bond0 is on en6s0f0pf0sf0, not ens2_0");
    }

    @Test
    void aVmRunningOnTwoNodesIsNamed() throws Exception {
        // A second copy of vm-03 on hv1, on its standby path only (libvirt, like the simulator, refuses a VF twice).
        String mac = "52:54:00:53:53:02";
        world.sandbox().host("hv1").define("<domain type='kvm'><name>vm-03</name><uuid>" + java.util.UUID.randomUUID()
                + "</uuid><memory unit='KiB'>262144</memory><devices>"
                + TeamingXml.standbyInterface(mac, "ua-net2", "meth2", true) + "</devices></domain>", true);
        assertThat(checker.violations()).singleElement().asString().contains("VM vm-03 runs on 2 nodes [hv1, hv2]");
    }
}
