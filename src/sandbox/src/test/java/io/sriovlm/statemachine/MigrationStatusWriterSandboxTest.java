package io.sriovlm.statemachine;

import io.sriovlm.api.v1alpha1.Reasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.api.CrdLoader;
import io.sriovlm.sandbox.api.EmbeddedApiServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/** Sandbox tier: phase changes use optimistic concurrency, so a writer that decided on a stale object loses. */
@Tag("sandbox")
class MigrationStatusWriterSandboxTest {
    static EmbeddedApiServer api;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        api = EmbeddedApiServer.start("127.0.0.1", 0, CrdLoader.fromClasspath(Sandbox.CRD_RESOURCES));
        client = api.client();
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    @Test
    void aStaleStatusWriteLosesToAConcurrentOneAndChangesNothing() {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName("race");
        m.getMetadata().setNamespace("default");
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = "vm-01";
        SriovMigration created = client.resource(m).create();
        Clock clock = Clock.systemUTC();
        MigrationStatusWriter operator = new MigrationStatusWriter(client, new EventRecorder(client, "op", clock), clock);
        MigrationStatusWriter agent = new MigrationStatusWriter(client, new EventRecorder(client, "agent", clock), clock);
        SriovMigration pending = operator.apply(created, Transition.to(MigrationPhase.Pending, "Accepted", "accepted"))
                .orElseThrow();

        // Both decide on the same version: the operator cancels, another actor tries to move it on.
        var cancelled = operator.apply(pending, Transition.to(MigrationPhase.Cancelled, Reasons.CANCELLED, "cancel"));
        var stale = agent.apply(pending, Transition.to(MigrationPhase.Scheduling, Reasons.ACCEPTED, "stale"));

        assertThat(cancelled).isPresent();
        assertThat(stale).as("the stale write is refused").isEmpty();
        SriovMigration stored = client.resources(SriovMigration.class).inNamespace("default").withName("race").get();
        assertThat(stored.getStatus().phase).isEqualTo(MigrationPhase.Cancelled);
        assertThat(stored.getStatus().phaseTimestamps).extracting(p -> p.phase)
                .containsExactly(MigrationPhase.Pending, MigrationPhase.Cancelled);
    }
}
