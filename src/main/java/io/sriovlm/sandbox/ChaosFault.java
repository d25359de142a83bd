package io.sriovlm.sandbox;

import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.sandbox.host.SimulatedFabric;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The faults a {@link ChaosRun} draws from. Each is injected on one node, or on one migration of the wave, at a
 * planned moment; whatever a fault leaves behind (a stopped agent, a closed route) is undone by the run's heal step at
 * the end of the wave at the latest.
 */
public enum ChaosFault {
    /** The agent process dies and the DaemonSet restarts it at once. */
    AGENT_RESTART {
        @Override
        boolean inject(Target t) {
            t.sandbox().restartAgent(t.node());
            return true;
        }
    },
    /** The agent is down for 0.5–3 s, then comes back. */
    AGENT_OUTAGE {
        @Override
        boolean inject(Target t) {
            t.sandbox().stopAgent(t.node());
            t.later().schedule(() -> t.sandbox().resumeAgent(t.node()), 500 + t.random().nextInt(2500),
                    TimeUnit.MILLISECONDS);
            return true;
        }
    },
    /** The operator dies and restarts. */
    OPERATOR_RESTART {
        @Override
        boolean inject(Target t) {
            t.sandbox().restartOperator();
            return true;
        }
    },
    /** The next migration leaving the node fails at the end of its copy. */
    MIGRATION_FAILS {
        @Override
        boolean inject(Target t) {
            t.sandbox().host(t.node()).failNextMigrations(1, "chaos: migration job failed");
            return true;
        }
    },
    /** libvirt refuses the next detach on the node. */
    DETACH_REFUSED {
        @Override
        boolean inject(Target t) {
            t.sandbox().host(t.node()).failNextDetach("chaos: device_del refused");
            return true;
        }
    },
    /** The guest never finishes the next unplug: no device-removed event arrives. */
    DEVICE_REMOVED_LOST {
        @Override
        boolean inject(Target t) {
            t.sandbox().host(t.node()).dropNextDeviceRemovedEvent();
            return true;
        }
    },
    /** The guest finishes the next unplug 4–10 s late: after the step's deadline, once the VM was rolled back. */
    LATE_UNPLUG {
        @Override
        boolean inject(Target t) {
            t.sandbox().host(t.node()).delayNextDeviceRemovedEvent(Duration.ofMillis(4000 + t.random().nextInt(6000)));
            return true;
        }
    },
    /** The node cannot reach one other node's libvirt until the end of the wave. */
    ROUTE_DOWN {
        @Override
        boolean inject(Target t) {
            List<String> others = ChaosRun.NODES.stream().filter(n -> !n.equals(t.node())).toList();
            String to = others.get(t.random().nextInt(others.size()));
            t.sandbox().host(t.node()).makeUnreachable(SimulatedFabric.uriOf(to), "chaos: no route to " + to);
            return true;
        }
    },
    /** A user cancels one of the wave's migrations ({@code spec.cancel}). */
    CANCEL {
        @Override
        boolean inject(Target t) {
            if (t.migration() == null) {
                return false;
            }
            t.sandbox().client().resources(SriovMigration.class).inNamespace("default").withName(t.migration())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}");
            return true;
        }
    },
    /** A user deletes one of the wave's migrations while it runs. */
    DELETE {
        @Override
        boolean inject(Target t) {
            if (t.migration() == null) {
                return false;
            }
            t.sandbox().client().resources(SriovMigration.class).inNamespace("default").withName(t.migration()).delete();
            return true;
        }
    };

    /**
     * Where a fault lands.
     *
     * @param node      the node it hits
     * @param migration one migration of the wave (in {@code default}), or null when the wave has none of its own
     * @param random    the run's seeded source, for a fault's own choices
     * @param later     where a fault schedules its own end (an outage's recovery)
     */
    record Target(Sandbox sandbox, String node, String migration, Random random, ScheduledExecutorService later) {
    }

    /** Injects the fault; false when it does not apply to this target (nothing was done). */
    abstract boolean inject(Target target);
}
