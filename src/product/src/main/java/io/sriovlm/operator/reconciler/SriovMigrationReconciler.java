package io.sriovlm.operator.reconciler;

import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.metrics.MigrationMetrics;
import io.sriovlm.statemachine.MigrationStatusWriter;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.statemachine.Transition;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.operator.phases.ClusterView;
import io.sriovlm.operator.phases.Decision;
import io.sriovlm.operator.phases.Oversight;
import io.sriovlm.operator.phases.PendingHandler;
import io.sriovlm.operator.phases.SchedulingHandler;
import io.sriovlm.operator.placement.VfLedger;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The operator's migration controller: observe (informer caches) → decide (pure phase handlers) → write (status with
 * optimistic concurrency). It owns Pending and Scheduling, watches cancel and deadlines in the agent-owned phases,
 * releases VF reservations when a migration ends, and keeps a deleted migration until it has rolled back.
 */
public class SriovMigrationReconciler implements Reconciler<SriovMigration>, Cleaner<SriovMigration> {
    private static final Logger LOG = Logger.getLogger(SriovMigrationReconciler.class);
    private static final Duration CONFLICT_RETRY = Duration.ofMillis(200);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final MigrationStatusWriter writer;
    private final MigrationMetrics metrics;
    private final Clock clock;
    private final Instant startedAt;
    private final Set<String> recorded = ConcurrentHashMap.newKeySet();
    /** Serializes slot and VF decisions, so two migrations decided at once cannot both take the last one. */
    private final Object admission = new Object();
    /** Migrations this operator admitted whose new phase its informer may not show yet. */
    private final Map<String, SriovMigration> admittedNotYetSeen = new ConcurrentHashMap<>();
    /** Wakes migrations waiting in Pending when a slot frees, instead of leaving them to their recheck period. */
    private final SimpleInboundEventSource<SriovMigration> slotFreed = new SimpleInboundEventSource<>("slot-freed");
    /** Per migration UID, the phase in which it last woke the waiting ones (once per phase, not per reconcile). */
    private final Map<String, MigrationPhase> wokeWaitingIn = new ConcurrentHashMap<>();
    /**
     * Pools as this operator last wrote them (reservations, releases), used instead of the informer's copy until the
     * informer catches up: the next admission, often decided a few ms later, must see the VF just reserved, or it
     * would pick it again and lose its pool write (409) and a retry period.
     */
    private final Map<String, VfPool> poolsWritten = new ConcurrentHashMap<>();
    private ClusterCaches<SriovMigration> caches;
    private io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache<SriovMigration> migrations;

    public SriovMigrationReconciler(KubernetesClient client, OperatorConfig config, MigrationStatusWriter writer,
            MigrationMetrics metrics, Clock clock) {
        this.client = client;
        this.config = config;
        this.writer = writer;
        this.metrics = metrics;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    @Override
    public List<EventSource<?, SriovMigration>> prepareEventSources(EventSourceContext<SriovMigration> context) {
        migrations = context.getPrimaryCache();
        // A change of a node, NIC or pool can unblock the migrations that wait in Pending or Scheduling, and a NIC
        // report without the VM ends one in Preparing (Oversight.vmVanished).
        // A migration waiting only for a concurrency slot is not among them: a slot frees with a migration's own
        // phase change, which wakes it (wakeWaitingIfSlotFreed). Waking it on every NIC heartbeat of every node
        // instead cost one admission decision per waiting migration per report, to find the same full slots.
        caches = new ClusterCaches<>(context, (HasMetadata ignored) -> migrations.list()
                .filter(m -> m.getStatus() == null || m.getStatus().phase == null
                        || (m.getStatus().phase == MigrationPhase.Pending && !waitsForSlot(m))
                        || m.getStatus().phase == MigrationPhase.Scheduling
                        || m.getStatus().phase == MigrationPhase.Preparing)
                .map(ResourceID::fromResource).collect(Collectors.toSet()));
        return List.of(caches.nics, caches.nodes, caches.pools, slotFreed);
    }

    @Override
    public UpdateControl<SriovMigration> reconcile(SriovMigration m, Context<SriovMigration> context) {
        metrics.observe(m);
        wakeWaitingIfSlotFreed(m);
        try {
            return reconcileSafely(m, false);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
            throw e;
        } catch (ClusterCaches.CachesStopped e) {
            LOG.debugf("%s: %s", m.getMetadata().getName(), e.getMessage());
            return UpdateControl.noUpdate();
        }
    }

    @Override
    public DeleteControl cleanup(SriovMigration m, Context<SriovMigration> context) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        if (phase == null || phase.isTerminal()) {
            metrics.forget(m);
            wokeWaitingIn.remove(m.getMetadata().getUid());
            releaseReservation(m);
            return DeleteControl.defaultDelete();
        }
        metrics.observe(m);
        try {
            reconcileSafely(m, true);
        } catch (KubernetesClientException | ClusterCaches.CachesStopped e) {
            LOG.debugf("cleanup of %s: %s", m.getMetadata().getName(), e.getMessage());
        }
        // Keep the finalizer until the source agent has rolled back (or the target agent finished).
        return DeleteControl.noFinalizerRemoval().rescheduleAfter(500);
    }

