package io.sriovlm.operator.reconciler;

import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.operator.phases.MethodChoice;
import io.sriovlm.api.v1alpha1.MigrationPhase;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.common.Timestamps;
import io.sriovlm.operator.EvacuationConfig;

import java.time.Clock;
import java.time.Duration;
import io.sriovlm.operator.placement.AgentLiveness;
import io.sriovlm.common.InformerCaches;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Empties a hypervisor of its teamed VMs when it is cordoned and opted in ({@code sriovlm.io/evacuate=on-cordon}) or
 * carries a {@code sriovlm.io/evacuate} taint: one SriovMigration per VM, placement picks the targets and the existing
 * limits of the SriovMigration controller pace them. Keeps a drain guard (a pod plus a PodDisruptionBudget) on an
 * opted-in node while teamed VMs remain, and reports progress in the Node condition {@code SriovEvacuated}.
 * See docs/decisions/007-evacuation.md.
 */
public class EvacuationReconciler implements Reconciler<Node> {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(EvacuationReconciler.class);

    private final KubernetesClient client;
    private final NodeConditionWriter nodeConditions;
    private final EvacuationConfig config;
    private final EventRecorder events;
    private final Clock clock;
    private SharedInformer.View<HypervisorNic, Node> nics;
    private SharedInformer.View<VmInventory, Node> inventories;
    private InformerEventSource<SriovMigration, Node> migrations;
    private InformerEventSource<Pod, Node> guardPods;
    private InformerEventSource<PodDisruptionBudget, Node> guardBudgets;
    private SharedInformer.View<io.fabric8.kubernetes.api.model.coordination.v1.Lease, Node> leases;
    private final SharedInformers informers;

