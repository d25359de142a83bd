package io.sriovlm.status;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.MigrationPhase.PhaseOwner;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.statemachine.PhaseOwnership;
import io.sriovlm.statemachine.Transition;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The one writer of SriovMigration status, one per actor (the operator, each node's agent). It applies a
 * {@link Transition} with optimistic concurrency: the write carries the resourceVersion the decision was made on, so
 * an actor that decided on stale data loses (409) and decides again on the newer version. It refuses a transition its
 * actor does not own ({@link PhaseOwnership}). Together these keep a crashed or duplicated actor from skipping or
 * repeating a step.
 */
public final class MigrationStatusWriter extends StatusWriter<SriovMigration> {
    private static final Logger LOG = Logger.getLogger(MigrationStatusWriter.class);

    /** The agent's node; null for the operator. */
    private final String agentNode;
    private final EventRecorder events;
    private final Clock clock;

    private MigrationStatusWriter(KubernetesClient client, String agentNode, EventRecorder events, Clock clock) {
        super(client, Duration.ZERO);
        this.agentNode = agentNode;
        this.events = events;
        this.clock = clock;
    }

    public static MigrationStatusWriter forOperator(KubernetesClient client, EventRecorder events, Clock clock) {
        return new MigrationStatusWriter(client, null, events, clock);
    }

    /**
     * The writer of a node's agent: the source agent of the migrations whose status names this node as source, the
     * target agent of those naming it as target.
     */
    public static MigrationStatusWriter forAgent(KubernetesClient client, String node, EventRecorder events,
            Clock clock) {
        return new MigrationStatusWriter(client, java.util.Objects.requireNonNull(node), events, clock);
    }

    /**
     * @return the written migration, or empty when another writer changed it since {@code current} was read
     * @throws IllegalStateException when this actor does not own the transition: a defect, not a race
     */
    public Optional<SriovMigration> apply(SriovMigration current, Transition transition) {
        return apply(current, List.of(transition));
    }

    /**
     * Several transitions of this actor in one write, each recorded (phase timestamp, log line, Event) as if written
     * alone: the operator's admission, Pending → Scheduling → Preparing, so that the admission lock waits for one
     * status round trip instead of two.
     */
    public Optional<SriovMigration> apply(SriovMigration current, List<Transition> transitions) {
        if (transitions.isEmpty()) {
            throw new IllegalArgumentException(name(current) + ": no transition to write");
        }
        Instant now = clock.instant();
        SriovMigration desired = current;
        for (Transition transition : transitions) {
            MigrationPhase from = desired.getStatus() == null ? null : desired.getStatus().phase;
            SriovMigration before = desired;
            refusal(before, from, transition.to()).ifPresent(why -> {
                throw new IllegalStateException(name(before) + ": " + why);
            });
            desired = transition.applyTo(desired, now);
        }
        Optional<SriovMigration> written = write(desired);
        MigrationPhase from = current.getStatus() == null ? null : current.getStatus().phase;
        if (written.isEmpty()) {
            LOG.debugf("status of %s changed underneath (%s -> %s lost the race); deciding again",
                    name(current), from, transitions.get(transitions.size() - 1).to());
            return written;
        }
        for (Transition transition : transitions) {
            announce(written.get(), from, transition);
            from = transition.to();
        }
        return written;
    }

    private void announce(SriovMigration written, MigrationPhase from, Transition transition) {
        if (from != transition.to() || transition.announce()) {
            LOG.infof("%s: %s -> %s (%s) %s", name(written), from, transition.to(), transition.reason(),
                    transition.message() == null ? "" : transition.message());
            // Asynchronous: the next phase of the same actor does not wait for the Event's POST.
            events.recordAsync(written, transition.warning() || from == transition.to() ? EventRecorder.WARNING
                    : EventRecorder.NORMAL, transition.reason(),
                    transition.message() == null ? transition.to().name() : transition.message());
        }
    }

    private Optional<String> refusal(SriovMigration m, MigrationPhase from, MigrationPhase to) {
        boolean dryRun = m.getSpec().dryRunRequested();
        if (agentNode == null) {
            return PhaseOwnership.refusal(PhaseOwner.OPERATOR, from, to, dryRun);
        }
        String source = m.getStatus() == null ? null : m.getStatus().sourceNode;
        String target = m.getStatus() == null ? null : m.getStatus().targetNode;
        Optional<String> asSource = PhaseOwnership.refusal(PhaseOwner.SOURCE_AGENT, from, to, dryRun);
        Optional<String> asTarget = PhaseOwnership.refusal(PhaseOwner.TARGET_AGENT, from, to, dryRun);
        if (agentNode.equals(source) && asSource.isEmpty() || agentNode.equals(target) && asTarget.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(agentNode.equals(source) ? asSource.get() : agentNode.equals(target) ? asTarget.get()
                : "the agent of " + agentNode + " is neither source nor target of this migration");
    }

    /**
     * Adds the labels the agents select their migrations by (an equality selector per node), if missing. A merge
     * patch of metadata: it cannot lose anyone's status, and the phase and spec it was decided for are checked on the
     * result (a cancel or an edit that came after the decision sends it back to be decided again).
     *
     * @return the labelled migration, or empty when its phase or spec changed meanwhile (decide again)
     */
    public Optional<SriovMigration> ensureLabels(SriovMigration m, Map<String, String> wanted) {
        Map<String, String> have = m.getMetadata().getLabels() == null ? Map.of() : m.getMetadata().getLabels();
        if (wanted.entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())))) {
            return Optional.of(m);
        }
        String patch = wanted.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{\"metadata\":{\"labels\":{", "}}}"));
        // On the object rather than on a name: fabric8 then sends the patch without GETting the object first.
        SriovMigration patched = remember(client().resource(m).patch(PatchContext.of(PatchType.JSON_MERGE), patch));
        if (patched.getStatus() == null || patched.getStatus().phase != m.getStatus().phase
                || !java.util.Objects.equals(patched.getMetadata().getGeneration(), m.getMetadata().getGeneration())) {
            return Optional.empty();
        }
        return Optional.of(patched);
    }

    private static String name(SriovMigration m) {
        return m.getMetadata().getNamespace() + "/" + m.getMetadata().getName();
    }
}
