package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.InformerCaches;
import io.sriovlm.common.Timestamps;
import io.sriovlm.metrics.MigrationMetrics;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.phases.ClusterView;
import io.sriovlm.operator.phases.Decision;
import io.sriovlm.operator.phases.Oversight;
import io.sriovlm.operator.phases.PendingHandler;
import io.sriovlm.operator.phases.SchedulingHandler;
import io.sriovlm.operator.placement.TargetSelector.Choice;
import io.sriovlm.operator.placement.VfLedger;
import io.sriovlm.statemachine.Outcome;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.status.MigrationStatusWriter;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The operator's migration controller: observe (informer caches, with this operator's own writes) → decide (the pure
 * phase handlers) → record (VF reservation, agent labels, status). It owns Pending and Scheduling, watches cancel and
 * deadlines in the agents' phases (Oversight), releases VF reservations when a migration ends, and keeps a deleted
 * migration until it has rolled back.
 */
public class SriovMigrationReconciler implements Reconciler<SriovMigration>, Cleaner<SriovMigration> {
    private static final Logger LOG = Logger.getLogger(SriovMigrationReconciler.class);
    private static final Duration CONFLICT_RETRY = Duration.ofMillis(200);
    /**
     * When the API server did not answer: look again this much later, however long the outage lasts. JOSDK's own
     * retry gives up after five attempts (about half a minute), and then nothing wakes a migration whose agent is
     * silent, such as one whose deadline passed during the outage.
     */
    private static final Duration UNAVAILABLE_RETRY = Duration.ofSeconds(2);
    /** How long a reconcile waits for the admission lock before it frees its thread and looks again. */
    private static final Duration ADMISSION_WAIT = Duration.ofMillis(50);
    /** Index of the migrations cache: a migration's spec.vmName. */
    private static final String BY_VM = "vm";
    /**
     * Index of the migrations cache holding the unfinished ones under one key: the decisions read only those, and
     * the finished ones a cluster keeps (up to historyPerVm per VM) would otherwise be walked by each of them.
     */
    private static final String UNFINISHED = "unfinished";

    private final OperatorConfig config;
    private final MigrationStatusWriter writer;
    private final VfClaims claims;
    private final MigrationHistory history;
    private final MigrationMetrics metrics;
    private final Clock clock;
    private final Instant startedAt;
    private final Set<String> recorded = ConcurrentHashMap.newKeySet();
    /** Serializes slot and VF decisions, so two migrations decided at once cannot both take the last one. */
    private final ReentrantLock admission = new ReentrantLock();
    private final SlotWakeups wakeups = new SlotWakeups();
    private final Assumptions assumptions = new Assumptions();
    private ClusterCaches<SriovMigration> caches;
    private IndexerResourceCache<SriovMigration> migrations;
    private final SharedInformers informers;
    private final ApiTrouble apiTrouble;

