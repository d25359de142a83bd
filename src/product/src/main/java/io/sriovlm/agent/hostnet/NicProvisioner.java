package io.sriovlm.agent.hostnet;

import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.NicPlanner.StepPlan;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec.BondBackend;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus.StepStatus;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Makes a node's NIC look as its HypervisorNic says, in the runbook's order, and reports every step. One call per
 * agent heartbeat or spec change:
 * <ol>
 * <li>validate the spec (names, ranges), then discover the host and validate against it (sriov_totalvfs);</li>
 * <li>plan every step against the host as found; nothing to do → Succeeded;</li>
 * <li>{@code externallyManaged} → report what differs, change nothing;</li>
 * <li>after a successful sync of this generation, differences are drift: reported, repaired only with
 * {@code spec.repair};</li>
 * <li>refuse (condition, nothing changed) while migrations touch this node, or a sriov_numvfs change while VFs are
 * attached to running VMs;</li>
 * <li>apply step by step, re-discovering before each, stopping at the first failure with the step, the argv and the
 * error.</li>
 * </ol>
 */
public final class NicProvisioner {

    private static final int SF_ROUNDS = 3;

    /**
     * What the agent knows besides the host: the spec's generation and the generation last synced (from status), the
     * VFs attached to running VMs (PCI address → domain), and the migrations in flight on this node (asked only
     * when there is something to change).
     */
    public record Context(Long generation, Long syncedGeneration, Map<String, String> attachedVfs,
            Supplier<List<String>> migrationsInFlight) {
    }

    /** A condition to set: type, status, reason, message. */
    public record ConditionUpdate(String type, boolean status, String reason, String message) {
    }

    /** The outcome of one provisioning pass, ready to be copied into HypervisorNic.status. */
    public record Report(String syncStatus, String lastSyncError, Long syncedGeneration, List<StepStatus> steps,
            List<String> drift, NicInventory inventory, List<ConditionUpdate> conditions) {
        public boolean failed() {
            return HypervisorNicStatus.SYNC_FAILED.equals(syncStatus);
        }
    }

    private final SysfsHostNetwork sysfs;
    private final CommandRunner runner;
    private final NicDiscovery discovery;
    private final NicPlanner planner;
    private final OvsCli ovs;

    public NicProvisioner(SysfsHostNetwork sysfs, CommandRunner runner, OvsCli ovs) {
        this.sysfs = sysfs;
        this.runner = runner;
        this.ovs = ovs;
        this.discovery = new NicDiscovery(sysfs, runner, ovs);
        this.planner = new NicPlanner(ovs);
    }

    /** The sysfs this provisioner reads and writes, for the agent's other host reads (VF-state facts). */
    public SysfsHostNetwork sysfs() {
        return sysfs;
    }

    /** The host tools this provisioner runs, for the agent's other host reads (the VFs' settings). */
    public CommandRunner commands() {
        return runner;
    }

    public NicDiscovery discovery() {
        return discovery;
    }

