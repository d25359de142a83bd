package io.sriovlm.status;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.operator.placement.TargetSelector;
import io.sriovlm.operator.reconciler.VfClaims;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.api.ApiFaults;
import io.sriovlm.sandbox.api.CrdLoader;
import io.sriovlm.sandbox.api.EmbeddedApiServer;
import io.sriovlm.statemachine.Transition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sandbox tier: the status writers against an API server. Phase changes use optimistic concurrency (a writer that
 * decided on a stale object loses), each writer reads its own writes before an informer shows them, and each writes
 * only the fields and phases its actor owns.
 */
@Tag("sandbox")
class StatusWritersSandboxTest {
    static EmbeddedApiServer api;
    static KubernetesClient client;
    static final Clock CLOCK = Clock.systemUTC();

    @BeforeAll
    static void start() {
        api = EmbeddedApiServer.start("127.0.0.1", 0, CrdLoader.fromClasspath(Sandbox.CRD_RESOURCES));
        client = api.client();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    static SriovMigration created(String name) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = "vm-01";
        return client.resource(m).create();
    }

    static MigrationStatusWriter operator(String name) {
        return MigrationStatusWriter.forOperator(client, new EventRecorder(client, name, CLOCK), CLOCK);
    }

    @Test
    void aStaleStatusWriteLosesToAConcurrentOneAndChangesNothing() {
        SriovMigration created = created("race");
        // Two operator replicas, as around a leadership handover, decide on the same version.
        MigrationStatusWriter leader = operator("op-1");
        MigrationStatusWriter former = operator("op-2");
        SriovMigration pending = leader.apply(created, Transition.to(MigrationPhase.Pending, "Accepted", "accepted"))
                .orElseThrow();

        var cancelled = leader.apply(pending, Transition.to(MigrationPhase.Cancelled, Reasons.CANCELLED, "cancel"));
        var stale = former.apply(pending, Transition.to(MigrationPhase.Scheduling, Reasons.ACCEPTED, "stale"));

        assertThat(cancelled).isPresent();
        assertThat(stale).as("the stale write is refused").isEmpty();
        SriovMigration stored = client.resources(SriovMigration.class).inNamespace("default").withName("race").get();
        assertThat(stored.getStatus().phase).isEqualTo(MigrationPhase.Cancelled);
        assertThat(stored.getStatus().phaseTimestamps).extracting(p -> p.phase)
                .containsExactly(MigrationPhase.Pending, MigrationPhase.Cancelled);
    }

    @Test
    void aWriterReadsItsOwnWriteUntilTheCacheShowsItOrALaterOne() {
        SriovMigration created = created("ryow");
        MigrationStatusWriter writer = operator("op");
        SriovMigration pending = writer.apply(created, Transition.to(MigrationPhase.Pending, "Accepted", "accepted"))
                .orElseThrow();

        assertThat(writer.freshest(created)).as("a cached copy older than our write").isSameAs(pending);
        assertThat(writer.isSuperseded(created)).isTrue();
        assertThat(operator("other").freshest(created)).as("another process knows nothing of it").isSameAs(created);

        SriovMigration later = client.resources(SriovMigration.class).inNamespace("default").withName("ryow").edit(m -> {
            m.getMetadata().setLabels(java.util.Map.of("touched", "yes"));
            return m;
        });
        assertThat(writer.freshest(later)).as("a later version than ours wins").isSameAs(later);
        assertThat(writer.freshest(created)).as("and our write is forgotten once seen").isSameAs(created);
    }