    public SriovMigrationReconciler(OperatorConfig config, SharedInformers informers, MigrationStatusWriter writer,
            VfClaims claims, MigrationHistory history, MigrationMetrics metrics, ApiTrouble apiTrouble, Clock clock) {
        this.config = config;
        this.informers = informers;
        this.writer = writer;
        this.claims = claims;
        this.history = history;
        this.metrics = metrics;
        this.apiTrouble = apiTrouble;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    @Override
    public List<EventSource<?, SriovMigration>> prepareEventSources(EventSourceContext<SriovMigration> context) {
        migrations = context.getPrimaryCache();
        migrations.addIndexer(BY_VM, m -> m.getSpec() == null || m.getSpec().vmName == null ? List.of()
                : List.of(m.getSpec().vmName));
        migrations.addIndexer(UNFINISHED, m -> ClusterView.isActive(m) ? List.of(UNFINISHED) : List.of());
        // A change of a node, a pool or a NIC's or VmInventory's report (not its heartbeat alone), or a released VF
        // claim, can unblock the migrations that wait in Pending or Scheduling, and an inventory without the VM ends
        // one in Preparing or TargetReady (Oversight.vmVanished).
        // A migration waiting only for a concurrency slot is not among them: a slot frees with a migration's own
        // phase change, which wakes it (SlotWakeups). Waking it on every NIC heartbeat of every node instead cost one
        // admission decision per waiting migration per report, to find the same full slots.
        caches = new ClusterCaches<>(informers, context, (HasMetadata ignored) -> unfinished()
                .filter(m -> m.getStatus() == null || m.getStatus().phase == null
                        || (m.getStatus().phase == MigrationPhase.Pending && !SlotWakeups.waitsForSlot(m))
                        || m.getStatus().phase == MigrationPhase.Scheduling
                        || m.getStatus().phase == MigrationPhase.Preparing
                        || m.getStatus().phase == MigrationPhase.TargetReady)
                .map(ResourceID::fromResource).collect(Collectors.toSet()), node -> false, true);
        return List.of(caches.nics, caches.inventories, caches.nodes, caches.pools, caches.claims, caches.leases,
                wakeups.eventSource());
    }

    @Override
    public UpdateControl<SriovMigration> reconcile(SriovMigration cached, Context<SriovMigration> context) {
        SriovMigration m = writer.freshest(cached);
        metrics.observe(m);
        wakeups.wakeIfSlotFreedBy(m, writer.freshest(unfinished()));
        try {
            return reconcile(m, false);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
            boolean ongoing = apiTrouble.within(config.heartbeatStaleAfter());
            if (apiTrouble.record(e)) {
                if (ongoing) {
                    LOG.debugf("%s: the API server did not answer: %s", m.getMetadata().getName(), e.getMessage());
                } else {
                    LOG.warnf("The API server did not answer a write for %s (%s): retrying every %s; phase deadlines"
                            + " wait until %s after its last failure", m.getMetadata().getName(), e.getMessage(),
                            UNAVAILABLE_RETRY, config.heartbeatStaleAfter());
                }
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(UNAVAILABLE_RETRY);
            }
            throw e;
        } catch (ClusterCaches.CachesStopped e) {
            LOG.debugf("%s: %s", m.getMetadata().getName(), e.getMessage());
            return UpdateControl.noUpdate();
        }
    }

    @Override
    public DeleteControl cleanup(SriovMigration cached, Context<SriovMigration> context) {
        SriovMigration m = writer.freshest(cached);
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        if (phase == null || phase.isTerminal()) {
            metrics.forget(m);
            wakeups.forget(m);
            claims.release(m, claimsInView());
            writer.forget(m);
            return DeleteControl.defaultDelete();
        }
        metrics.observe(m);
        try {
            reconcile(m, true);
        } catch (KubernetesClientException | ClusterCaches.CachesStopped e) {
            if (e instanceof KubernetesClientException failed) {
                apiTrouble.record(failed);
            }
            LOG.debugf("cleanup of %s: %s", m.getMetadata().getName(), e.getMessage());
        }
        // Keep the finalizer until the source agent has rolled back (or the target agent finished).
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(500);
    }

    private UpdateControl<SriovMigration> reconcile(SriovMigration m, boolean deleting) {
        if (m.getStatus() == null || m.getStatus().phase == null) {
            Optional<SriovMigration> accepted = writer.apply(m, Transition.to(MigrationPhase.Pending,
                    Reasons.ACCEPTED, "accepted; validating " + m.getSpec().vmName));
            // Pending is ours too: decide it now on the version just written, not after the informer's round trip.
            return accepted.isPresent() ? reconcile(accepted.get(), deleting) : conflict();
        }
        MigrationPhase phase = m.getStatus().phase;
        if (phase.isTerminal()) {
            claims.release(m, claimsInView());
            recordOnce(m);
            return deleting ? UpdateControl.noUpdate() : pruneHistory(m);
        }
        Outcome oversight = Oversight.decide(m, deleting, clock.instant(),
                apiTrouble.deadlinesJudgedFrom(config.heartbeatStaleAfter()));
        if (Oversight.judgesADeadline(oversight) && !apiTrouble.answersPromptly(m)) {
            // The outage may go on: Oversight holds the deadline from now on (decision 030).
            return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(UNAVAILABLE_RETRY);
        }
        if (oversight.transition().isEmpty() && (phase == MigrationPhase.Pending || phase == MigrationPhase.Scheduling)) {
            return admit(m);
        }
        if (oversight.transition().isEmpty() && !deleting
                && (phase == MigrationPhase.Preparing || phase == MigrationPhase.TargetReady)) {
            Optional<Outcome> vanished = Oversight.vmVanished(m, view());
            if (vanished.isPresent()) {
                return record(m, Decision.of(vanished.get())).control();
            }
        }
        return record(m, Decision.of(oversight)).control();
    }

    /**
     * Pending and Scheduling: decided under the admission lock, written after it. The decision is taken into every
     * view at once (Assumptions: the VF's claim and the migration as it will be written), so the next admission,
     * decided a moment later, counts this one's VF and slot without waiting for the API's round trips. Measured at
     * 100 nodes with the writes under the lock: 335 ms held per admission, 16 of them deciding and 320 waiting for the
     * claim, the labels and the status (docs/decisions/025-assumed-admissions.md).
     */
    private UpdateControl<SriovMigration> admit(SriovMigration m) {
        // A reconcile that waited for the lock here would hold one of the controller's threads, and with all of them
        // waiting a new migration is not even accepted (measured once: every thread blocked, create -> Pending in
        // seconds). So it looks again shortly instead.
        boolean locked;
        try {
            locked = admission.tryLock(ADMISSION_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UpdateControl.noUpdate();
        }
        if (!locked) {
            return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(ADMISSION_WAIT);
        }
        Writes writes;
        Assumptions.Assumed assumed;
        try {
            writes = decideAdmission(m);
            if (writes.transitions().isEmpty()) {
                return recheck(writes.then());
            }
            SriovMigration expected = m;
            for (Transition t : writes.transitions()) {
                expected = t.applyTo(expected, clock.instant());
            }
            assumed = assumptions.assume(expected, writes.reservation().map(c -> claims.claimFor(m, c)));
        } finally {
            admission.unlock();
        }
        try {
            Recorded recorded = write(writes);
            return writes.decideAgain() ? recorded.written().map(this::admit).orElse(recorded.control())
                    : recorded.control();
        } finally {
            assumptions.drop(assumed);
        }
    }

    /**
     * The admission decision. A migration admitted from Pending is scheduled in the same status write
     * (Pending → Scheduling → Preparing, decision 024): Scheduling is decided on the admitted migration as it will be
     * written, in a view that shows the claim just decided. When that decision is anything but "to Preparing on the
     * held VF" (the VM vanished, a wait), the admission is written alone and Scheduling decided again on it.
     */
    private Writes decideAdmission(SriovMigration m) {
        boolean pending = m.getStatus().phase == MigrationPhase.Pending;
        Decision decision = pending ? PendingHandler.decide(m, view()) : SchedulingHandler.decide(m, view());
        Optional<Transition> transition = decision.outcome().transition();
        if (transition.isEmpty() || !pending || transition.get().to() != MigrationPhase.Scheduling) {
            return Writes.of(m, decision, agentLabels(m, decision));
        }
        Transition toScheduling = transition.get();
        Map<String, String> labels = agentLabels(m, decision);
        SriovMigration admitted = toScheduling.applyTo(m, clock.instant());
        Assumptions.Assumed claim = assumptions.assume(admitted,
                decision.reservation().map(c -> claims.claimFor(m, c)));
        try {
            Decision scheduling = SchedulingHandler.decide(admitted, view());
            Optional<Transition> toPreparing = scheduling.outcome().transition()
                    .filter(t -> t.to() == MigrationPhase.Preparing && scheduling.reservation().isEmpty());
            return toPreparing.isEmpty() ? new Writes(m, decision.reservation(), labels, List.of(toScheduling),
                    decision.outcome(), true)
                    : new Writes(m, decision.reservation(), labels, List.of(toScheduling, toPreparing.get()),
                            scheduling.outcome(), false);
        } finally {
            assumptions.drop(claim);
        }
    }

    /**
     * A decision's writes: the VF to reserve, the agent labels, the status transitions (in one status write), and
     * when to look again after them; {@code decideAgain} when the written migration is to be decided again at once.
     */
    private record Writes(SriovMigration decidedOn, Optional<Choice> reservation, Map<String, String> labels,
            List<Transition> transitions, Outcome then, boolean decideAgain) {

        static Writes of(SriovMigration m, Decision decision, Map<String, String> labels) {
            return new Writes(m, decision.reservation(), labels, decision.outcome().transition().stream().toList(),
                    decision.outcome(), false);
        }
    }

    /** What {@link #write} wrote (empty when it lost a race or had nothing to write), and when to look again. */
    private record Recorded(Optional<SriovMigration> written, UpdateControl<SriovMigration> control) {
    }

    /** Records a decision outside admission (Oversight's). */
    private Recorded record(SriovMigration m, Decision decision) {
        return write(Writes.of(m, decision, agentLabels(m, decision)));
    }

    /** Reserves the decided VF, labels the migration for the agents that act next, and writes its status. */
    private Recorded write(Writes writes) {
        SriovMigration m = writes.decidedOn();
        if (writes.transitions().isEmpty()) {
            return new Recorded(Optional.empty(), recheck(writes.then()));
        }
        if (writes.reservation().isPresent() && !claims.reserve(m, writes.reservation().get())) {
            return new Recorded(Optional.empty(), conflict());
        }
        Optional<SriovMigration> written = writer.ensureLabels(m, writes.labels())
                .flatMap(labelled -> writer.apply(labelled, writes.transitions()));
        if (written.isEmpty()) {
            return new Recorded(written, conflict());
        }
        if (written.get().getStatus().phase.isTerminal()) {
            claims.release(written.get(), claimsInView());
            recordOnce(written.get());
        }
        return new Recorded(written, recheck(writes.then()));
    }

    /**
     * The labels agents select their migrations by, needed on the object before the phase that wakes them: the
     * source node's from Scheduling, the target's from Preparing. The target label goes on with the VF reservation,
     * so that Scheduling → Preparing needs no second label write (the target agent ignores a migration until it is
     * in Preparing and names it as target in status). A dry run gets only the source label (its source agent tests
     * libvirt reachability; docs/decisions/006).
     */
    private Map<String, String> agentLabels(SriovMigration m, Transition transition, Optional<String> reservedOn) {
        boolean dryRun = m.getSpec().dryRunRequested();
        boolean wakesAgents = transition.to() == MigrationPhase.Scheduling || transition.to() == MigrationPhase.Preparing
                || (dryRun && !transition.to().isTerminal());
        if (!wakesAgents) {
            return Map.of();
        }
        SriovMigrationStatus preview = transition.applyTo(m, clock.instant()).getStatus();
        Map<String, String> wanted = new TreeMap<>();
        wanted.put(Labels.VM, m.getSpec().vmName);
        if (preview.sourceNode != null) {
            wanted.put(Labels.SOURCE_NODE, preview.sourceNode);
        }
        if (preview.targetNode != null) {
            wanted.put(Labels.TARGET_NODE, preview.targetNode);
        } else if (reservedOn.isPresent() && !dryRun) {
            wanted.put(Labels.TARGET_NODE, reservedOn.get());
        }
        return wanted;
    }

    /** {@link #agentLabels(SriovMigration, Transition, Optional)} for the decision's transition, if any. */
    private Map<String, String> agentLabels(SriovMigration m, Decision decision) {
        Optional<Transition> next = decision.outcome().transition();
        return next.isEmpty() ? Map.of() : agentLabels(m, next.get(), decision.reservation().map(Choice::node));
    }

    /** Deletes the finished migrations of m's VM that history retention lets go, m itself included. */
    private UpdateControl<SriovMigration> pruneHistory(SriovMigration m) {
        List<SriovMigration> ofVm = writer.freshest(migrations.byIndex(BY_VM, m.getSpec().vmName).stream()).toList();
        if (!caches.running() || !InformerCaches.stillRunning(migrations)) {
            throw new ClusterCaches.CachesStopped(); // an emptied Node cache would release what evacuations hold
        }
        return history.prune(ofVm, caches.nodesByName(), clock.instant())
                .map(d -> UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(d))
                .orElseGet(UpdateControl::noUpdate);
    }

    private static UpdateControl<SriovMigration> recheck(Outcome outcome) {
        return outcome.recheckAfter().map(d -> UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(d))
                .orElseGet(UpdateControl::noUpdate);
    }

    private static UpdateControl<SriovMigration> conflict() {
        return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
    }

    private void recordOnce(SriovMigration m) {
        if (m.getSpec().dryRunRequested()) {
            return; // a dry run moved nothing: it is no migration to count or time
        }
        var stamps = m.getStatus().phaseTimestamps;
        Instant finishedAt = stamps.isEmpty() ? null : Timestamps.parse(stamps.get(stamps.size() - 1).at);
        if (finishedAt != null && finishedAt.isAfter(startedAt.minusSeconds(1))
                && recorded.add(m.getMetadata().getUid())) {
            metrics.recordFinished(m);
        }
    }

    /** The cluster as this operator knows it: its informers' caches, with its own writes they have not shown yet. */
    private ClusterView view() {
        List<SriovMigration> all = assumptions.migrations(writer.freshest(unfinished())).toList();
        Map<String, HypervisorNic> nics = caches.nicsByNode();
        Map<String, VmInventory> inventories = caches.inventoriesByNode(nics);
        Map<String, Node> nodes = caches.nodesByName();
        VfLedger ledger = VfLedger.of(nics, inventories, nodes, assumptions.claims(claimsInView()),
                all.stream().filter(ClusterView::isActive).map(VfLedger.LiveMigration::of).toList());
        Instant now = clock.instant();
        ClusterView view = new ClusterView(nics, inventories, nodes, caches.poolList(), ledger, all, config, now,
                caches.leaseRenewals(), caches.reportedVms());
        if (!caches.running() || !InformerCaches.stillRunning(migrations)) {
            throw new ClusterCaches.CachesStopped();
        }
        return view;
    }

    /** The migrations not finished as the informer last saw them. */
    private Stream<SriovMigration> unfinished() {
        return migrations.byIndex(UNFINISHED, UNFINISHED).stream();
    }

    private java.util.Collection<VfClaim> claimsInView() {
        return claims.view(caches.claims.list());
    }
}