    public Report provision(HypervisorNicSpec spec, Context ctx) {
        List<String> invalid = NicPlanner.validate(spec);
        if (!invalid.isEmpty()) {
            String msg = "invalid spec: " + String.join("; ", invalid);
            return failedBeforeSteps(ctx, null, Reasons.INVALID_SPEC, msg);
        }
        NicInventory inv = discovery.discover(spec);
        if (inv.pf() == null) {
            return failedBeforeSteps(ctx, inv, Reasons.PF_NOT_FOUND, inv.pfProblem());
        }
        List<String> hostInvalid = NicPlanner.validate(spec, inv);
        if (!hostInvalid.isEmpty()) {
            return failedBeforeSteps(ctx, inv, Reasons.INVALID_SPEC, "invalid spec for this host: " + String.join("; ", hostInvalid));
        }

        Map<ProvisioningStep, StepPlan> preview = new EnumMap<>(ProvisioningStep.class);
        for (ProvisioningStep step : ProvisioningStep.values()) {
            preview.put(step, planner.plan(step, spec, inv));
        }
        List<String> differences = describe(preview);
        Set<String> attachedPcis = ctx.attachedVfs() == null ? Set.of() : ctx.attachedVfs().keySet();

        if (Boolean.TRUE.equals(spec.externallyManaged)) {
            List<StepStatus> steps = new ArrayList<>();
            preview.forEach((step, plan) -> steps.add(step(step, plan.inSync() ? StepStatus.VALIDATED : StepStatus.DIFFERS,
                    plan.actions(), plan.problem() != null ? plan.problem()
                            : plan.inSync() ? null : "would run " + plan.actions().size() + " action(s)")));
            if (differences.isEmpty()) {
                return new Report(HypervisorNicStatus.SYNC_SUCCEEDED, null, ctx.generation(), steps, List.of(), inv, List.of(
                        new ConditionUpdate(ConditionTypes.PROVISIONED, true, Reasons.EXTERNALLY_MANAGED,
                                "externally managed: the host matches the spec; nothing was changed"),
                        noRefusal(), noDrift()));
            }
            String msg = "externally managed: the host differs from the spec and the agent changes nothing: "
                    + String.join("; ", differences);
            return new Report(HypervisorNicStatus.SYNC_FAILED, msg, ctx.syncedGeneration(), steps, differences, inv, List.of(
                    new ConditionUpdate(ConditionTypes.PROVISIONED, false, Reasons.EXTERNALLY_MANAGED_DIFFERS, msg), noRefusal(), noDrift()));
        }

        boolean synced = ctx.generation() != null && Objects.equals(ctx.generation(), ctx.syncedGeneration());
        List<String[]> activeDrift = List.of();
        List<String> inFlight = null;
        if (synced) {
            inFlight = ctx.migrationsInFlight().get();
            if (inFlight.isEmpty()) {
                // while a migration runs the agents move the bonds themselves; only judge the active slave at rest
                activeDrift = NicPlanner.activeSlaveDrift(spec, inv, attachedPcis);
            }
        }
        List<String> drift = new ArrayList<>(differences);
        activeDrift.forEach(d -> drift.add("bond " + d[0] + ": active slave is " + d[1] + ", should be " + d[2]));

        if (differences.isEmpty() && activeDrift.isEmpty()) {
            List<StepStatus> steps = new ArrayList<>();
            preview.forEach((step, plan) -> steps.add(step(step, StepStatus.UNCHANGED, List.of(), null)));
            return new Report(HypervisorNicStatus.SYNC_SUCCEEDED, null, ctx.generation(), steps, List.of(), inv, List.of(
                    new ConditionUpdate(ConditionTypes.PROVISIONED, true, Reasons.UP_TO_DATE, "the host matches the spec"), noRefusal(), noDrift()));
        }
        if (synced && !Boolean.TRUE.equals(spec.repair)) {
            List<StepStatus> steps = new ArrayList<>();
            preview.forEach((step, plan) -> steps.add(step(step, plan.problem() != null ? StepStatus.FAILED
                    : plan.inSync() ? StepStatus.UNCHANGED : StepStatus.DRIFT, plan.actions(), plan.problem())));
            var broken = preview.entrySet().stream().filter(e -> e.getValue().problem() != null).findFirst();
            if (broken.isPresent()) {
                // Not drift but a host that cannot be read or changed any more (OVS down, devlink gone): a failure.
                String error = "step " + broken.get().getKey().statusName() + ": " + broken.get().getValue().problem();
                return new Report(HypervisorNicStatus.SYNC_FAILED, error, ctx.syncedGeneration(), steps, drift, inv, List.of(
                        new ConditionUpdate(ConditionTypes.PROVISIONED, false, Reasons.STEP_FAILED, error), noRefusal(),
                        new ConditionUpdate(ConditionTypes.DRIFTED, true, Reasons.DRIFT_FOUND, String.join("; ", drift))));
            }
            String msg = "the host drifted from the spec after it was provisioned: " + String.join("; ", drift)
                    + "; not repaired (set spec.repair: true to repair)";
            return new Report(HypervisorNicStatus.SYNC_SUCCEEDED, null, ctx.syncedGeneration(), steps, drift, inv, List.of(
                    new ConditionUpdate(ConditionTypes.PROVISIONED, true, Reasons.DRIFT_NOT_REPAIRED, msg), noRefusal(),
                    new ConditionUpdate(ConditionTypes.DRIFTED, true, Reasons.DRIFT_FOUND, msg)));
        }

        // Something is to change: refuse what is unsafe before touching anything.
        if (inFlight == null) {
            inFlight = ctx.migrationsInFlight().get();
        }
        if (!inFlight.isEmpty()) {
            String msg = "not changing the host while migrations are in flight on this node (" + String.join(", ", inFlight)
                    + "); pending: " + String.join("; ", drift);
            return refused(preview, ctx, inv, drift, Reasons.MIGRATIONS_IN_FLIGHT, msg, synced);
        }
        StepPlan numVfs = preview.get(ProvisioningStep.NUM_VFS);
        if (!numVfs.actions().isEmpty() && !attachedPcis.isEmpty()) {
            String holders = ctx.attachedVfs().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "));
            String msg = "not changing sriov_numvfs of " + inv.pf().name() + " from " + inv.pf().numVfs() + " to "
                    + spec.numVfs + ": the kernel removes every VF to change the count, and VFs " + holders
                    + " are attached to running VMs; migrate or stop those VMs first";
            return refused(preview, ctx, inv, drift, Reasons.VFS_IN_USE, msg, synced);
        }

        // Apply, in the runbook's order.
        List<StepStatus> steps = new ArrayList<>();
        List<String> applied = new ArrayList<>();
        NicInventory current = inv;
        ProvisioningStep[] order = ProvisioningStep.values();
        for (int i = 0; i < order.length; i++) {
            ProvisioningStep step = order[i];
            StepPlan plan = i == 0 ? preview.get(step) : planner.plan(step, spec, current);
            List<HostAction> ran = new ArrayList<>();
            String failure = plan.problem();
            int rounds = 0;
            while (failure == null && !plan.actions().isEmpty()) {
                failure = execute(plan.actions(), ran);
                current = discovery.discover(spec);
                if (failure != null || step != ProvisioningStep.SFS || ++rounds >= SF_ROUNDS) {
                    break;
                }
                plan = planner.plan(step, spec, current); // SFs: added ports become activatable
                failure = plan.problem();
            }
            if (failure != null) {
                steps.add(step(step, StepStatus.FAILED, ran, failure));
                List<String> notRun = new ArrayList<>();
                for (int j = i + 1; j < order.length; j++) {
                    steps.add(step(order[j], StepStatus.NOT_RUN, List.of(), null));
                    notRun.add(order[j].statusName());
                }
                String error = "step " + step.statusName() + ": " + failure;
                String msg = error + "; applied before it: " + (applied.isEmpty() ? "nothing" : String.join(", ", applied))
                        + "; not run: " + (notRun.isEmpty() ? "nothing" : String.join(", ", notRun));
                return new Report(HypervisorNicStatus.SYNC_FAILED, error, ctx.syncedGeneration(), steps, drift, current, List.of(
                        new ConditionUpdate(ConditionTypes.PROVISIONED, false, Reasons.STEP_FAILED, msg), noRefusal(),
                        synced ? new ConditionUpdate(ConditionTypes.DRIFTED, true, Reasons.DRIFT_FOUND, String.join("; ", drift)) : noDrift()));
            }
            if (ran.isEmpty()) {
                steps.add(step(step, StepStatus.UNCHANGED, List.of(), null));
            } else {
                steps.add(step(step, StepStatus.APPLIED, ran, null));
                applied.add(step.statusName());
            }
        }
        if (!activeDrift.isEmpty()) {
            List<HostAction> ran = new ArrayList<>();
            String failure = repairActiveSlaves(spec, activeDrift, ran);
            steps.add(step("activeSlave", failure == null ? StepStatus.APPLIED : StepStatus.FAILED, ran, failure));
            current = discovery.discover(spec);
            if (failure != null) {
                String error = "step activeSlave: " + failure;
                return new Report(HypervisorNicStatus.SYNC_FAILED, error, ctx.syncedGeneration(), steps, drift, current, List.of(
                        new ConditionUpdate(ConditionTypes.PROVISIONED, false, Reasons.STEP_FAILED, error), noRefusal(),
                        new ConditionUpdate(ConditionTypes.DRIFTED, true, Reasons.DRIFT_FOUND, String.join("; ", drift))));
            }
            applied.add("activeSlave");
        }
        String msg = (synced ? "repaired drift: " : "applied: ") + String.join(", ", applied);
        List<String> hints = hints(spec, preview);
        if (!hints.isEmpty()) {
            msg += "; " + String.join("; ", hints);
        }
        return new Report(HypervisorNicStatus.SYNC_SUCCEEDED, null, ctx.generation(), steps, synced ? drift : List.of(), current, List.of(
                new ConditionUpdate(ConditionTypes.PROVISIONED, true, synced ? Reasons.DRIFT_REPAIRED : Reasons.APPLIED, msg), noRefusal(),
                synced ? new ConditionUpdate(ConditionTypes.DRIFTED, false, Reasons.DRIFT_REPAIRED, "repaired: " + String.join("; ", drift))
                        : noDrift()));
    }

