package io.sriovlm.sandbox.faults;

import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.sandbox.Sandbox;
import io.sriovlm.sandbox.api.ApiFaults;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static io.sriovlm.api.v1alpha1.MigrationPhase.Migrating;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Pending;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Preparing;
import static io.sriovlm.api.v1alpha1.MigrationPhase.RestoringFastPath;
import static io.sriovlm.api.v1alpha1.MigrationPhase.RollingBack;
import static io.sriovlm.api.v1alpha1.MigrationPhase.Scheduling;
import static io.sriovlm.api.v1alpha1.MigrationPhase.SwitchingToStandby;
import static io.sriovlm.api.v1alpha1.MigrationPhase.TargetReady;

/**
 * The faults the sandbox can inject (issue 8), each aimed by a {@link FaultTarget} at the migration under test as it
 * enters a phase. A fault either <em>disrupts</em> (a process dies, a node goes NotReady: done on another thread,
 * since the trigger may run inside the API server) or <em>arms</em> a failure of the next call of a kind (a detach, an
 * abort, a bond write, a status write), which fires when the phase's owner makes that call.
 * <p>
 * A chaos runner drives it with a seeded {@link java.util.Random}: pick a migration and a phase, draw from
 * {@link #applicableAt}, {@link #inject}, later {@link Injection#heal}. {@link #notApplicableAt} says why a fault has
 * no meaning in a phase (the call it breaks is never made there).
 */