    @Test
    void aWriteThatLostIsNotSentAgainOnTheSameVersion() {
        HypervisorNic cached = createdNic("node-b");
        HypervisorNicStatusWriter agent = new HypervisorNicStatusWriter(client);
        HypervisorNicStatusWriter operator = new HypervisorNicStatusWriter(client);
        Instant now = CLOCK.instant();
        HypervisorNicStatus report = new HypervisorNicStatus();
        report.heartbeatTime = "2026-01-01T00:00:00Z";
        HypervisorNic won = agent.report(cached, report).orElseThrow();
        AtomicInteger sent = new AtomicInteger();
        Consumer<ApiFaults.Request> count = countStatusWrites("node-b-pf0", sent);
        api.faults().onWrite(count);
        try {
            // The operator decides on its informer's copy, which does not show the agent's report yet: it loses...
            assertThat(operator.setReady(cached, true, Reasons.AGENT_REPORTING, "fine", now)).isEmpty();
            assertThat(sent).hasValue(1);
            // ...and a retry on the same copy (the informer still lags) is not sent: it could only lose again.
            assertThat(operator.setReady(cached, true, Reasons.AGENT_REPORTING, "fine", now)).isEmpty();
            assertThat(sent).hasValue(1);
            // Once the cache shows the version that won, the write goes out and lands.
            assertThat(operator.freshest(won)).isSameAs(won);
            assertThat(operator.setReady(won, true, Reasons.AGENT_REPORTING, "fine", now)).isPresent();
            assertThat(sent).hasValue(2);
        } finally {
            api.faults().removeWriteObserver(count);
        }
    }

    @Test
    void aWriteThatLostOnAConflictWithoutAWinnerIsSentAgainAfterTheHold() throws InterruptedException {
        // A 409 need not come with a newer version (a proxy's): then no informer ever moves, and the writer must not
        // wait for one.
        HypervisorNic cached = createdNic("node-c");
        HypervisorNicStatusWriter operator = new HypervisorNicStatusWriter(client);
        Instant now = CLOCK.instant();
        AtomicInteger sent = new AtomicInteger();
        Consumer<ApiFaults.Request> count = countStatusWrites("node-c-pf0", sent);
        ApiFaults.Rule conflict = ApiFaults.Rule.times("update", "hypervisornics", "status", 409, 1);
        int injectedBefore = api.faults().injected();
        api.faults().onWrite(count);
        api.faults().add(conflict);
        try {
            long lostAt = System.nanoTime();
            assertThat(operator.setReady(cached, true, Reasons.AGENT_REPORTING, "fine", now)).isEmpty();
            Optional<HypervisorNic> landed = Optional.empty();
            long giveUpAt = lostAt + StatusWriter.LOST_WRITE_HOLD.plusSeconds(5).toNanos();
            while (landed.isEmpty() && System.nanoTime() < giveUpAt) {
                landed = operator.setReady(cached, true, Reasons.AGENT_REPORTING, "fine", now);
                Thread.sleep(50);
            }
            assertThat(landed).as("the write after the hold landed").isPresent();
            assertThat(Duration.ofNanos(System.nanoTime() - lostAt)).as("held, then sent on the same version")
                    .isGreaterThanOrEqualTo(StatusWriter.LOST_WRITE_HOLD);
            assertThat(api.faults().injected() - injectedBefore).as("the 409 answered instead of the first write")
                    .isEqualTo(1);
            assertThat(sent).as("writes that reached the server: the one after the hold, nothing before").hasValue(1);
        } finally {
            api.faults().remove(conflict);
            api.faults().removeWriteObserver(count);
        }
    }

    @Test
    void theMigrationsWriterHoldsNothingAfterALostWrite() {
        // A phase change is on the VM's path: after a 409 it is decided again and sent at once.
        SriovMigration created = created("no-hold");
        MigrationStatusWriter writer = operator("op");
        ApiFaults.Rule conflict = ApiFaults.Rule.times("update", "sriovmigrations", "status", 409, 1);
        api.faults().add(conflict);
        try {
            Transition pending = Transition.to(MigrationPhase.Pending, "Accepted", "accepted");
            assertThat(writer.apply(created, pending)).as("lost to the injected 409").isEmpty();
            assertThat(writer.apply(created, pending)).as("sent again at once, on the same version").isPresent();
        } finally {
            api.faults().remove(conflict);
        }
    }

    private static HypervisorNic createdNic(String node) {
        HypervisorNic nic = new HypervisorNic();
        nic.getMetadata().setName(node + "-pf0");
        nic.setSpec(new HypervisorNicSpec());
        nic.getSpec().nodeName = node;
        nic.getSpec().pf = new HypervisorNicSpec.PhysicalFunction();
        nic.getSpec().pf.name = "pf0";
        return client.resource(nic).create();
    }

