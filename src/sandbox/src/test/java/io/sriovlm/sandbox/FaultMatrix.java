package io.sriovlm.sandbox;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.sandbox.faults.Fault;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What each cell of the fault matrix must end in, and why; {@code docs/fault-matrix.md} is generated from it. */
final class FaultMatrix {
    static final List<MigrationPhase> PHASES = List.of(MigrationPhase.Pending, MigrationPhase.Scheduling,
            MigrationPhase.Preparing, MigrationPhase.TargetReady, MigrationPhase.SwitchingToStandby,
            MigrationPhase.Migrating, MigrationPhase.RestoringFastPath, MigrationPhase.RollingBack);
    static final int STEP_TIMEOUT_SECONDS = 3;
    static final int MIGRATING_TIMEOUT_SECONDS = 4;

    record Cell(Set<MigrationPhase> outcomes, Set<String> reasons, String why) {
    }

    private static final Map<Fault, Map<MigrationPhase, Cell>> CELLS = new EnumMap<>(Fault.class);

    private FaultMatrix() {
    }

    static Set<MigrationPhase> expected(Fault f, MigrationPhase p) {
        return cell(f, p).outcomes();
    }

    static Set<String> reasons(Fault f, MigrationPhase p) {
        return cell(f, p).reasons();
    }

    static Cell cell(Fault f, MigrationPhase p) {
        Cell c = CELLS.getOrDefault(f, Map.of()).get(p);
        if (c == null) {
            throw new IllegalStateException("no expectation for " + f + " at " + p);
        }
        return c;
    }

    private static final Set<MigrationPhase> S = Set.of(MigrationPhase.Succeeded);
    private static final Set<MigrationPhase> RB = Set.of(MigrationPhase.RolledBack);
    private static final String CANCELLED = "Cancelled";

    private static void put(Fault f, MigrationPhase p, Set<MigrationPhase> outcomes, String why, String... reasons) {
        CELLS.computeIfAbsent(f, k -> new EnumMap<>(MigrationPhase.class)).put(p, new Cell(outcomes, Set.of(reasons),
                why));
    }

    /** A fault the migration rides out: it succeeds, and the RollingBack row (reached by a cancel) rolls back. */
    private static void ridesOut(Fault f, String why) {
        for (MigrationPhase p : PHASES) {
            if (f.notApplicableAt(p).isPresent()) {
                continue;
            }
            if (p == MigrationPhase.RollingBack) {
                put(f, p, RB, "the cancel's rollback completes after the fault", CANCELLED);
            } else {
                put(f, p, S, why);
            }
        }
    }

