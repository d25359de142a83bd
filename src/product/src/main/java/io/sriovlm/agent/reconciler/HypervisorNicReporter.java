package io.sriovlm.agent.reconciler;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.FastPathGuard;
import io.sriovlm.agent.HostObservation;
import io.sriovlm.agent.ProvisioningStatus;
import io.sriovlm.agent.VfHygiene;
import io.sriovlm.api.v1alpha1.VfClaim;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.api.v1alpha1.ConditionTypes;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicStatus;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.Reasons;
import io.sriovlm.api.v1alpha1.VmInventory;
import io.sriovlm.api.v1alpha1.VmInventoryStatus;
import io.sriovlm.common.Conditions;
import io.sriovlm.common.EventRecorder;
import io.sriovlm.common.InformerCaches;
import io.sriovlm.common.Timestamps;
import io.sriovlm.status.HypervisorNicStatusWriter;
import io.sriovlm.status.VmInventoryStatusWriter;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reports this node's host: its setup (PF, SFs, bonds, OVS, provisioning) into its HypervisorNic's status, and what
 * runs on it (the domains, which one holds each VF and the VFs' settings, each bond's active member) into its
 * VmInventory's status, which it creates when missing (docs/decisions/028-vm-inventory.md). Sees only its own node's
 * objects (label selector {@code sriovlm.io/node=NODE}); runs when the NIC's spec changes (generation), at each
 * heartbeat interval, and when a migration step asks ({@link #reportNow}) -- not on status writes, its own included.
 * A report that changes nothing but the time renews the node's heartbeat Lease instead of rewriting the statuses:
 * docs/decisions/023-heartbeat-leases.md.
 */
public class HypervisorNicReporter implements Reconciler<HypervisorNic> {
    private static final Logger LOG = Logger.getLogger(HypervisorNicReporter.class);
    private static final int REPORT_NOW_ATTEMPTS = 5;

    private final KubernetesClient client;
    private final AgentConfig config;
    private final HostObservation host;
    private final Clock clock;
    private final HypervisorNicStatusWriter writer;
    private final VmInventoryStatusWriter inventoryWriter;
    /**
     * This node's VmInventories (one per NIC) by name, as this agent last wrote or read them: it is their only writer,
     * so no watch is needed to know them (as {@link HeartbeatLease} knows its Lease); a conflict means read again.
     */
    private final java.util.Map<String, VmInventory> inventories = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Why the API server refused the agent its VmInventory at the last read or create, and at the last status write:
     * said in AgentReady at each heartbeat; each cleared only by a read, or a write, that landed (a read that works
     * says nothing of the write).
     */
    private volatile String readRefused;
    private volatile String writeRefused;
    /** The refusal last logged and recorded as an Event, so that a lasting one is said once. */
    private volatile String announced;
    private IndexedResourceCache<HypervisorNic> nics;
    private final NicProvisioner provisioner;
    private final Supplier<List<String>> migrationsInFlight;
    private final FastPathGuard guard;
    private final Supplier<Set<String>> vmsMoving;
    private final EventRecorder events;
    private final HeartbeatLease lease;

    public HypervisorNicReporter(KubernetesClient client, AgentConfig config, HostObservation host, Clock clock) {
        this(client, config, host, clock, null, List::of, null, null);
    }

    private VfHygiene hygiene;
    private Supplier<Optional<Set<String>>> heldVfs;
    private InformerEventSource<VfClaim, HypervisorNic> claims;

    /**
     * Clears the MAC and VLAN of released VFs before each heartbeat's report.
     *
     * @param heldVfs the VFs this node's migrations hold (source VFs kept for a rollback, target VFs), from the
     *                migration controllers' caches; empty when unknown. The claims are this reporter's own informer.
     */
    public void useHygiene(VfHygiene hygiene, Supplier<Optional<Set<String>>> heldVfs) {
        this.hygiene = hygiene;
        this.heldVfs = heldVfs;
    }

    /** What the ledger holds on this node: claimed VFs plus those its migrations hold; empty when unknown. */
    private Optional<Set<String>> ledgerHolds() {
        Optional<List<VfClaim>> claimed = InformerCaches.listIfRunning(claims);
        Optional<Set<String>> inFlight = heldVfs.get();
        if (claimed.isEmpty() || inFlight.isEmpty()) {
            return Optional.empty();
        }
        Set<String> held = new java.util.HashSet<>(inFlight.get());
        claimed.get().stream().filter(c -> c.getSpec() != null && config.nodeName().equals(c.getSpec().node))
                .forEach(c -> held.add(c.getSpec().pciAddress));
        return Optional.of(held);
    }

    /**
     * @param provisioner        makes the host match the spec before each report (null: observe only)
     * @param migrationsInFlight this node's unfinished migrations; the provisioner changes nothing while there are any
     * @param guard              repairs teamed VMs' host paths outside migrations before each report (null: none)
     * @param vmsMoving          VMs with an unfinished migration on this node, read fresh; null when unknown
     */
    public HypervisorNicReporter(KubernetesClient client, AgentConfig config, HostObservation host, Clock clock,
            NicProvisioner provisioner, Supplier<List<String>> migrationsInFlight, FastPathGuard guard,
            Supplier<Set<String>> vmsMoving) {
        this.client = client;
        this.config = config;
        this.host = host;
        this.clock = clock;
        this.provisioner = provisioner;
        this.migrationsInFlight = migrationsInFlight;
        this.guard = guard;
        this.vmsMoving = vmsMoving;
        this.events = new EventRecorder(client, "sriovlm-agent/" + config.nodeName(), clock);
        this.writer = new HypervisorNicStatusWriter(client);
        this.inventoryWriter = new VmInventoryStatusWriter(client);
        this.lease = new HeartbeatLease(client, config.leaseNamespace(), config.nodeName());
    }

    @Override
    public List<EventSource<?, HypervisorNic>> prepareEventSources(EventSourceContext<HypervisorNic> context) {
        nics = context.getPrimaryCache();
        // This node's claims, for the VF hygiene only: a claim's change need not wake the reporter.
        claims = new InformerEventSource<>(InformerEventSourceConfiguration.from(VfClaim.class, HypervisorNic.class)
                .withName(VfClaim.class.getSimpleName())
                .withLabelSelector(labelSelector())
                .withPrimaryToSecondaryMapper(InformerCaches.noSecondaryIndex())
                .withSecondaryToPrimaryMapper((VfClaim c) -> Set.<ResourceID>of())
                .build(), context);
        return List.of(claims);
    }

    public String labelSelector() {
        return Labels.NODE + "=" + config.nodeName();
    }

    /**
     * This node's HypervisorNic as last seen or written, for the migration steps (bonds, PF). Right after the agent
     * started, a migration step can run before this reporter's informer has synced: then it is read from the API,
     * rather than having the step see no bonds and roll back a healthy migration.
     */
    public Optional<HypervisorNic> currentNic() {
        Optional<HypervisorNic> cached = InformerCaches.listIfRunning(nics).flatMap(all -> all.stream()
                .filter(n -> config.nodeName().equals(n.getSpec().nodeName)).findFirst());
        if (cached.isPresent()) {
            return cached.map(writer::freshest);
        }
        try {
            return client.resources(HypervisorNic.class).withLabel(Labels.NODE, config.nodeName()).list().getItems()
                    .stream().filter(n -> config.nodeName().equals(n.getSpec().nodeName)).findFirst()
                    .map(writer::freshest);
        } catch (KubernetesClientException e) {
            return Optional.empty();
        }
    }

    @Override
    public UpdateControl<HypervisorNic> reconcile(HypervisorNic nic, Context<HypervisorNic> context) {
        if (!config.nodeName().equals(nic.getSpec().nodeName)) {
            return UpdateControl.noUpdate();
        }
        // Our own last write may be newer than the informer's copy: report on top of it rather than lose a 409.
        report(writer.freshest(nic));
        return UpdateControl.<HypervisorNic>noUpdate().rescheduleAfter(config.heartbeatInterval());
    }

    /**
     * Reports what runs here now (the VmInventory); used after a step that changed what the ledger must see (a VM
     * left or arrived). Unlike a heartbeat, this report must not be dropped when another write got in first (an
     * agent of this node that has not stopped yet): until it lands the operator sees the VM on the old node too, and
     * refuses the VM's next migration (VmOnSeveralNodes). So a conflict means read, observe and write again.
     */
    public synchronized void reportNow() {
        // Synchronized with the other writes of this reporter: two steps ending together (two jobs of one source
        // leaving at once, as in an evacuation) each report in turn on the version the other just wrote, instead
        // of both starting from the same one and the second losing a 409 and a GET (measured: 1-2.5 s of retries).
        HypervisorNic nic = currentNic().orElse(null);
        if (nic == null) {
            return;
        }
        // First on the version we last wrote or saw (no GET: usually nobody wrote since); a conflict means read.
        boolean reread = false;
        for (int attempt = 1; attempt <= REPORT_NOW_ATTEMPTS; attempt++) {
            if (reportInventory(nic, reread) != WriteResult.CONFLICT) {
                return;
            }
            reread = true;
        }
        LOG.warnf("VmInventory %s not written after %d conflicts; the next heartbeat reports it",
                nic.getMetadata().getName(), REPORT_NOW_ATTEMPTS);
    }

    private enum WriteResult {
        WRITTEN, UNCHANGED, CONFLICT, FAILED
    }

    /**
     * The report a migration step asks for: what runs here, which domain holds each VF, the bonds' active members --
     * the VmInventory alone. It does not provision: that is the heartbeat's and a spec change's work, and it would
     * cost two LISTs of SriovMigrations (migrations in flight) on the migration's path.
     *
     * @param reread read the inventory from the API server rather than trust the cached or last written one
     */
    private synchronized WriteResult reportInventory(HypervisorNic nic, boolean reread) {
        if (nic.getStatus() == null) {
            return report(nic);
        }
        VmInventory base = inventoryOf(nic, reread).orElse(null);
        if (base == null) {
            return WriteResult.FAILED;
        }
        VmInventoryStatus observed = host.observe(nic.getSpec(), clock.instant(), false).inventory();
        if (base.getStatus() != null) {
            keepWhatOnlyTheHeartbeatReads(base.getStatus(), observed);
        }
        return publish(nic, null, base, observed, "inventory");
    }

    /**
     * What this report cannot read and the last heartbeat did stays as it said, until the next heartbeat reads it
     * again: the guests' net_failover (asked of QEMU), the VF representors and the OVS bonds' active members (read by
     * the provisioner). Otherwise each migration step's report would write them differently and the heartbeat back.
     */
    static void keepWhatOnlyTheHeartbeatReads(VmInventoryStatus last, VmInventoryStatus observed) {
        java.util.Map<String, io.sriovlm.api.v1alpha1.GuestFailover> failover = new java.util.HashMap<>();
        last.vms.stream().filter(v -> v.guestFailover != null).forEach(v -> failover.put(v.name, v.guestFailover));
        observed.vms.forEach(v -> v.guestFailover = failover.get(v.name));
        java.util.Map<String, String> representors = new java.util.HashMap<>();
        last.vfs.stream().filter(v -> v.representor != null).forEach(v -> representors.put(v.pciAddress, v.representor));
        observed.vfs.forEach(v -> v.representor = representors.getOrDefault(v.pciAddress, v.representor));
        java.util.Set<String> seen = new java.util.HashSet<>();
        observed.bonds.forEach(b -> seen.add(b.name));
        last.bonds.stream().filter(b -> !seen.contains(b.name)).forEach(observed.bonds::add);
    }

    /**
     * This node's VmInventory for {@code nic}: as last written or read, else read, else created (named as the NIC,
     * owned by it). Empty when it can be neither read nor created (logged once).
     */
    private Optional<VmInventory> inventoryOf(HypervisorNic nic, boolean reread) {
        String name = nic.getMetadata().getName();
        VmInventory known = reread ? null : inventories.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        try {
            VmInventory read = client.resources(VmInventory.class).withName(name).get();
            if (read == null) {
                read = inventoryWriter.create(VmInventory.of(nic))
                        .orElseGet(() -> client.resources(VmInventory.class).withName(name).get());
            }
            if (read != null) {
                readRefused = null;
                inventories.put(name, read);
            }
            return Optional.ofNullable(read);
        } catch (KubernetesClientException e) {
            readRefused = refusal(nic, "can neither read nor create VmInventory " + name + " (" + e.getMessage()
                    + "): apply crds/vminventories.sriovlm.io.yaml and the agent ClusterRole of this release (get and"
                    + " create on vminventories, update on vminventories/status)");
            return Optional.empty();
        }
    }

    /**
     * The API server refuses the agent its VmInventory: this node then reports no VMs and no VF, or stale ones, so
     * no VM moves to or from it. Said in AgentReady at each heartbeat (the operator turns the NIC NotReady with this
     * message), in a Warning Event and the log once per distinct refusal.
     */
    private String refusal(HypervisorNic nic, String what) {
        String problem = "the agent of " + config.nodeName() + " " + what
                + "; until then no VM moves to or from this node";
        if (!problem.equals(announced)) {
            LOG.warn(problem);
            events.record(nic, EventRecorder.WARNING, Reasons.INVENTORY_NOT_WRITABLE, problem);
            announced = problem;
        }
        return problem;
    }

    private synchronized WriteResult report(HypervisorNic nic) {
        HypervisorNicStatus previous = nic.getStatus() == null ? new HypervisorNicStatus() : nic.getStatus();
        NicProvisioner.Report provisioned = null;
        if (provisioner != null) {
            try {
                provisioned = provisioner.provision(nic.getSpec(), new NicProvisioner.Context(
                        nic.getMetadata().getGeneration(), previous.syncedGeneration, host.attachedVfs(),
                        migrationsInFlight));
            } catch (RuntimeException e) {
                LOG.warnf(e, "provisioning %s failed unexpectedly", nic.getMetadata().getName());
                provisioned = null;
            }
        }
        if (guard != null) {
            for (String repair : guard.enforce(nic.getSpec(), vmsMoving)) {
                LOG.warnf("%s: %s", config.nodeName(), repair);
                events.record(nic, EventRecorder.WARNING, Reasons.FAST_PATH_REPAIRED, repair);
            }
        }
        if (hygiene != null) {
            for (VfHygiene.Action action : hygiene.clean(nic.getSpec(), this::ledgerHolds)) {
                if (action.cleared()) {
                    LOG.infof("%s: %s", config.nodeName(), action.message());
                } else {
                    LOG.warnf("%s: %s", config.nodeName(), action.message());
                }
                events.record(nic, action.cleared() ? EventRecorder.NORMAL : EventRecorder.WARNING,
                        action.cleared() ? Reasons.VF_CLEARED : Reasons.VF_CLEAR_FAILED, action.message());
            }
        }
        HostObservation.Observation observed = host.observe(nic.getSpec(), clock.instant());
        if (provisioned != null) {
            ProvisioningStatus.apply(observed, nic.getSpec(), provisioned, clock.instant(),
                    nic.getMetadata().getGeneration());
        }
        HypervisorNicStatus status = observed.nic();
        status.migrationUri = config.migrationUri();
        status.observedGeneration = nic.getMetadata().getGeneration();
        VmInventory inventory = inventoryOf(nic, false).orElse(null);
        String problem = readRefused != null ? readRefused : writeRefused;
        if (problem == null) {
            announced = null;
        } else {
            Conditions.set(status.conditions, ConditionTypes.AGENT_READY, false, Reasons.INVENTORY_NOT_WRITABLE,
                    problem, null, clock.instant());
        }
        // A conflict: someone else (the operator's Ready) wrote first; the next heartbeat reports again.
        return publish(nic, status, inventory, observed.inventory(), "heartbeat");
    }

    /**
     * Writes each status that says something new; when neither does, renews the heartbeat Lease with the observation
     * time, which tells the operator that the statuses it has, if they are the bases' or newer, are still the host as
     * it is. When the Lease cannot be written (an older install without the agent's Lease rule), the statuses carry
     * the heartbeat as they did before Leases.
     *
     * @param nicStatus the NIC's report; null when this report observed only what runs ({@link #reportNow})
     * @param inventory the VmInventory to report on; null when it could not be read or created
     */
    private WriteResult publish(HypervisorNic nic, HypervisorNicStatus nicStatus, VmInventory inventory,
            VmInventoryStatus running, String what) {
        boolean nicNew = nicStatus != null && (nic.getStatus() == null || nic.getStatus().heartbeatTime == null
                || !HypervisorNicStatusWriter.changesNothing(nic, nicStatus));
        boolean runningNew = inventory != null && (inventory.getStatus() == null
                || inventory.getStatus().heartbeatTime == null
                || !VmInventoryStatusWriter.changesNothing(inventory, running));
        if (!nicNew && !runningNew) {
            if (inventory != null && lease.renew(Timestamps.parse(running.heartbeatTime),
                    nic.getStatus().heartbeatTime, inventory.getStatus().heartbeatTime)) {
                return WriteResult.UNCHANGED;
            }
            nicNew = nicStatus != null;
            runningNew = inventory != null;
        }
        WriteResult result = WriteResult.UNCHANGED;
        try {
            if (nicNew) {
                result = writer.report(nic, nicStatus).isPresent() ? WriteResult.WRITTEN : WriteResult.CONFLICT;
            }
            if (runningNew) {
                Optional<VmInventory> written = writeInventory(nic, inventory, running);
                result = result == WriteResult.CONFLICT ? result
                        : written.isPresent() ? WriteResult.WRITTEN : WriteResult.CONFLICT;
            }
            return result;
        } catch (KubernetesClientException e) {
            LOG.debugf("%s of %s not written: %s", what, nic.getMetadata().getName(), e.getMessage());
            return WriteResult.FAILED;
        }
    }

    /** @return the written inventory, or empty on a conflict (read it again) */
    private Optional<VmInventory> writeInventory(HypervisorNic nic, VmInventory inventory, VmInventoryStatus running) {
        String name = inventory.getMetadata().getName();
        try {
            Optional<VmInventory> written = inventoryWriter.report(inventory, running);
            written.ifPresentOrElse(i -> {
                writeRefused = null;
                inventories.put(name, i);
            }, () -> inventories.remove(name));
            return written;
        } catch (KubernetesClientException e) {
            inventories.remove(name);
            if (e.getCode() == 403) {
                writeRefused = refusal(nic, "may not write the status of VmInventory " + name + " (" + e.getMessage()
                        + "): apply the agent ClusterRole of this release (update on vminventories/status)");
            }
            throw e;
        }
    }
}