    /**
     * A migration that has left its source (RestoringFastPath) no longer holds an outbound slot, and a finished one no
     * slot at all: the migrations waiting in Pending from the same source get an event now. Without it they would
     * take the slot only at their recheck (5 s) or at the next pool or NIC change. The woken ones decide under the
     * admission lock as always; those that still find no slot go back to waiting without a write.
     */
    private void wakeWaitingIfSlotFreed(SriovMigration m) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        String source = m.getStatus() == null ? null : m.getStatus().sourceNode;
        if (phase == null || source == null || ClusterView.holdsOutboundSlot(m)
                || wokeWaitingIn.put(m.getMetadata().getUid(), phase) == phase) {
            return;
        }
        // RestoringFastPath frees an outbound slot of the source; an end frees a cluster slot too (and an inbound one,
        // which the pool's VF release announces as well).
        // Only the oldest few: one slot freed, so waking every waiting migration (an evacuation has dozens) made them
        // queue on the admission lock, holding the controller's threads, for one of them to win it. The ones not
        // woken keep their 5 s recheck and are woken by the next freed slot.
        boolean anySource = phase.isTerminal();
        migrations.list().filter(o -> o.getStatus() != null && o.getStatus().phase == MigrationPhase.Pending
                && waitsForSlot(o))
                // not one we admitted whose new phase the informer has not shown yet: waking it would waste the wake
                .filter(o -> !admittedNotYetSeen.containsKey(o.getMetadata().getUid()))
                .filter(o -> anySource || o.getSpec().sourceNode == null || source.equals(o.getSpec().sourceNode))
                .sorted(java.util.Comparator.comparing((SriovMigration o) -> String.valueOf(
                        o.getMetadata().getCreationTimestamp())).thenComparing(o -> o.getMetadata().getName()))
                .limit(WAKE_AT_ONCE)
                .forEach(o -> slotFreed.propagateEvent(ResourceID.fromResource(o)));
    }

    private static final int WAKE_AT_ONCE = 3;

    /** A Pending migration whose last word is that it waits for a concurrency slot. */
    static boolean waitsForSlot(SriovMigration m) {
        return m.getStatus() != null && io.sriovlm.common.Conditions.find(m.getStatus().conditions,
                io.sriovlm.api.v1alpha1.ConditionTypes.SCHEDULED).map(c -> Reasons.WAITING_FOR_SLOT.equals(c.getReason())
                        && "False".equals(c.getStatus())).orElse(false);
    }

    private UpdateControl<SriovMigration> reconcileSafely(SriovMigration m, boolean deleting) {
        Instant now = clock.instant();
        if (m.getStatus() == null || m.getStatus().phase == null) {
            Optional<SriovMigration> written = writer.apply(m, Transition.to(MigrationPhase.Pending, Reasons.ACCEPTED,
                    "accepted; validating " + m.getSpec().vmName));
            // Pending is ours too: decide it now on the version just written, not after the informer's round trip.
            return written.isPresent() ? reconcileSafely(written.get(), deleting)
                    : UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
        }
        MigrationPhase phase = m.getStatus().phase;
        if (!deleting && !phase.isTerminal() && writer.isKnownStale(m)) {
            // A version we replaced ourselves (e.g. the Scheduling we wrote on the way to Preparing): deciding on it
            // can only lose the write; the informer's delivery of our last write reconciles again.
            return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
        }
        admittedNotYetSeen.computeIfPresent(m.getMetadata().getUid(),
                (uid, admitted) -> ClusterView.holdsSlot(m) || m.getStatus().phase.isTerminal() ? null : admitted);
        if (phase.isTerminal()) {
            releaseReservation(m);
            recordOnce(m);
            return UpdateControl.noUpdate();
        }
        Decision decision = Oversight.decide(m, deleting, now);
        if (decision.transition().isEmpty() && (phase == MigrationPhase.Pending || phase == MigrationPhase.Scheduling)) {
            synchronized (admission) {
                ClusterView view = view(now);
                decision = phase == MigrationPhase.Pending ? PendingHandler.decide(m, view)
                        : SchedulingHandler.decide(m, view);
                UpdateControl<SriovMigration> control = apply(m, decision);
                SriovMigration admitted = lastWritten.get();
                lastWritten.remove();
                if (phase == MigrationPhase.Pending && admitted != null
                        && admitted.getStatus().phase == MigrationPhase.Scheduling) {
                    // Scheduling is ours too: decide it now on the version we just wrote (its resourceVersion makes
                    // the write safe), rather than one informer round trip later. Still two status writes.
                    return apply(admitted, SchedulingHandler.decide(admitted, view(clock.instant())));
                }
                return control;
            }
        }
        if (decision.transition().isEmpty() && phase == MigrationPhase.Preparing && !deleting) {
            Optional<Decision> vanished = Oversight.vmVanished(m, view(now));
            if (vanished.isPresent()) {
                return apply(m, vanished.get());
            }
        }
        return apply(m, decision);
    }

    /** The migration as {@link #apply} last wrote it on this thread, for a phase the same reconcile decides next. */
    private final ThreadLocal<SriovMigration> lastWritten = new ThreadLocal<>();

    private UpdateControl<SriovMigration> apply(SriovMigration m, Decision decision) {
        lastWritten.remove();
        if (decision.transition().isEmpty()) {
            return reschedule(decision);
        }
        Transition transition = decision.transition().get();
        SriovMigration current = m;
        if (decision.reservation().isPresent()) {
            if (!reserve(m, decision.reservation().get())) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
        }
        boolean asksSource = m.getSpec().dryRunRequested() && !transition.to().isTerminal();
        if (transition.to() == MigrationPhase.Scheduling || transition.to() == MigrationPhase.Preparing || asksSource) {
            // Agents select their work by these labels: they must be on the object before the phase that wakes them.
            // A dry run gets only the source label (its source agent tests libvirt reachability; docs/decisions/006).
            Optional<SriovMigration> labelled = label(m, transition,
                    decision.reservation().map(io.sriovlm.operator.placement.TargetSelector.Choice::node));
            if (labelled.isEmpty()) {
                return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
            }
            current = labelled.get();
        }
        Optional<SriovMigration> written = writer.apply(current, transition);
        if (written.isEmpty()) {
            return UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(CONFLICT_RETRY);
        }
        if (ClusterView.holdsSlot(written.get())) {
            admittedNotYetSeen.put(m.getMetadata().getUid(), written.get());
        }
        lastWritten.set(written.get());
        if (written.get().getStatus().phase.isTerminal()) {
            releaseReservation(written.get());
            recordOnce(written.get());
        }
        return reschedule(decision);
    }

    private static UpdateControl<SriovMigration> reschedule(Decision decision) {
        return decision.recheckAfter().map(d -> UpdateControl.<SriovMigration>noUpdate().rescheduleAfter(d))
                .orElseGet(UpdateControl::noUpdate);
    }

    /**
     * @param reservedOn the node of the VF reserved with this transition: its agent's label goes on now, with the
     *                   source's, so that Scheduling → Preparing needs no second label write (the target agent
     *                   ignores a migration until it is in Preparing and names it as target in status)
     */
    private Optional<SriovMigration> label(SriovMigration m, Transition transition, Optional<String> reservedOn) {
        SriovMigrationStatus preview = MigrationStatusWriter.applyLocally(m, transition, clock.instant()).getStatus();
        Map<String, String> wanted = new java.util.TreeMap<>();
        wanted.put(Labels.VM, m.getSpec().vmName);
        if (preview.sourceNode != null) {
            wanted.put(Labels.SOURCE_NODE, preview.sourceNode);
        }
        if (preview.targetNode != null) {
            wanted.put(Labels.TARGET_NODE, preview.targetNode);
        } else if (reservedOn.isPresent() && !m.getSpec().dryRunRequested()) {
            wanted.put(Labels.TARGET_NODE, reservedOn.get());
        }
        Map<String, String> have = m.getMetadata().getLabels() == null ? Map.of() : m.getMetadata().getLabels();
        if (wanted.entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())))) {
            return Optional.of(m);
        }
        String patch = wanted.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{\"metadata\":{\"labels\":{", "}}}"));
        // On the object rather than on a name: fabric8 then sends the patch without GETting the object first.
        SriovMigration patched = client.resource(m).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        if (patched.getStatus() == null || patched.getStatus().phase != m.getStatus().phase) {
            return Optional.empty();
        }
        return Optional.of(patched);
    }

    private boolean reserve(SriovMigration m, io.sriovlm.operator.placement.TargetSelector.Choice choice) {
        VfPool pool = pools().stream().filter(p -> p.getMetadata().getName().equals(choice.pool())).findFirst()
                .orElse(null);
        if (pool == null || pool.getStatus() == null) {
            return false;
        }
        VfPool copy = io.fabric8.kubernetes.client.utils.Serialization.clone(pool);
        try {
            VfLedger.reserve(copy.getStatus(), choice.node(), choice.vfPciAddress(), new VfLedger.Holder(
                    m.getSpec().vmName, m.getMetadata().getNamespace() + "/" + m.getMetadata().getName(),
                    m.getMetadata().getUid()), clock.instant());
            remember(client.resource(copy).updateStatus());
            return true;
        } catch (IllegalStateException e) {
            LOG.debugf("reservation for %s lost: %s", m.getMetadata().getName(), e.getMessage());
            return false;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return false;
            }
            throw e;
        }
    }

    /** Drops the migration's reservation from every pool; idempotent. */
    private void releaseReservation(SriovMigration m) {
        boolean handToVm = m.getStatus() != null && m.getStatus().phase == MigrationPhase.Succeeded;
        for (int attempt = 0; attempt < 5; attempt++) {
            boolean conflict = false;
            for (VfPool pool : pools()) {
                if (pool.getStatus() == null
                        || VfLedger.reservationOf(pool.getStatus(), m.getMetadata().getUid()).isEmpty()) {
                    continue;
                }
                VfPool fresh = client.resource(pool).get();
                if (fresh == null || fresh.getStatus() == null) {
                    continue;
                }
                VfPoolStatus status = fresh.getStatus();
                if (VfLedger.release(status, m.getMetadata().getUid(), handToVm, clock.instant())) {
                    try {
                        remember(client.resource(fresh).updateStatus());
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 409) {
                            throw e;
                        }
                        conflict = true;
                    }
                }
            }
            if (!conflict) {
                return;
            }
        }
    }

    private void recordOnce(SriovMigration m) {
        if (m.getSpec().dryRunRequested()) {
            return; // a dry run moved nothing: it is no migration to count or time
        }
        var stamps = m.getStatus().phaseTimestamps;
        Instant finishedAt = stamps.isEmpty() ? null : io.sriovlm.common.Timestamps.parse(stamps.get(stamps.size() - 1).at);
        if (finishedAt != null && finishedAt.isAfter(startedAt.minusSeconds(1)) && recorded.add(m.getMetadata().getUid())) {
            metrics.recordFinished(m);
        }
    }

    private ClusterView view(Instant now) {
        Map<String, SriovMigration> all = migrations.list()
                .collect(Collectors.toMap(x -> x.getMetadata().getUid(), x -> x, (a, b) -> a));
        // Our own recent admissions count even before the informer delivers them.
        admittedNotYetSeen.forEach((uid, admitted) -> all.merge(uid, admitted,
                (cached, ours) -> ClusterView.holdsSlot(cached) || cached.getStatus().phase.isTerminal() ? cached : ours));
        ClusterView view = new ClusterView(caches.nicsByNode(), caches.nodesByName(), pools(), all.values(), config, now);
        if (!caches.running() || !io.sriovlm.common.InformerCaches.stillRunning(migrations)) {
            throw new ClusterCaches.CachesStopped();
        }
        return view;
    }

    private void remember(VfPool written) {
        if (written != null) {
            poolsWritten.merge(written.getMetadata().getName(), written, (old, ours) -> newer(ours, old) ? ours : old);
        }
    }

    /** The informer's pools, each replaced by our own last write while the informer has not delivered it yet. */
    private List<VfPool> pools() {
        List<VfPool> cached = caches.poolList();
        if (poolsWritten.isEmpty()) {
            return cached;
        }
        return cached.stream().map(p -> {
            VfPool ours = poolsWritten.get(p.getMetadata().getName());
            if (ours == null) {
                return p;
            }
            if (newer(ours, p)) {
                return ours;
            }
            poolsWritten.remove(p.getMetadata().getName(), ours); // the informer caught up (or someone wrote since)
            return p;
        }).toList();
    }

    /**
     * Whether {@code a} is a later version than {@code b}. resourceVersions are opaque to clients, but the API server
     * (etcd's revision) and the sandbox issue increasing integers; anything else counts as not newer, so the
     * informer's copy wins and a stale choice only costs a 409.
     */
    static boolean newer(HasMetadata a, HasMetadata b) {
        try {
            return Long.parseLong(a.getMetadata().getResourceVersion()) > Long.parseLong(b.getMetadata().getResourceVersion());
        } catch (NumberFormatException | NullPointerException e) {
            return false;
        }
    }
}
