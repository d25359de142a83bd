package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.api.v1alpha1.MigrationOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Unit tier: which transport a spec asks for, and which destination URIs any transport may open. */
class MigrationTransportTest {

    @Test
    void tlsUnlessTurnedOffPeerToPeerAndUnsafeOnlyWhenTurnedOn() {
        assertThat(MigrationTransport.of(null)).isEqualTo(MigrationTransport.DEFAULT);
        assertThat(MigrationTransport.of(new MigrationOptions())).isEqualTo(new MigrationTransport(true, false, false));
        MigrationOptions o = new MigrationOptions();
        o.tls = false;
        o.peerToPeer = true;
        o.unsafe = true;
        assertThat(MigrationTransport.of(o)).isEqualTo(new MigrationTransport(false, true, true));
        o.tls = true;
        o.peerToPeer = false;
        o.unsafe = false;
        assertThat(MigrationTransport.of(o)).isEqualTo(MigrationTransport.DEFAULT);
    }

    @Test
    void onlyPlainLibvirtUrisOfTheDocumentedFormAreAccepted() {
        for (String ok : List.of("qemu+tls://hv2/system", "qemu+tls://hv2.example.com:16514/system",
                "qemu+tcp://10.231.0.2/system", "qemu+ssh://root@hv2/system", "qemu+tls://[fd00::2]/system")) {
            assertThat(MigrationTransport.uriProblem(ok)).as(ok).isEmpty();
        }
        for (String bad : List.of("", "qemu:///system", "qemu+unix:///system?socket=/tmp/s", "test:///default",
                "qemu+ext:///system?command=/bin/sh", "qemu+ssh://hv2/system?netcat=/x", "qemu+ssh://hv2/system?command=x",
                "qemu+tls://hv2/system?no_verify=1", "qemu+tls://hv2/system?pkipath=/tmp", "qemu+tls://hv2/session",
                "qemu+tls://hv 2/system", "qemu+tls://hv2/system;reboot", "qemu+tls://$(reboot)/system",
                "qemu+tls://`id`/system", "qemu+tls://-oProxyCommand=x/system", "qemu+ssh://-oProxyCommand=x@hv2/system",
                "qemu+tls://hv2/system\n", "qemu+tls://hv2/system#x", "qemu+tls://<hv2>/system", "xen+tls://hv2/system")) {
            assertThat(MigrationTransport.uriProblem(bad)).as(bad).isPresent();
            assertThat(MigrationTransport.problem(bad, new MigrationTransport(false, true, true))).as(bad).isPresent();
        }
        assertThat(MigrationTransport.uriProblem(null)).isPresent();
    }

    @Test
    void tlsNeedsAQemuTlsDestinationAndSaysHowToProceed() {
        assertThat(MigrationTransport.problem("qemu+tls://hv2/system", MigrationTransport.DEFAULT)).isEmpty();
        assertThat(MigrationTransport.problem("qemu+tcp://hv2/system", MigrationTransport.DEFAULT)).hasValueSatisfying(p ->
                assertThat(p).contains("qemu+tcp://hv2/system", "sriovlm.agent.migration-uri", "spec.options.tls: false"));
        assertThat(MigrationTransport.problem("qemu+ssh://hv2/system", MigrationTransport.DEFAULT)).isPresent();
        assertThat(MigrationTransport.problem("qemu+tcp://hv2/system", new MigrationTransport(false, false, false))).isEmpty();
    }
}
