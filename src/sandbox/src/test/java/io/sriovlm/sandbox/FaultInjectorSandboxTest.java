package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.sandbox.faults.Fault;
import io.sriovlm.sandbox.faults.FaultTarget;
import io.sriovlm.sandbox.faults.Injection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Sandbox tier: the fault injector's mechanisms do what they say, each on its own. */
@Tag("sandbox")
class FaultInjectorSandboxTest {
    private Sandbox sandbox;

    private Sandbox start(boolean leaderElection) throws Exception {
        Path work = Files.createTempDirectory("sriovlm-faults");
        sandbox = Sandbox.start(Sandbox.Options.defaults(work).withCopyTime(Duration.ofMillis(100))
                .withLeaderElection(leaderElection), new SimpleMeterRegistry());
        SandboxFixture.awaitReady(sandbox.client());
        return sandbox;
    }

    @AfterEach
    void close() {
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void aStolenLeaseStopsTheLeaderAndANewReplicaLeadsAndMigrates() throws Exception {
        start(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.leaseHolder()
                .filter(h -> h.equals(sandbox.operatorIdentity())).isPresent());
        String first = sandbox.operatorIdentity();
        sandbox.stealLeadership("intruder", Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.leadershipLosses() == 1);
        assertThat(sandbox.operatorIdentity()).isNotEqualTo(first);
        await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.leaseHolder()
                .filter(h -> h.equals(sandbox.operatorIdentity())).isPresent());
        create(sandbox.client(), "m", "vm-01", "hv2");
        SriovMigration m = awaitTerminal(sandbox.client(), "m", Duration.ofSeconds(20));
        assertThat(m.getStatus().phase).as(m.getStatus().message).isEqualTo(MigrationPhase.Succeeded);
    }

    @Test
    void apiRulesFailTheirCountThenServe() throws Exception {
        start(false);
        var pools = sandbox.client().resources(io.sriovlm.api.v1alpha1.VfPool.class).withName(Sandbox.POOL);
        // fabric8 retries a 5xx answer: one injected 500 is absorbed by the client, and counted here
        sandbox.api().faults().add(ApiFaults.Rule.times("get", "vfpools", null, 500, 1));
        assertThat(pools.get()).isNotNull();
        assertThat(sandbox.api().faults().injected()).isEqualTo(1);
        // a 409 is not retried: the caller sees it, once
        sandbox.api().faults().add(ApiFaults.Rule.times("patch", "vfpools", null, 409, 1));
        assertThatThrownBy(() -> pools.edit(p -> p)).isInstanceOf(KubernetesClientException.class)
                .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));
        assertThat(sandbox.api().faults().injected()).isEqualTo(2);
        assertThat(pools.get()).isNotNull();
    }

    @Test
    void droppedWatchesAreReopenedByTheInformers() throws Exception {
        start(false);
        int open = sandbox.api().faults().openWatches("sriovmigrations");
        assertThat(open).isPositive();
        assertThat(sandbox.api().faults().dropWatches("sriovmigrations")).isEqualTo(open);
        await().atMost(Duration.ofSeconds(15)).until(() -> sandbox.api().faults().openWatches("sriovmigrations") >= open);
        create(sandbox.client(), "m", "vm-01", "hv2");
        assertThat(awaitTerminal(sandbox.client(), "m", Duration.ofSeconds(20)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
    }

    @Test
    void anIgnoredBondWriteIsSeenByTheReadBack() throws Exception {
        start(false);
        FaultTarget t = new FaultTarget("default", "m", "vm-01", "hv1", "hv2", MigrationPhase.SwitchingToStandby, 1);
        Injection i = Fault.BOND_WRITE_IGNORED.inject(sandbox, t);
        assertThatThrownBy(() -> sandbox.sysfs("hv1").hostNetwork().setActiveSlave("bond0", "en6s0f0pf0sf0"))
                .hasMessageContaining("read back 'ens2_0'");
        i.heal();
        sandbox.sysfs("hv1").hostNetwork().setActiveSlave("bond0", "ens2_0");
        assertThat(sandbox.sysfs("hv1").kernel().ignoredBondWritesLeft()).isZero();
    }

    @Test
    void aNodeNotReadySaysSoOnTheNodeAndStopsItsAgent() throws Exception {
        start(false);
        FaultTarget t = new FaultTarget("default", "m", "vm-01", "hv1", "hv2", MigrationPhase.Preparing, 1);
        Injection i = Fault.NODE_NOT_READY.inject(sandbox, t);
        await().atMost(Duration.ofSeconds(10)).until(() -> sandbox.client().nodes().withName("hv2").get().getStatus()
                .getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && !"True".equals(c.getStatus())));
        i.heal();
        assertThat(sandbox.client().nodes().withName("hv2").get().getStatus().getConditions())
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
        assertThat(Fault.applicableAt(MigrationPhase.Pending)).doesNotContain(Fault.DETACH_REFUSED)
                .contains(Fault.NODE_NOT_READY, Fault.API_CONFLICT);
    }
}