    public EvacuationReconciler(KubernetesClient client, SharedInformers informers, EvacuationConfig config,
            EventRecorder events, Clock clock) {
        this.informers = informers;
        this.client = client;
        this.nodeConditions = new NodeConditionWriter(client);
        this.config = config;
        this.events = events;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, Node>> prepareEventSources(EventSourceContext<Node> context) {
        nics = informers.nics.view(context, (HypervisorNic n) -> n.getSpec() == null || n.getSpec().nodeName == null
                ? Set.of() : Set.of(new ResourceID(n.getSpec().nodeName)));
        inventories = informers.inventories.view(context, (VmInventory i) -> i.getSpec() == null
                || i.getSpec().nodeName == null ? Set.of() : Set.of(new ResourceID(i.getSpec().nodeName)));
        migrations = labelled(SriovMigration.class, Labels.EVACUATION, context);
        guardPods = labelled(Pod.class, Labels.EVACUATION_GUARD, context);
        guardBudgets = labelled(PodDisruptionBudget.class, Labels.EVACUATION_GUARD, context);
        // A renewal tells when the node's inventory was last confirmed (a VM that came back); it matters only on a
        // node being evacuated.
        var primaries = context.getPrimaryCache();
        leases = ClusterCaches.agentLeases(informers, context,
                lease -> Set.of(new ResourceID(lease.getMetadata().getLabels().get(Labels.NODE))),
                node -> node != null && primaries.get(new ResourceID(node)).map(EvacuationReconciler::triggered)
                        .orElse(false));
        return List.of(nics, inventories, migrations, guardPods, guardBudgets, leases);
    }

    /** An informer on this kind in the evacuation namespace, objects carrying {@code label}, mapped to that node. */
    private <R extends HasMetadata> InformerEventSource<R, Node> labelled(Class<R> type, String label,
            EventSourceContext<Node> context) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, Node.class)
                .withName("Evacuation" + type.getSimpleName())
                .withItemStore(io.sriovlm.common.InterningItemStore.of(type))
                .withNamespaces(Set.of(config.namespace()))
                .withLabelSelector(label)
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper((R r) -> Set.of(new ResourceID(r.getMetadata().getLabels().get(label))))
                .build(), context);
    }

    /** Cordoned and opted in by label, or tainted: the evacuation runs. */
    public static boolean triggered(Node node) {
        boolean cordoned = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
        return tainted(node) || (cordoned && optedIn(node));
    }

    /** Triggered and not yet done: the node's SriovEvacuated condition is not True. */
    public static boolean underWay(Node node) {
        var done = currentCondition(node);
        return triggered(node) && (done == null || !"True".equals(done.getStatus()));
    }

    static boolean optedIn(Node node) {
        var labels = node.getMetadata().getLabels();
        return labels != null && Labels.ON_CORDON.equals(labels.get(Labels.EVACUATE));
    }

    static boolean tainted(Node node) {
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        return taints != null && taints.stream().anyMatch(t -> Labels.EVACUATE.equals(t.getKey()));
    }

    @Override
    public UpdateControl<Node> reconcile(Node node, Context<Node> context) {
        try {
            return reconcileNode(nodeConditions.freshest(node));
        } catch (ConflictRetry e) {
            return UpdateControl.<Node>noUpdate().rescheduleAfter(Duration.ofMillis(200));
        } catch (RuntimeException e) {
            LOG.warnf(e, "evacuation of node %s: %s", node.getMetadata().getName(), e.getMessage());
            throw e;
        }
    }

    private UpdateControl<Node> reconcileNode(Node node) {
        String name = node.getMetadata().getName();
        Map<String, VmInventoryStatus.VmStatus> vms = new LinkedHashMap<>();
        Map<String, Instant> reportedAt = new LinkedHashMap<>();
        AgentLiveness.Renewals renewals = ClusterCaches.leaseRenewals(leases, informers.agentLeaseNamespace);
        // VMs whose VF is passed through outside teaming: their migration may use method VfState.
        java.util.Set<String> plainVf = new java.util.HashSet<>();
        nics.list().filter(n -> n.getSpec() != null && name.equals(n.getSpec().nodeName) && n.getStatus() != null)
                .sorted(Comparator.comparing(n -> n.getMetadata().getName()))
                .forEach(n -> inventories.get(new ResourceID(n.getMetadata().getName()))
                        .filter(i -> i.getStatus() != null).ifPresent(i -> i.getStatus().vms.forEach(vm -> {
                            vms.putIfAbsent(vm.name, vm);
                            reportedAt.putIfAbsent(vm.name, AgentLiveness.lastReport(n, i, renewals));
                            MethodChoice.vfOutsideTeaming(i, vm.name).ifPresent(vf -> plainVf.add(vm.name));
                        })));
        Map<String, SriovMigration> mine = migrations.list()
                .filter(m -> name.equals(m.getMetadata().getLabels().get(Labels.EVACUATION)) && m.getSpec() != null)
                .collect(Collectors.toMap(m -> m.getSpec().vmName, m -> m, (a, b) -> a));
        if (!InformerCaches.stillRunning(nics, inventories, migrations, guardPods, guardBudgets, leases)) {
            // Shutting down: the emptied caches would read as "no VM left" and release the drain guard.
            return UpdateControl.noUpdate();
        }

        // The guard exists while an opted-in (or tainted) node has teamed VMs, cordoned or not, so that a
        // `kubectl drain`, which lists the node's pods once right after it cordons, always finds it.
        syncGuard(node, (optedIn(node) || tainted(node)) && !vms.isEmpty());

        if (!triggered(node)) {
            List<String> cancelled = new ArrayList<>();
            for (SriovMigration m : mine.values()) {
                if (notStarted(m) && !m.getSpec().cancelRequested()) {
                    client.resource(m).patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}");
                    cancelled.add(m.getSpec().vmName);
                } else if (m.getSpec().cancelRequested()) {
                    cancelled.add(m.getSpec().vmName);
                }
            }
            cancelled.sort(null);
            if (currentCondition(node) != null) {
                setCondition(node, false, Reasons.NOT_EVACUATING, cancelled.isEmpty()
                        ? "evacuation stopped: the node is schedulable again"
                        : "evacuation stopped: the node is schedulable again; cancelled the migrations of "
                                + String.join(", ", cancelled));
            }
            return UpdateControl.noUpdate();
        }

        if (vms.isEmpty()) {
            setCondition(node, true, Reasons.EVACUATED, "no teamed VM remains on " + name);
            return UpdateControl.noUpdate();
        }
        List<String> blocked = new ArrayList<>();
        List<String> moving = new ArrayList<>();
        for (VmInventoryStatus.VmStatus vm : vms.values()) {
            SriovMigration m = mine.get(vm.name);
            if (Boolean.FALSE.equals(vm.teamingValid) && !plainVf.contains(vm.name)) {
                blocked.add(vm.name + ": teaming broken"
                        + (vm.problems == null || vm.problems.isEmpty() ? "" : " (" + String.join("; ", vm.problems) + ")"));
                continue;
            }
            if (m == null) {
                create(node, vm.name, plainVf.contains(vm.name));
                moving.add(vm.name);
                continue;
            }
            MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
            if (phase == MigrationPhase.Cancelled || (phase == MigrationPhase.Succeeded
                    && reportedAfter(reportedAt.get(vm.name), m))) {
                // Cancelled by an earlier uncordon, or moved away and back since (the node's report, taken after
                // the migration succeeded, still shows the VM): start over, the next reconcile creates it again.
                client.resource(m).delete();
                moving.add(vm.name);
            } else if (phase == MigrationPhase.Failed || phase == MigrationPhase.RolledBack) {
                String why = m.getStatus().failureReason != null ? m.getStatus().failureReason : phase.name();
                blocked.add(vm.name + ": migration " + m.getMetadata().getName() + " " + phase + " (" + why
                        + (m.getStatus().message == null ? "" : ": " + m.getStatus().message) + ")");
            } else {
                moving.add(vm.name);
            }
        }
        if (!blocked.isEmpty()) {
            setCondition(node, false, Reasons.EVACUATION_BLOCKED_CONDITION, "cannot move: " + String.join("; ", blocked)
                    + (moving.isEmpty() ? "" : "; still moving: " + String.join(", ", moving)));
        } else {
            setCondition(node, false, Reasons.EVACUATING, vms.size() + " teamed VM(s) left: " + String.join(", ", moving));
        }
        return UpdateControl.<Node>noUpdate().rescheduleAfter(Duration.ofSeconds(10));
    }

    /** True when the node's report that lists the VM was taken after {@code m} succeeded. */
    private static boolean reportedAfter(Instant report, SriovMigration m) {
        Instant done = m.getStatus().phaseTimestamps.stream().filter(t -> t.phase == MigrationPhase.Succeeded)
                .map(t -> Timestamps.parse(t.at)).filter(java.util.Objects::nonNull).findFirst().orElse(null);
        return report != null && done != null && report.isAfter(done.plusSeconds(1));
    }

    /** Nothing on the source touched yet: waiting, or its target prepared ahead (a cancel ends it Cancelled). */
    private static boolean notStarted(SriovMigration m) {
        MigrationPhase phase = m.getStatus() == null ? null : m.getStatus().phase;
        return phase == null || phase.leavesSourceUntouched();
    }

    /** Name of the evacuation's migration of {@code vm}: stable, so that creating it again is a 409, not a twin. */
    public static String migrationName(String node, String vm) {
        String raw = "evac-" + node + "-" + vm;
        String clean = raw.toLowerCase().replaceAll("[^a-z0-9.-]", "-");
        if (clean.equals(raw) && clean.length() <= 240) {
            return clean;
        }
        String hash = Integer.toHexString(raw.hashCode());
        return clean.substring(0, Math.min(clean.length(), 240)).replaceAll("[.-]+$", "") + "-" + hash;
    }

    private static OwnerReference ownedBy(Node node, boolean controller) {
        return new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                .withName(node.getMetadata().getName()).withUid(node.getMetadata().getUid())
                .withController(controller ? true : null).build();
    }

    /**
     * @param vfOutsideTeaming the VM's VF is passed through without teaming: only method VfState can move it, so its
     *                         migration asks for Auto whatever the pool's default (Auto picks VfState for it, and says
     *                         why in MethodChosen when a host does not qualify)
     */
    private void create(Node node, String vm, boolean vfOutsideTeaming) {
        String nodeName = node.getMetadata().getName();
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(migrationName(nodeName, vm));
        m.getMetadata().setNamespace(config.namespace());
        m.getMetadata().setLabels(Map.of(Labels.EVACUATION, nodeName));
        m.getMetadata().setOwnerReferences(List.of(ownedBy(node, false)));
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = vm;
        m.getSpec().sourceNode = nodeName;
        if (vfOutsideTeaming) {
            m.getSpec().method = io.sriovlm.api.v1alpha1.MigrationMethod.Auto;
        }
        if (config.migrationOptions() != null) {
            m.getSpec().options = Serialization.clone(config.migrationOptions());
        }
        try {
            client.resource(m).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private void syncGuard(Node node, boolean wanted) {
        String nodeName = node.getMetadata().getName();
        String guardName = "sriovlm-evacuation-guard-" + nodeName;
        boolean podThere = guardPods.list().anyMatch(p -> nodeName.equals(p.getMetadata().getLabels().get(Labels.EVACUATION_GUARD)));
        boolean pdbThere = guardBudgets.list().anyMatch(p -> nodeName.equals(p.getMetadata().getLabels().get(Labels.EVACUATION_GUARD)));
        if (wanted) {
            if (!pdbThere) {
                createIgnoringConflict(new PodDisruptionBudgetBuilder().withNewMetadata().withName(guardName)
                        .withNamespace(config.namespace()).addToLabels(Labels.EVACUATION_GUARD, nodeName)
                        .withOwnerReferences(ownedBy(node, true)).endMetadata()
                        // minAvailable 1 rather than maxUnavailable 0: the disruption controller counts pods for an
                        // integer minAvailable without looking up a scalable controller, which a Node is not.
                        .withNewSpec().withMinAvailable(new IntOrString(1))
                        .withNewSelector().addToMatchLabels(Labels.EVACUATION_GUARD, nodeName).endSelector().endSpec().build());
            }
            if (!podThere) {
                createIgnoringConflict(new PodBuilder().withNewMetadata().withName(guardName)
                        .withNamespace(config.namespace()).addToLabels(Labels.EVACUATION_GUARD, nodeName)
                        // A controller reference: `kubectl drain` evicts controlled pods instead of refusing them, and
                        // the eviction is what the PDB refuses while teamed VMs remain.
                        .withOwnerReferences(ownedBy(node, true)).endMetadata()
                        .withNewSpec().withNodeName(nodeName).withAutomountServiceAccountToken(false)
                        .withTerminationGracePeriodSeconds(0L)
                        .addNewToleration().withOperator("Exists").endToleration()
                        .addNewContainer().withName("guard").withImage(config.guardImage())
                        .withNewResources().addToRequests("cpu", new Quantity("1m"))
                        .addToRequests("memory", new Quantity("8Mi")).endResources().endContainer()
                        .endSpec().build());
                events.normal(node, Reasons.EVACUATION_GUARD_CREATED, "pod and PodDisruptionBudget " + config.namespace() + "/"
                        + guardName + " hold `kubectl drain` while teamed VMs remain on " + nodeName);
            }
        } else if (podThere || pdbThere) {
            client.pods().inNamespace(config.namespace()).withName(guardName).delete();
            client.policy().v1().podDisruptionBudget().inNamespace(config.namespace()).withName(guardName).delete();
            events.normal(node, Reasons.EVACUATION_GUARD_REMOVED, "no teamed VM remains on " + nodeName
                    + "; the drain guard is gone");
        }
    }

    private void createIgnoringConflict(HasMetadata object) {
        try {
            client.resource(object).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    private static io.fabric8.kubernetes.api.model.NodeCondition currentCondition(Node node) {
        return node.getStatus() == null || node.getStatus().getConditions() == null ? null
                : node.getStatus().getConditions().stream().filter(c -> ConditionTypes.SRIOV_EVACUATED.equals(c.getType())).findFirst()
                        .orElse(null);
    }

    /** Writes our one Node condition when it changed, and an Event when its reason changes. */
    private void setCondition(Node node, boolean status, String reason, String message) {
        var current = currentCondition(node);
        String s = status ? "True" : "False";
        if (current != null && s.equals(current.getStatus()) && reason.equals(current.getReason())
                && message.equals(current.getMessage())) {
            return;
        }
        String now = Timestamps.format(clock.instant());
        String transition = current != null && s.equals(current.getStatus()) && current.getLastTransitionTime() != null
                ? current.getLastTransitionTime() : now;
        if (nodeConditions.set(node, new io.fabric8.kubernetes.api.model.NodeConditionBuilder()
                .withType(ConditionTypes.SRIOV_EVACUATED).withStatus(s).withReason(reason).withMessage(message)
                .withLastHeartbeatTime(now).withLastTransitionTime(transition).build()).isEmpty()) {
            throw new ConflictRetry();
        }
        if (current == null || !reason.equals(current.getReason())) {
            String eventReason = switch (reason) {
                case Reasons.EVACUATED -> Reasons.EVACUATED;
                case Reasons.EVACUATION_BLOCKED_CONDITION -> Reasons.EVACUATION_BLOCKED;
                case Reasons.EVACUATING -> Reasons.EVACUATION_STARTED;
                default -> Reasons.EVACUATION_STOPPED;
            };
            events.record(node, reason.equals(Reasons.EVACUATION_BLOCKED_CONDITION) ? EventRecorder.WARNING : EventRecorder.NORMAL, eventReason,
                    message);
        }
    }

    /** The Node changed under our status PUT (a kubelet heartbeat): decide again on the fresh object. */
    private static final class ConflictRetry extends RuntimeException {
        ConflictRetry() {
            super(null, null, false, false);
        }
    }
}