    private static Consumer<ApiFaults.Request> countStatusWrites(String name, AtomicInteger sent) {
        return r -> {
            if (name.equals(r.name()) && "status".equals(r.subresource())) {
                sent.incrementAndGet();
            }
        };
    }

    @Test
    void anAgentCannotMoveAMigrationOutOfAPhaseItDoesNotOwn() {
        SriovMigration created = created("owner");
        SriovMigration pending = operator("op").apply(created, Transition.to(MigrationPhase.Pending, "Accepted",
                "accepted").with(s -> s.sourceNode = "node-a")).orElseThrow();
        MigrationStatusWriter sourceAgent = MigrationStatusWriter.forAgent(client, "node-a",
                new EventRecorder(client, "agent", CLOCK), CLOCK);

        assertThatThrownBy(() -> sourceAgent.apply(pending, Transition.to(MigrationPhase.SwitchingToStandby,
                Reasons.PREPARED, "skips the target")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Pending belongs to the operator");
        assertThat(client.resource(pending).get().getStatus().phase).isEqualTo(MigrationPhase.Pending);
    }

    @Test
    void theAgentsHeartbeatKeepsTheOperatorsReadyConditionAndTheOperatorWritesOnlyThat() {
        HypervisorNic nic = createdNic("node-a");
        HypervisorNicStatusWriter agent = new HypervisorNicStatusWriter(client);
        HypervisorNicStatusWriter operator = new HypervisorNicStatusWriter(client);
        Instant now = CLOCK.instant();

        HypervisorNicStatus first = new HypervisorNicStatus();
        first.heartbeatTime = "2026-01-01T00:00:00Z";
        Conditions.set(first.conditions, ConditionTypes.AGENT_READY, true, "HostReady", "ok", 1L, now);
        HypervisorNic reported = agent.report(nic, first).orElseThrow();
        HypervisorNic judged = operator.setReady(reported, true, Reasons.AGENT_REPORTING, "fine", now).orElseThrow();
        assertThat(judged.getStatus().heartbeatTime).as("the operator leaves the agent's fields").isEqualTo(
                first.heartbeatTime);

        assertThat(agent.report(reported, new HypervisorNicStatus())).as("decided before the operator wrote")
                .isEmpty();
        HypervisorNicStatus second = new HypervisorNicStatus();
        second.heartbeatTime = "2026-01-01T00:00:10Z";
        // An agent that claims the operator's condition does not get it written.
        Conditions.set(second.conditions, ConditionTypes.READY, false, "Mine", "not the agent's to say", 1L, now);
        HypervisorNic again = agent.report(judged, second).orElseThrow();
        assertThat(Conditions.find(again.getStatus().conditions, ConditionTypes.READY).orElseThrow().getReason())
                .isEqualTo(Reasons.AGENT_REPORTING);
        assertThat(Conditions.find(again.getStatus().conditions, ConditionTypes.AGENT_READY)).as("kept when left out")
                .isPresent();
        assertThat(again.getStatus().heartbeatTime).isEqualTo(second.heartbeatTime);
    }

    @Test
    void claimsAnotherReplicaDeletedLeaveTheViewOnceThisOneFindsThemGone() {
        VfClaims claims = new VfClaims(client, CLOCK);
        SriovMigration failed = created("claim-gone-failed");
        SriovMigration succeeded = created("claim-gone-succeeded");
        assertThat(claims.reserve(failed, new TargetSelector.Choice("hv9", "pool-a", "0000:09:00.1", 1, null, "t")))
                .isTrue();
        assertThat(claims.reserve(succeeded, new TargetSelector.Choice("hv9", "pool-a", "0000:09:00.2", 2, null,
                "t"))).isTrue();
        // No informer here: the view is this process's own writes alone.
        List<VfClaim> reserved = List.copyOf(claims.view(Stream.empty()));
        assertThat(reserved).hasSize(2);
        reserved.forEach(c -> client.resource(c).delete()); // by the other replica, around a leadership change

        claims.delete(reserved.get(0), "migration ended");
        claims.handOver(reserved.get(1));

        assertThat(claims.view(Stream.empty())).as("found gone, not shown for another 30 s").isEmpty();
    }
}