public enum Fault {
    /** The node agent owning the phase crashes and its DaemonSet restarts it. */
    AGENT_RESTART(true, "the owner node's sriovlm-agent is restarted") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.restartAgent(t.ownerNode());
        }
    },
    /** The operator process dies and its Deployment restarts it. */
    OPERATOR_RESTART(true, "the operator is restarted") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.restartOperator();
        }
    },
    /**
     * Another candidate takes the operator's Lease for two seconds: the leader stops leading and is replaced; the new
     * replica leads once the Lease expires. Needs a sandbox started {@code withLeaderElection(true)}.
     */
    LEADERSHIP_LOST(true, "the operator's Lease is taken by another candidate for 2s") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.stealLeadership("intruder-" + Long.toHexString(t.seed()), Duration.ofSeconds(2));
        }
    },
    /** libvirt refuses the source agent's detach of the VF. */
    DETACH_REFUSED(false, "libvirt refuses the next detach on the source") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.sourceNode()).faults().failNextDetach("internal error: unable to execute QEMU command 'device_del':"
                    + " injected: detach refused");
            a.onHeal(() -> s.host(t.sourceNode()).faults().clearDetachFault());
        }
    },
    /**
     * The guest does not complete the unplug while the migration lasts: libvirt's device-removed event does not
     * arrive. On heal the guest recovers and completes it after all.
     */
    DEVICE_REMOVED_LOST(false, "the guest never releases the VF (no device-removed event)") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.sourceNode()).faults().dropNextDeviceRemovedEvent();
            // Healing is the guest recovering: the unplug it never finished completes now, long after the rollback.
            a.onHeal(() -> {
                s.host(t.sourceNode()).faults().clearDropDeviceRemoved();
                s.host(t.sourceNode()).completeAbandonedUnplugs();
            });
        }
    },
    /**
     * The guest releases the VF only {@link #LATE_UNPLUG_AFTER} after the detach: past the step's deadline, once the
     * migration rolled back and promised the VM its VF. The agent's fast-path guard must plug it back.
     */
    LATE_UNPLUG(false, "the guest releases the VF 5s after the detach, past the step deadline") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.sourceNode()).faults().delayNextDeviceRemovedEvent(LATE_UNPLUG_AFTER);
            a.onHeal(() -> s.host(t.sourceNode()).faults().delayNextDeviceRemovedEvent(null));
        }
    },
    /** The source's libvirt cannot open a connection to the target's (a route, a firewall, TLS). */
    ROUTE_DOWN(false, "the source's libvirt cannot reach the target's") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            String uri = io.sriovlm.sandbox.host.SimulatedFabric.uriOf(t.targetNode());
            s.host(t.sourceNode()).faults().makeUnreachable(uri, "injected: no route to host " + t.targetNode());
            a.onHeal(() -> s.host(t.sourceNode()).faults().makeReachable(uri));
        }
    },
    /** The next libvirt migration job fails at the end of its copy. */
    MIGRATION_FAILS(false, "the next libvirt migration job from the source fails") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.sourceNode()).faults().failNextMigrations(1, "operation failed: migration out job: injected failure");
            a.onHeal(() -> s.host(t.sourceNode()).faults().failNextMigrations(0, null));
        }
    },
    /** libvirt refuses the next abort of a running job once. */
    ABORT_FAILS(false, "libvirt refuses the next abort of the migration job once") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.sourceNode()).faults().failNextAborts(1, null);
            a.onHeal(() -> s.host(t.sourceNode()).faults().failNextAborts(0, null));
        }
    },
    /** libvirt refuses the next attach of a VF on the node owning the phase. */
    ATTACH_REFUSED(false, "libvirt refuses the next VF attach on the owner node") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.host(t.ownerNode()).faults().failNextAttaches(1, null);
            a.onHeal(() -> s.host(t.ownerNode()).faults().failNextAttaches(0, null));
        }
    },
    /** The next write of a bond's active slave on the owner node does not stick (the read-back differs). */
    BOND_WRITE_IGNORED(false, "the next bond active_slave write on the owner node does not stick") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.sysfs(t.ownerNode()).kernel().ignoreNextBondWrites(1);
            a.onHeal(() -> s.sysfs(t.ownerNode()).kernel().ignoreNextBondWrites(0));
        }
    },
    /** The API server answers the next two SriovMigration status updates with 409 Conflict. */
    API_CONFLICT(false, "the API answers 409 to the next 2 SriovMigration status updates") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            api(s, a, ApiFaults.Rule.times("update", "sriovmigrations", "status", 409, 2));
        }
    },
    /** The API server answers 500 to the next two SriovMigration updates (status or not) and the next VF reservation. */
    API_ERROR(false, "the API answers 500 to the next 2 SriovMigration updates and the next VfClaim create") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            api(s, a, ApiFaults.Rule.times("update", "sriovmigrations", null, 500, 2));
            api(s, a, ApiFaults.Rule.times("create", "vfclaims", null, 500, 1));
        }
    },
    /** Every open watch is closed: informers re-watch and catch up. */
    WATCH_DROPPED(true, "the API server closes every open watch") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.api().faults().dropWatches(null);
        }
    },
    /** The owner node goes NotReady (kubelet silent, agent stopped) for {@link #NOT_READY_FOR}, then comes back. */
    NODE_NOT_READY(true, "the owner node goes NotReady (agent stopped) for 5s") {
        @Override
        void apply(Sandbox s, FaultTarget t, Armed a) {
            s.setNodeReady(t.ownerNode(), false);
            a.onHeal(() -> s.setNodeReady(t.ownerNode(), true));
        }
    };

    /** How long {@link #NODE_NOT_READY} lasts in the fault matrix: longer than its short step deadlines. */
    public static final Duration NOT_READY_FOR = Duration.ofSeconds(5);
    /** How late {@link #LATE_UNPLUG}'s guest releases the VF: longer than the matrix's and the chaos run's step deadlines. */
    public static final Duration LATE_UNPLUG_AFTER = Duration.ofSeconds(5);

    private static final Map<Fault, Map<MigrationPhase, String>> NOT_APPLICABLE = new EnumMap<>(Fault.class);

    static {
        String operatorOnly = "no agent call is made in the operator's phases";
        na(DETACH_REFUSED, "the VF is detached only in SwitchingToStandby", Pending, Scheduling, Preparing, Migrating,
                RestoringFastPath, RollingBack);
        na(DEVICE_REMOVED_LOST, "the source waits for device-removed only in SwitchingToStandby (explicit handoff)",
                Pending, Scheduling, Preparing, Migrating, RestoringFastPath, RollingBack);
        na(LATE_UNPLUG, "the source waits for device-removed only in SwitchingToStandby (explicit handoff)",
                Pending, Scheduling, Preparing, Migrating, RestoringFastPath, RollingBack);
        na(ROUTE_DOWN, "the source's libvirt connects to the target's only to start the job (SwitchingToStandby"
                + " hands over to it, Migrating starts it)", Pending, Scheduling, Preparing, RestoringFastPath,
                RollingBack);
        na(MIGRATION_FAILS, "the libvirt job runs only in Migrating", Pending, Scheduling, Preparing,
                SwitchingToStandby, RestoringFastPath, RollingBack);
        na(ABORT_FAILS, "an abort is only asked in RollingBack, of a job still running", Pending, Scheduling,
                Preparing, TargetReady, SwitchingToStandby, Migrating, RestoringFastPath);
        na(ATTACH_REFUSED, "a VF is attached only in RestoringFastPath (target) and RollingBack (source); "
                + operatorOnly + " elsewhere", Pending, Scheduling, Preparing, TargetReady, SwitchingToStandby,
                Migrating);
        na(BOND_WRITE_IGNORED, "bonds are written only in SwitchingToStandby, RestoringFastPath and RollingBack"
                + " (Preparing finds the target bond on the SF representor already)", Pending, Scheduling,
                Preparing, Migrating);
    }

    private final boolean disruptive;
    private final String description;

    Fault(boolean disruptive, String description) {
        this.disruptive = disruptive;
        this.description = description;
    }

    abstract void apply(Sandbox sandbox, FaultTarget target, Armed armed);

    /** True when the fault stops or restarts something (run on its own thread); false when it arms a failure. */
    public boolean disruptive() {
        return disruptive;
    }

    public String description() {
        return description;
    }

    /** Why this fault means nothing in {@code phase}; empty when it applies there. */
    public Optional<String> notApplicableAt(MigrationPhase phase) {
        return Optional.ofNullable(NOT_APPLICABLE.getOrDefault(this, Map.of()).get(phase));
    }

    /** The faults that apply to a migration entering {@code phase}. */
    public static List<Fault> applicableAt(MigrationPhase phase) {
        return Arrays.stream(values()).filter(f -> f.notApplicableAt(phase).isEmpty()).toList();
    }

    /**
     * Injects this fault. Arming faults are in place when this returns; disruptive ones run on their own thread
     * (the caller may be inside the API server), and {@link Injection#heal} waits for them.
     */
    public Injection inject(Sandbox sandbox, FaultTarget target) {
        Armed armed = new Armed(this, description + " (" + target.migration() + " entering " + target.phase()
                + ", owner node " + target.ownerNode() + ")");
        if (disruptive) {
            armed.running = CompletableFuture.runAsync(() -> apply(sandbox, target, armed));
        } else {
            apply(sandbox, target, armed);
        }
        return armed;
    }

    private static void api(Sandbox s, Armed a, ApiFaults.Rule rule) {
        s.api().faults().add(rule);
        a.onHeal(() -> s.api().faults().remove(rule));
    }

    private static void na(Fault f, String why, MigrationPhase... phases) {
        Map<MigrationPhase, String> m = NOT_APPLICABLE.computeIfAbsent(f, k -> new EnumMap<>(MigrationPhase.class));
        for (MigrationPhase p : phases) {
            m.put(p, why);
        }
    }

    /** An injection: what to undo on heal, and the disruptive work still running. */
    static final class Armed implements Injection {
        private final Fault fault;
        private final String description;
        private final List<Runnable> undo = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile CompletableFuture<Void> running = CompletableFuture.completedFuture(null);
        private boolean healed;

        Armed(Fault fault, String description) {
            this.fault = fault;
            this.description = description;
        }

        void onHeal(Runnable r) {
            undo.add(r);
        }

        @Override
        public Fault fault() {
            return fault;
        }

        @Override
        public String description() {
            return description;
        }

        @Override
        public void awaitApplied() {
            running.join();
        }

        @Override
        public synchronized void heal() {
            if (healed) {
                return;
            }
            running.join();
            healed = true;
            undo.forEach(Runnable::run);
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