    static {
        ridesOut(Fault.AGENT_RESTART, "steps are idempotent: the restarted agent finds the host as it left it (a"
                + " running libvirt job included) and goes on; an agent that has not synced its HypervisorNic yet waits");
        ridesOut(Fault.OPERATOR_RESTART, "the operator's state is in the API (status, ledger): the new one goes on");
        ridesOut(Fault.LEADERSHIP_LOST, "the leader stops within the renew deadline and is replaced; the new replica"
                + " leads when the stolen Lease expires and goes on; agents keep working meanwhile");
        put(Fault.DETACH_REFUSED, MigrationPhase.SwitchingToStandby, RB, "the source agent rolls back at once"
                + " (nothing moved; the VF is still in the guest)", "DetachFailed");
        String behind = "vm-01 waits in TargetReady behind another VM's copy (outbound limit 1); when that one has"
                + " left the source, ";
        put(Fault.DETACH_REFUSED, MigrationPhase.TargetReady, RB, behind + "vm-01's detach is refused: the source"
                + " agent rolls back at once", "DetachFailed");
        put(Fault.DEVICE_REMOVED_LOST, MigrationPhase.TargetReady, RB, behind + "the source waits for the guest until"
                + " the step deadline, then rolls back (the fast-path guard plugs the VF back after the heal)",
                "DeadlineExceeded");
        put(Fault.LATE_UNPLUG, MigrationPhase.TargetReady, RB, behind + "the source waits until the step deadline and"
                + " rolls back; the fast-path guard repairs the late unplug", "DeadlineExceeded");
        put(Fault.ROUTE_DOWN, MigrationPhase.TargetReady, RB, behind + "the VF is detached, then the job cannot"
                + " start: rolls back", "MigrationFailed");
        put(Fault.MIGRATION_FAILS, MigrationPhase.TargetReady, S, "vm-01 waits in TargetReady behind another VM's"
                + " copy (outbound limit 1); the failure lands on the job that ends first, that VM's, which rolls back"
                + " (its VF back on the source) and so frees the lane: vm-01 then moves");
        put(Fault.BOND_WRITE_IGNORED, MigrationPhase.TargetReady, RB, behind + "the read-back of the source bond"
                + " catches it: rolls back", "BondSwitchFailed");
        put(Fault.DEVICE_REMOVED_LOST, MigrationPhase.SwitchingToStandby, RB, "the source waits for the guest"
                + " until the step deadline, then the operator moves it to RollingBack; the VF never left the guest."
                + " When the guest recovers (the heal) it finishes the unplug after all, and the agent's fast-path"
                + " guard plugs the VF back",
                "DeadlineExceeded");
        put(Fault.LATE_UNPLUG, MigrationPhase.SwitchingToStandby, RB, "the source waits until the step deadline and"
                + " rolls back with the VF still in the guest; when the guest lets it go 5 s after the detach, the"
                + " agent's fast-path guard moves the bond to the SF representor, plugs the VF back and returns the"
                + " bond (FastPathRepaired)", "DeadlineExceeded");
        put(Fault.ROUTE_DOWN, MigrationPhase.SwitchingToStandby, RB, "the VF is detached, then the job cannot start:"
                + " libvirt's connection error rolls back", "MigrationFailed");
        put(Fault.ROUTE_DOWN, MigrationPhase.Migrating, RB, "the job cannot start: libvirt's connection error"
                + " rolls back", "MigrationFailed");
        put(Fault.MIGRATION_FAILS, MigrationPhase.Migrating, RB, "libvirt's error rolls back: VF re-attached,"
                + " bond on the VF representor", "MigrationFailed");
        put(Fault.ABORT_FAILS, MigrationPhase.RollingBack, RB, "the source agent retries the abort (AbortFailed in"
                + " the FastPathRestored condition meanwhile); failureReason keeps the cause", CANCELLED);
        put(Fault.ATTACH_REFUSED, MigrationPhase.RestoringFastPath, S, "the target agent retries the attach with"
                + " backoff; the VM works on its standby path meanwhile");
        put(Fault.ATTACH_REFUSED, MigrationPhase.RollingBack, RB, "the source agent retries the re-attach", CANCELLED);
        put(Fault.BOND_WRITE_IGNORED, MigrationPhase.SwitchingToStandby, RB, "the read-back catches it: roll back"
                + " (the bond is still on the VF representor with the VF back)", "BondSwitchFailed");
        put(Fault.BOND_WRITE_IGNORED, MigrationPhase.RestoringFastPath, S, "the read-back catches it; retried with"
                + " backoff");
        put(Fault.BOND_WRITE_IGNORED, MigrationPhase.RollingBack, RB, "the read-back catches it; retried", CANCELLED);
        ridesOut(Fault.API_CONFLICT, "a 409 makes the writer decide again on a fresh read");
        ridesOut(Fault.API_ERROR, "fabric8 retries 5xx answers; a write that still fails is retried by the reconciler");
        ridesOut(Fault.WATCH_DROPPED, "informers watch again and receive the current objects");
        put(Fault.NODE_NOT_READY, MigrationPhase.Pending, S, "the target is NotReady before the migration is"
                + " admitted: Pending waits (TargetNotReady) until it is back, then it proceeds");
        // The agent stops on another thread than the write that admits the migration, and it prepares within
        // milliseconds: seen ending Failed in 2 of some 20 runs, as the Preparing cell does.
        put(Fault.NODE_NOT_READY, MigrationPhase.Scheduling, Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack,
                MigrationPhase.Failed), "the operator has admitted it: the target agent stops while Preparing runs or"
                + " before, whose deadline rolls back (or it had prepared and is back in time); if it had prepared"
                + " before stopping, the VM moves and RestoringFastPath's deadline ends Failed with the VM on the"
                + " target's standby path", "DeadlineExceeded", "FastPathNotRestored");
        put(Fault.NODE_NOT_READY, MigrationPhase.Preparing, Set.of(MigrationPhase.RolledBack, MigrationPhase.Failed),
                "the target agent is down: Preparing's deadline rolls back; if it had prepared before stopping, the"
                + " VM moves and RestoringFastPath's deadline ends Failed with the VM on the target's standby path",
                "DeadlineExceeded", "FastPathNotRestored");
        put(Fault.NODE_NOT_READY, MigrationPhase.TargetReady, Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack),
                "the source agent is down while vm-01 waits behind another VM's copy: that one's deadline hands it to"
                + " RollingBack, which the agent back completes (on the target if the copy ended), freeing the lane;"
                + " vm-01 then moves, or its own deadline rolls it back", "DeadlineExceeded");
        put(Fault.NODE_NOT_READY, MigrationPhase.SwitchingToStandby, RB, "the source agent is down (a step it was in"
                + " decides nothing): the step deadline moves it to RollingBack, which the agent completes when its"
                + " node is back", "DeadlineExceeded");
        put(Fault.NODE_NOT_READY, MigrationPhase.Migrating, Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack),
                "the source agent stops while the short copy runs: it ended (the agent back reports it) or the"
                + " deadline rolls back; a rollback that finds the VM gone completes on the target (RollbackTooLate)",
                "DeadlineExceeded", "RollbackTooLate");
        put(Fault.NODE_NOT_READY, MigrationPhase.RestoringFastPath, Set.of(MigrationPhase.Failed),
                "the target agent is down past the step deadline: Failed with the VM on the target's standby path"
                + " (working, without its VF)", "FastPathNotRestored");
        put(Fault.NODE_NOT_READY, MigrationPhase.RollingBack, Set.of(MigrationPhase.Succeeded, MigrationPhase.RolledBack),
                "RollingBack waits for the source agent; the copy may end meanwhile (RollbackTooLate: completed on"
                + " the target)", CANCELLED, "RollbackTooLate");
    }

    static void observed(Fault f, MigrationPhase p, MigrationPhase outcome, String reason) {
        synchronized (FaultMatrixSandboxTest.SEEN) {
            FaultMatrixSandboxTest.SEEN.computeIfAbsent(f, k -> new EnumMap<>(MigrationPhase.class)).put(p,
                    outcome + (reason == null ? "" : "/" + reason));
        }
    }

    static String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Fault matrix\n\n");
        md.append("Generated from `src/sandbox/src/test/java/io/sriovlm/sandbox/FaultMatrix.java` and checked by\n");
        md.append("`FaultMatrixSandboxTest`, which runs every cell: the migration of vm-01 gets the fault as it enters\n");
        md.append("the phase (before any actor sees it; the Scheduling column's fault comes with the operator's one\n");
        md.append("write of an admission, Pending → Scheduling → Preparing), must end within its deadlines (steps ")
                .append(STEP_TIMEOUT_SECONDS).append(" s, Migrating ").append(MIGRATING_TIMEOUT_SECONDS)
                .append(" s)\nin one of the outcomes below, with `status.failureReason` as listed (a success carries"
                        + " none unless listed), and the\n`InvariantChecker` must report nothing once the fault is healed."
                        + " The RollingBack row is reached by a\ncancel during a slow copy. Faults are defined in"
                        + " `io.sriovlm.sandbox.faults.Fault`.\n\n");
        md.append("| fault |");
        PHASES.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append("\n|---|");
        PHASES.forEach(p -> md.append("---|"));
        md.append('\n');
        for (Fault f : Fault.values()) {
            md.append("| `").append(f.name()).append("` |");
            for (MigrationPhase p : PHASES) {
                md.append(' ');
                if (f.notApplicableAt(p).isPresent()) {
                    md.append("n/a");
                } else {
                    Cell c = cell(f, p);
                    md.append(String.join(" or ", c.outcomes().stream().map(Enum::name).sorted().toList()));
                    if (!c.reasons().isEmpty()) {
                        md.append(" (").append(String.join(", ", c.reasons().stream().sorted().toList())).append(')');
                    }
                }
                md.append(" |");
            }
            md.append('\n');
        }
        md.append("\n## Why\n\n");
        for (Fault f : Fault.values()) {
            md.append("- `").append(f.name()).append("`: ").append(f.description()).append(".\n");
            java.util.Map<String, java.util.List<String>> byWhy = new java.util.LinkedHashMap<>();
            for (MigrationPhase p : PHASES) {
                String why = f.notApplicableAt(p).map(w -> "not applicable: " + w).orElseGet(() -> cell(f, p).why());
                byWhy.computeIfAbsent(why, k -> new java.util.ArrayList<>()).add(p.name());
            }
            byWhy.forEach((why, phases) -> md.append("  - ").append(String.join(", ", phases)).append(": ")
                    .append(why).append(".\n"));
        }
        return md.toString();
    }
}