    private static List<String> hints(HypervisorNicSpec spec, Map<ProvisioningStep, StepPlan> preview) {
        boolean hwOffloadChanged = preview.get(ProvisioningStep.OVS).actions().stream()
                .anyMatch(a -> a.describe().contains("other_config:hw-offload="));
        return hwOffloadChanged ? List.of("other_config:hw-offload takes effect when ovs-vswitchd restarts") : List.of();
    }

    private String repairActiveSlaves(HypervisorNicSpec spec, List<String[]> drift, List<HostAction> ran) {
        boolean ovsBonds = spec.ovs != null && spec.ovs.bondBackend == BondBackend.ovs;
        List<HostAction> actions = new ArrayList<>();
        for (String[] d : drift) {
            String bond = NicPlanner.netdev(d[0]);
            String slave = NicPlanner.netdev(d[2]);
            actions.add(ovsBonds ? new HostAction.Run(ovs.appctl("bond/set-active-member", bond, slave))
                    : new HostAction.Write("class/net/" + bond + "/bonding/active_slave", slave));
        }
        return execute(actions, ran);
    }

    /** Runs actions in order until one fails; returns the failure (action and error) or null. */
    private String execute(List<HostAction> actions, List<HostAction> ran) {
        for (HostAction action : actions) {
            ran.add(action);
            if (action instanceof HostAction.Run run) {
                CommandResult r = runner.run(run.argv());
                if (!r.succeeded()) {
                    return "`" + run.describe() + "` exited " + r.exitCode() + ": " + r.error();
                }
            } else if (action instanceof HostAction.Write write) {
                try {
                    sysfs.write(write.path(), write.value());
                } catch (IOException e) {
                    return "`" + write.describe() + "` failed: " + (e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
        }
        return null;
    }

    private Report refused(Map<ProvisioningStep, StepPlan> preview, Context ctx, NicInventory inv, List<String> drift,
            String reason, String msg, boolean synced) {
        List<StepStatus> steps = new ArrayList<>();
        preview.forEach((step, plan) -> steps.add(step(step, plan.inSync() ? StepStatus.UNCHANGED : StepStatus.REFUSED, plan.actions(),
                plan.problem())));
        return new Report(HypervisorNicStatus.SYNC_IN_PROGRESS, null, ctx.syncedGeneration(), steps, synced ? drift : List.of(), inv, List.of(
                new ConditionUpdate(ConditionTypes.PROVISIONED, synced, "Refused", msg),
                new ConditionUpdate(ConditionTypes.CHANGE_REFUSED, true, reason, msg),
                synced ? new ConditionUpdate(ConditionTypes.DRIFTED, true, Reasons.DRIFT_FOUND, String.join("; ", drift)) : noDrift()));
    }

    private static Report failedBeforeSteps(Context ctx, NicInventory inv, String reason, String msg) {
        List<StepStatus> steps = new ArrayList<>();
        for (ProvisioningStep step : ProvisioningStep.values()) {
            steps.add(step(step, StepStatus.NOT_RUN, List.of(), null));
        }
        return new Report(HypervisorNicStatus.SYNC_FAILED, msg, ctx.syncedGeneration(), steps, List.of(), inv, List.of(
                new ConditionUpdate(ConditionTypes.PROVISIONED, false, reason, msg), noRefusal(), noDrift()));
    }

    private static ConditionUpdate noRefusal() {
        return new ConditionUpdate(ConditionTypes.CHANGE_REFUSED, false, Reasons.NOTHING_REFUSED, "no change refused");
    }

    private static ConditionUpdate noDrift() {
        return new ConditionUpdate(ConditionTypes.DRIFTED, false, Reasons.NO_DRIFT, "no drift found");
    }

    private static List<String> describe(Map<ProvisioningStep, StepPlan> plans) {
        List<String> out = new ArrayList<>();
        plans.forEach((step, plan) -> {
            if (plan.problem() != null) {
                out.add(step.statusName() + ": " + plan.problem());
            } else if (!plan.actions().isEmpty()) {
                out.add(step.statusName() + ": " + plan.actions().stream().map(HostAction::describe)
                        .collect(Collectors.joining(", ")));
            }
        });
        return out;
    }

    private static StepStatus step(ProvisioningStep step, String result, List<HostAction> actions, String message) {
        return step(step.statusName(), result, actions, message);
    }

    private static StepStatus step(String name, String result, List<HostAction> actions, String message) {
        StepStatus s = new StepStatus();
        s.name = name;
        s.result = result;
        s.commands = actions.isEmpty() ? null : actions.stream().map(HostAction::describe).toList();
        s.message = message;
        return s;
    }
}
