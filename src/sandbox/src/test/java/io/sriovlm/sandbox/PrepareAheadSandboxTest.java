package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.OperatorConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.sriovlm.sandbox.SandboxFixture.awaitPhase;
import static io.sriovlm.sandbox.SandboxFixture.awaitTerminal;
import static io.sriovlm.sandbox.SandboxFixture.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Sandbox tier: preparing ahead (docs/decisions/014-prepare-ahead.md). Three VMs leave hv1, whose outbound limit is
 * 1: the next one's target is prepared while the current one copies, and it touches hv1 only once the current
 * one's domain has left.
 */
@Tag("sandbox")
class PrepareAheadSandboxTest {
    @RegisterExtension
    final SandboxExtension world = SandboxExtension.perTest(Duration.ofMillis(800))
            .withOptions(o -> o.withOperatorConfig(new OperatorConfig(5, 1, 3, Duration.ofSeconds(30)))
                    .withWorld(List.of("hv1", "hv2"), 4, Map.of("hv1", Map.of("vm-01", 0, "vm-02", 1, "vm-03", 2))))
            .checkingInvariantsAfterEach();

    @Test
    void theNextMigrationOfANodeIsPreparedWhileTheCurrentOneCopiesAndStartsWhenItHasLeft() {
        KubernetesClient client = world.client();
        for (String vm : List.of("vm-01", "vm-02", "vm-03")) {
            create(client, "ahead-" + vm, vm, "hv2");
        }
        Map<String, SriovMigration> done = List.of("vm-01", "vm-02", "vm-03").stream()
                .map(vm -> awaitTerminal(client, "ahead-" + vm, Duration.ofSeconds(40)))
                .collect(Collectors.toMap(m -> m.getMetadata().getUid(), Function.identity()));
        assertThat(done.values()).allSatisfy(m -> assertThat(m.getStatus().phase).as(m.getStatus().message)
                .isEqualTo(MigrationPhase.Succeeded));

        List<SriovMigration> followers = done.values().stream().filter(m -> m.getStatus().predecessorUid != null)
                .toList();
        assertThat(followers).as("with one lane, the second and the third were each admitted behind another")
                .hasSize(2);
        for (SriovMigration follower : followers) {
            SriovMigration predecessor = done.get(follower.getStatus().predecessorUid);
            assertThat(predecessor).as("the predecessor of " + name(follower) + " is one of the three").isNotNull();
            assertThat(follower.getStatus().predecessor).isEqualTo(predecessor.getMetadata().getNamespace() + "/"
                    + name(predecessor));
            assertThat(follower.getStatus().phaseTimestamps).extracting(p -> p.phase).containsExactly(
                    MigrationPhase.Pending, MigrationPhase.Scheduling, MigrationPhase.Preparing,
                    MigrationPhase.TargetReady, MigrationPhase.SwitchingToStandby, MigrationPhase.Migrating,
                    MigrationPhase.RestoringFastPath, MigrationPhase.Succeeded);
            assertThat(entered(follower, MigrationPhase.TargetReady)).as(name(follower)
                    + "'s target was ready while " + name(predecessor) + " was still copying")
                    .isBefore(entered(predecessor, MigrationPhase.RestoringFastPath));
            assertThat(entered(follower, MigrationPhase.SwitchingToStandby)).as(name(follower)
                    + " touched hv1 only after " + name(predecessor) + "'s copy had started")
                    .isAfter(entered(predecessor, MigrationPhase.Migrating));
        }
        assertThat(world.sandbox().host("hv1").peakOnStandby())
                .as("never two VMs of hv1 off their VF at once: the outbound limit is 1").isEqualTo(1);
    }

    @Test
    void cancellingAMigrationPreparedAheadEndsItWithoutTouchingTheSource() {
        KubernetesClient client = world.client();
        world.sandbox().host("hv1").setCopyTime(Duration.ofSeconds(3));
        create(client, "ahead-first", "vm-01", "hv2");
        awaitPhase(client, "ahead-first", p -> p == MigrationPhase.Migrating, Duration.ofSeconds(15));
        create(client, "ahead-second", "vm-02", "hv2");
        SriovMigration waiting = awaitPhase(client, "ahead-second", p -> p == MigrationPhase.TargetReady,
                Duration.ofSeconds(15));
        assertThat(waiting.getStatus().message).contains("waits for default/ahead-first to leave hv1");
        assertThat(waiting.getStatus().targetVf).as("its target VF is reserved").isNotNull();

        client.resources(SriovMigration.class).inNamespace("default").withName("ahead-second")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}");
        SriovMigration cancelled = awaitTerminal(client, "ahead-second", Duration.ofSeconds(15));
        assertThat(cancelled.getStatus().phase).isEqualTo(MigrationPhase.Cancelled);
        assertThat(cancelled.getStatus().message).contains("cancelled before the source was touched");
        assertThat(TeamingXml.inspect(world.sandbox().host("hv1").domain("vm-02").orElseThrow().xml())
                .primaryAttached()).as("vm-02 never left its VF").isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> Ledgers.reservationOf(client,
                cancelled.getMetadata().getUid()).isEmpty());

        assertThat(awaitTerminal(client, "ahead-first", Duration.ofSeconds(20)).getStatus().phase)
                .isEqualTo(MigrationPhase.Succeeded);
    }

    private static Instant entered(SriovMigration m, MigrationPhase phase) {
        return m.getStatus().phaseTimestamps.stream().filter(p -> p.phase == phase).map(p -> p.at)
                .map(Timestamps::parse).findFirst()
                .orElseThrow(() -> new AssertionError(name(m) + " never entered " + phase));
    }

    private static String name(HasMetadata m) {
        return m.getMetadata().getName();
    }
}
