package io.sriovlm.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.sriovlm.api.v1alpha1.VfClaimSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolStatus;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.common.InformerCaches;
import io.sriovlm.common.Listing;
import io.sriovlm.operator.phases.ClusterView;
import io.sriovlm.operator.placement.PoolMembership;
import io.sriovlm.operator.placement.TeamingMacs;
import io.sriovlm.operator.placement.VfDrift;
import io.sriovlm.operator.placement.VfLedger;

import java.time.Clock;
import java.time.Duration;
import io.sriovlm.operator.placement.AgentLiveness;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Keeps each VfPool's counts and Ready condition in step with the ledger ({@link VfLedger}: the agents' inventories
 * and the VfClaims), and collects the pool's claims that nothing needs any more, so that none outlives its
 * migration. A count changes with every reservation; it is written at most every {@link #COUNTS_EVERY}, so a busy
 * fleet costs the API one small write per pool and interval (a change of Ready is written at the next reconcile,
 * within {@link #AT_MOST_EVERY}).
 */
public class VfPoolReconciler implements Reconciler<VfPool> {
    static final Duration COUNTS_EVERY = Duration.ofSeconds(2);
    /**
     * A pool is reconciled at most once per this interval (JOSDK's rate limiter; the events in between wait and are
     * handled together). Each reconcile reads the whole fleet (counts every VF, collects claims, looks for shared
     * MACs and drift): on every NIC report, claim and migration end it was a quarter of the operator's CPU at 100
     * nodes, and grows with the fleet times the event rate. A claim is collected, and a finding said, within it.
     * Up to twice it, in fact: JOSDK 5.1's {@code LinearRateLimiter} retries a limited event after the time since the
     * interval began rather than the time left in it (an event 0.9 s into the interval waits another 0.9 s).
     */
    public static final Duration AT_MOST_EVERY = Duration.ofSeconds(1);

    private final KubernetesClient client;
    private final VfPoolStatusWriter writer;
    private final VfClaims claims;
    private final EventRecorder events;
    private final Clock clock;
    private final Map<String, Instant> lastWritten = new ConcurrentHashMap<>();
    private ClusterCaches<VfPool> caches;
    private InformerEventSource<SriovMigration, VfPool> migrations;
    private SharedInformer.View<VfClaim, VfPool> claimCache;
    private final SharedInformers informers;

    public VfPoolReconciler(KubernetesClient client, SharedInformers informers, VfPoolStatusWriter writer,
            VfClaims claims, EventRecorder events, Clock clock) {
        this.informers = informers;
        this.client = client;
        this.writer = writer;
        this.claims = claims;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, VfPool>> prepareEventSources(EventSourceContext<VfPool> context) {
        var pools = context.getPrimaryCache();
        // A heartbeat matters only to a hand-over on that node: an inventory newer than it ends the claim.
        caches = new ClusterCaches<>(informers, context, (HasMetadata ignored) -> pools.list().map(ResourceID::fromResource)
                .collect(Collectors.toSet()), node -> caches.claims.list().anyMatch(c -> c.getSpec() != null
                        && c.getSpec().state == VfClaimSpec.State.HandedOver
                        && c.getSpec().node.equals(node)), false);
        claimCache = caches.claims;
        // A migration changes a ledger when it ends or disappears: map it to the pools of its claims.
        migrations = new InformerEventSource<>(InformerEventSourceConfiguration.from(SriovMigration.class, VfPool.class)
                .withName("SriovMigration")
                .withItemStore(io.sriovlm.common.InterningItemStore.of(SriovMigration.class))
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper((SriovMigration m) -> poolsClaimedBy(m.getMetadata().getUid()))
                .build(), context);
        return List.of(caches.nics, caches.inventories, caches.nodes, migrations, caches.claims, caches.leases);
    }

    private Set<ResourceID> poolsClaimedBy(String migrationUid) {
        return claimCache == null ? Set.of() : claimCache.list()
                .filter(c -> c.getSpec() != null && migrationUid.equals(c.getSpec().migrationUid) && c.getSpec().pool != null)
                .map(c -> new ResourceID(c.getSpec().pool)).collect(Collectors.toSet());
    }

    @Override
    public UpdateControl<VfPool> reconcile(VfPool cached, Context<VfPool> context) {
        VfPool pool = writer.freshest(cached);
        Map<String, Node> nodes = caches.nodesByName();
        Map<String, HypervisorNic> nics = caches.nicsByNode();
        Map<String, VmInventory> inventories = caches.inventoriesByNode(nics);
        List<SriovMigration> all = migrations.list().toList();
        Collection<VfClaim> claimed = claims.view(claimCache.list());
        // Shutting down: emptied caches would release every claim and write an empty pool.
        if (!InformerCaches.stillRunning(caches.nics, caches.inventories, caches.nodes, migrations, claimCache,
                caches.leases)) {
            return UpdateControl.noUpdate();
        }
        Set<String> poolNames = context.getPrimaryCache().list().map(p -> p.getMetadata().getName())
                .collect(Collectors.toSet());
        collectGarbage(pool, poolNames, claimed, all, nics, inventories, nodes);

        // Viewed again: the counts must not include the claims just released.
        VfLedger ledger = VfLedger.of(nics, inventories, nodes, claims.view(claimCache.list()),
                all.stream().filter(ClusterView::isActive).map(VfLedger.LiveMigration::of).toList());
        VfLedger.Counts counts = ledger.counts(pool);
        VfPoolStatus next = new VfPoolStatus();
        next.observedGeneration = pool.getMetadata().getGeneration();
        next.nodeCount = counts.nodes();
        next.totalVfs = counts.total();
        next.freeVfs = counts.free();
        next.reservedVfs = counts.reserved();
        next.allocatedVfs = counts.allocated();
        next.conditions = pool.getStatus() == null ? new java.util.ArrayList<>()
                : pool.getStatus().conditions.stream().map(c -> new io.fabric8.kubernetes.api.model.ConditionBuilder(c).build())
                        .collect(Collectors.toCollection(java.util.ArrayList::new));
        long selected = nodes.values().stream().filter(n -> PoolMembership.coversNode(pool, n)).count();
        boolean ready = counts.nodes() > 0;
        String message = ready ? counts.free() + " of " + counts.total() + " VFs free on " + counts.nodes() + " node(s)"
                : selected == 0 ? "spec.nodeSelector " + pool.getSpec().nodeSelector
                        + " matches no Node; fix the selector or label the hypervisor nodes"
                        : "no selected node has a HypervisorNic with VFs in this pool (spec.pfName, spec.vfIndices)";
        String reason = ready ? Reasons.VFS_AVAILABLE : selected == 0 ? Reasons.NO_MATCHING_NODES : Reasons.NO_VFS;
        boolean wasReady = pool.getStatus() != null && Conditions.find(pool.getStatus().conditions, ConditionTypes.READY)
                .map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false);
        boolean readyKnown = pool.getStatus() != null
                && Conditions.find(pool.getStatus().conditions, ConditionTypes.READY).isPresent();
        // The message carries the counts: refresh it with them, not on its own.
        Conditions.set(next.conditions, ConditionTypes.READY, ready, reason, message, pool.getMetadata().getGeneration(),
                clock.instant());
        // Duplicate teaming MACs and unaccounted VFs: said at once, not with the next counts.
        String shared = sharedMacs(pool, inventories, nodes);
        Finding macs = report(pool, next, ConditionTypes.TEAMING_MACS_UNIQUE, shared.isEmpty(), Reasons.MACS_UNIQUE,
                "every VM on the pool's nodes has a teaming MAC of its own", Reasons.DUPLICATE_MAC,
                shared + "; give each VM its own MAC in its domain XML (their migrations are refused until then)");
        String drift = listed(VfDrift.of(pool, nics, inventories, nodes, claimed), "VF(s)");
        Finding vfs = report(pool, next, ConditionTypes.VFS_ACCOUNTED, drift.isEmpty(), Reasons.VFS_ACCOUNTED,
                "every attached VF of the pool is the teamed primary of its domain", Reasons.VF_DRIFT,
                drift + " (counted as allocated: no migration gets them)");
        boolean findingsChanged = macs.changed() || vfs.changed();
        if (sameCounts(pool.getStatus(), next) && readyKnown && wasReady == ready && !findingsChanged) {
            return UpdateControl.noUpdate();
        }
        Optional<Duration> wait = untilNextWrite(pool);
        if (wait.isPresent() && readyKnown && wasReady == ready && !findingsChanged) {
            return UpdateControl.<VfPool>noUpdate().rescheduleAfter(wait.get());
        }
        if (writer.write(pool, next).isEmpty()) {
            return UpdateControl.<VfPool>noUpdate().rescheduleAfter(Duration.ofMillis(200));
        }
        lastWritten.put(pool.getMetadata().getName(), clock.instant());
        if (!ready && (wasReady || !readyKnown)) {
            events.warning(pool, reason, message);
        }
        for (Finding f : List.of(macs, vfs)) {
            if (!f.ok() && f.changed()) {
                events.warning(pool, f.reason(), f.message());
            }
        }
        return UpdateControl.noUpdate();
    }

    /** A condition that reports a finding about the pool's VMs or VFs, and whether it changed. */
    private record Finding(boolean ok, String reason, String message, boolean changed) {
    }

    /** Sets the condition {@code type} in {@code next}: True with the first reason, False with the second. */
    private Finding report(VfPool pool, VfPoolStatus next, String type, boolean ok, String okReason, String okMessage,
            String badReason, String badMessage) {
        String reason = ok ? okReason : badReason;
        String message = ok ? okMessage : badMessage;
        boolean changed = pool.getStatus() == null || Conditions.find(pool.getStatus().conditions, type)
                .map(c -> !c.getStatus().equals(ok ? Conditions.TRUE : Conditions.FALSE)
                        || !message.equals(c.getMessage())).orElse(true);
        Conditions.set(next.conditions, type, ok, reason, message, pool.getMetadata().getGeneration(), clock.instant());
        return new Finding(ok, reason, message, changed);
    }

    /** Releases or hands over the claims of this pool (or of a pool that no longer exists) that their fate says to. */
    private void collectGarbage(VfPool pool, Set<String> poolNames, Collection<VfClaim> claimed,
            List<SriovMigration> all, Map<String, HypervisorNic> nics, Map<String, VmInventory> inventories,
            Map<String, Node> nodes) {
        String name = pool.getMetadata().getName();
        List<VfClaim> mine = claimed.stream().filter(c -> c.getSpec() != null
                && (name.equals(c.getSpec().pool) || !poolNames.contains(c.getSpec().pool))).toList();
        if (mine.isEmpty()) {
            return;
        }
        Map<String, SriovMigration> byUid = all.stream()
                .collect(Collectors.toMap(m -> m.getMetadata().getUid(), m -> m, (a, b) -> a));
        Set<String> vmsReported = new HashSet<>();
        inventories.values().stream().filter(i -> i.getStatus() != null)
                .forEach(i -> i.getStatus().vms.forEach(v -> vmsReported.add(v.name)));
        AgentLiveness.Renewals renewals = caches.leaseRenewals();
        for (VfClaim claim : mine) {
            var spec = claim.getSpec();
            VfLedger.Fate fate = VfLedger.fateOf(spec, byUid.get(spec.migrationUid), nics.get(spec.node),
                    AgentLiveness.lastReport(nics.get(spec.node), inventories.get(spec.node), renewals),
                    nodes.get(spec.node), vmsReported);
            if (fate instanceof VfLedger.HandOver) {
                claims.handOver(claim);
            } else if (fate instanceof VfLedger.Release release
                    && (!release.holderGone() || holderReallyGone(spec.migration, spec.migrationUid))) {
                claims.delete(claim, release.why());
            }
        }
    }

    /** The informer may not show a migration created a moment ago: ask the API before dropping its claim. */
    private boolean holderReallyGone(String namespacedName, String uid) {
        if (namespacedName == null || !namespacedName.contains("/")) {
            return true;
        }
        String[] parts = namespacedName.split("/", 2);
        SriovMigration m = client.resources(SriovMigration.class).inNamespace(parts[0]).withName(parts[1]).get();
        return m == null || !Objects.equals(uid, m.getMetadata().getUid());
    }

    private Optional<Duration> untilNextWrite(VfPool pool) {
        Instant last = lastWritten.get(pool.getMetadata().getName());
        if (last == null) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), last.plus(COUNTS_EVERY));
        return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
    }

    /** The first few teaming MACs two VMs share where one of them runs on a node of the pool; empty when none. */
    static String sharedMacs(VfPool pool, Map<String, VmInventory> inventories, Map<String, Node> nodes) {
        return listed(TeamingMacs.duplicates(inventories.values()).entrySet().stream()
                .filter(e -> e.getValue().stream().anyMatch(h -> nodes.containsKey(h.node())
                        && PoolMembership.coversNode(pool, nodes.get(h.node()))))
                .map(e -> "teaming MAC " + e.getKey() + " is used by VM " + e.getValue().stream()
                        .map(TeamingMacs.Holder::toString).collect(Collectors.joining(" and VM ")))
                .toList(), "shared MAC(s)");
    }

    /** The first few findings and how many more: a condition message stays small whatever the fleet's size. */
    private static String listed(List<String> findings, String what) {
        return Listing.firstFew(findings, "; ", what);
    }

    private static boolean sameCounts(VfPoolStatus before, VfPoolStatus after) {
        return before != null && Objects.equals(before.nodeCount, after.nodeCount)
                && Objects.equals(before.totalVfs, after.totalVfs) && Objects.equals(before.freeVfs, after.freeVfs)
                && Objects.equals(before.reservedVfs, after.reservedVfs)
                && Objects.equals(before.allocatedVfs, after.allocatedVfs)
                && Objects.equals(before.observedGeneration, after.observedGeneration);
    }
}
