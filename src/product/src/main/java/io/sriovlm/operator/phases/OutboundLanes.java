package io.sriovlm.operator.phases;

import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationStatus;
import io.sriovlm.common.Timestamps;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The outbound lanes of one source node (docs/decisions/014-prepare-ahead.md). A migration leaving the node either
 * holds a lane of its own (a <em>head</em>: admitted into a free lane, or its predecessor has left the source) or
 * waits behind exactly one head, its {@code status.predecessor}, preparing its target meanwhile. At most
 * {@code maxOutboundPerNode} heads, at most one follower per head: so at most that many migrations ever touch the
 * source at once, and the next one of each lane is ready when its lane frees. Pure.
 *
 * @param leaving the node's migrations that hold an outbound lane ({@link io.sriovlm.api.v1alpha1.MigrationPhase#holdsOutboundLane})
 */
public record OutboundLanes(List<SriovMigration> leaving) {

    /** What admission may do with one more migration leaving the node. */
    public sealed interface Admission {
    }

    /** A lane is free: the migration starts as soon as its target is prepared. */
    public record FreeLane() implements Admission {
    }

    /** Every lane is busy; the migration prepares its target behind {@code predecessor} and takes its lane. */
    public record Behind(SriovMigration predecessor) implements Admission {
    }

    /** Every lane is busy and has a migration prepared behind it (or preparing ahead is off). */
    public record Full(int heads, int followers) implements Admission {
    }

    public static OutboundLanes of(ClusterView view, String node) {
        return new OutboundLanes(view.migrations().stream()
                .filter(ClusterView::holdsOutboundSlot)
                .filter(m -> node.equals(m.getStatus().sourceNode)).toList());
    }

    /** Migrations holding a lane of their own. */
    public List<SriovMigration> heads() {
        Set<String> uids = uids();
        return leaving.stream().filter(m -> !followsOneOf(m, uids)).toList();
    }

    public Admission admit(int maxOutboundPerNode, boolean prepareAhead) {
        List<SriovMigration> heads = heads();
        if (heads.size() < maxOutboundPerNode) {
            return new FreeLane();
        }
        Set<String> uids = uids();
        Set<String> followed = leaving.stream().filter(m -> followsOneOf(m, uids))
                .map(m -> m.getStatus().predecessorUid).collect(Collectors.toSet());
        if (!prepareAhead) {
            return new Full(heads.size(), followed.size());
        }
        // Behind the head likely to leave the source first: furthest along, then longest in its phase.
        Optional<SriovMigration> free = heads.stream()
                .filter(h -> !followed.contains(h.getMetadata().getUid()))
                .min(Comparator.comparing((SriovMigration h) -> -h.getStatus().phase.ordinal())
                        .thenComparing(OutboundLanes::enteredPhaseAt));
        return free.<Admission>map(Behind::new).orElseGet(() -> new Full(heads.size(), followed.size()));
    }

    private Set<String> uids() {
        return leaving.stream().map(m -> m.getMetadata().getUid()).collect(Collectors.toSet());
    }

    private static boolean followsOneOf(SriovMigration m, Set<String> uids) {
        String predecessor = m.getStatus().predecessorUid;
        return predecessor != null && uids.contains(predecessor);
    }

    private static Instant enteredPhaseAt(SriovMigration m) {
        SriovMigrationStatus s = m.getStatus();
        Instant at = s.phaseTimestamps.isEmpty() ? null : Timestamps.parse(s.phaseTimestamps.get(s.phaseTimestamps.size() - 1).at);
        return at == null ? Instant.MAX : at;
    }
}
