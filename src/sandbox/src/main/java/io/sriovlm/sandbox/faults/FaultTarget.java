package io.sriovlm.sandbox.faults;

import io.sriovlm.api.v1alpha1.MigrationPhase;

import java.util.Objects;
import java.util.Random;

/**
 * Where a fault lands: the migration under test, its two nodes, the phase it is entering, and a seed for any random
 * choice the fault makes (so a chaos run replays from its seed).
 */
public record FaultTarget(String namespace, String migration, String vm, String sourceNode, String targetNode,
        MigrationPhase phase, long seed) {
    public FaultTarget {
        Objects.requireNonNull(migration, "migration");
        Objects.requireNonNull(sourceNode, "sourceNode");
        Objects.requireNonNull(targetNode, "targetNode");
        Objects.requireNonNull(phase, "phase");
        namespace = namespace == null ? "default" : namespace;
    }

    /**
     * The node whose agent owns {@link #phase} ({@code MigrationPhase.PhaseOwner}): the target for Preparing and RestoringFastPath, the source
     * for TargetReady, SwitchingToStandby, Migrating and RollingBack; for the operator's phases (Pending, Scheduling)
     * the target, the node placement judges.
     */
    public String ownerNode() {
        return switch (phase) {
            case TargetReady, SwitchingToStandby, Migrating, RollingBack -> sourceNode;
            default -> targetNode;
        };
    }

    public FaultTarget at(MigrationPhase p) {
        return new FaultTarget(namespace, migration, vm, sourceNode, targetNode, p, seed);
    }

    public Random random() {
        return new Random(seed);
    }
}
