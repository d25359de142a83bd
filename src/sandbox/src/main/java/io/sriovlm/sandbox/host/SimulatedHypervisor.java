package io.sriovlm.sandbox.host;

import io.sriovlm.agent.libvirt.Hypervisor;
import io.sriovlm.agent.libvirt.HypervisorException;
import io.sriovlm.agent.libvirt.UnplugPendingException;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A libvirt host in memory, faithful where the migration steps depend on libvirt's behaviour:
 * <ul>
 * <li>detach only accepts a device present in the live XML (matched by alias, by MAC and type, or by host PCI
 * address); the guest's unplug completes later, on a scheduler, with a device-removed event;</li>
 * <li>attach assigns an alias when the XML has no {@code ua-} one and refuses a PCI function another domain of this
 * host already uses;</li>
 * <li>migration is refused while a PCI passthrough device is attached, unless it carries
 * {@code <teaming type='transient'>}, which QEMU unplugs first (waiting for the guest, with no timeout) and plugs on
 * the destination after the switch-over, or its VF can carry its state ({@link #setStateMigratableVfs}: bound to a
 * VFIO variant driver) and the destination XML's device is such a VF there too; that device stays attached
 * throughout;</li>
 * <li>a migration job reports progress, can be aborted, and can be made to fail.</li>
 * </ul>
 * Hosts reach each other through a {@link SimulatedFabric}. Split along what it simulates: this class is libvirt's
 * API and the domains' lifecycle and devices; {@link SimulatedDomain} a domain's XML as libvirt edits it;
 * {@link MigrationJob} a live migration between two hosts; {@link SimulatedFaults} what can be made to go wrong.
 * Thread-safe: one lock per host guards its domains and jobs; a scheduler thread completes unplugs and jobs; listeners
 * and job completions run on a separate event thread, as libvirt dispatches events from its event loop.
 */
public final class SimulatedHypervisor implements Hypervisor {

    private static final System.Logger LOG = System.getLogger(SimulatedHypervisor.class.getName());
    /** How long an idle job or event thread stays when the fabric ends idle host threads. */
    private static final Duration IDLE_THREAD_LIFETIME = Duration.ofSeconds(10);
    private static final long DEFAULT_MEMORY_BYTES = 256L * 1024 * 1024;
    private static final String NON_USB_HOSTDEV =
            "Requested operation is not valid: domain has assigned non-USB host devices";

    private final String hostName;
    private final String uri;
    private final SimulatedFabric fabric;
    /** Guards {@link #domains}, every {@link SimulatedDomain} and {@link MigrationJob} of this host. */
    final Object lock = new Object();
    private final Map<String, SimulatedDomain> domains = new LinkedHashMap<>();
    private final List<DeviceEventListener> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService events;
    private final SimulatedFaults faults = new SimulatedFaults();

    private volatile Predicate<String> stateMigratableVfs = pci -> false;
    private volatile Duration detachDelay = Duration.ofMillis(20);
    private volatile Duration copyTime = Duration.ofMillis(100);
    private volatile Duration downtime = Duration.ofMillis(30);

    private boolean closed;
    /** Every migration request this host accepted, in order: which transport and options each asked for. */
    private final List<MigrationRequest> migrationRequests = new CopyOnWriteArrayList<>();

    /** Use {@link SimulatedFabric#newHost}; this constructor does not register the host. */
    SimulatedHypervisor(String hostName, String uri, SimulatedFabric fabric) {
        this.hostName = Objects.requireNonNull(hostName, "hostName");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.fabric = Objects.requireNonNull(fabric, "fabric");
        ScheduledThreadPoolExecutor jobs = new ScheduledThreadPoolExecutor(1, daemon("sim-" + hostName + "-jobs"));
        ThreadPoolExecutor dispatch = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), daemon("sim-" + hostName + "-events"));
        if (fabric.idleHostThreadsEnd()) {
            for (ThreadPoolExecutor pool : List.of(jobs, dispatch)) {
                pool.setKeepAliveTime(IDLE_THREAD_LIFETIME.toMillis(), TimeUnit.MILLISECONDS);
                pool.allowCoreThreadTimeOut(true);
            }
        }
        this.scheduler = jobs;
        this.events = dispatch;
    }

    // ---------------------------------------------------------------- configuration

    public String uri() {
        return uri;
    }

    /** What this host can be made to do wrong: failed calls, lost or late unplugs, cut routes. */
    public SimulatedFaults faults() {
        return faults;
    }

    /** The migration requests this host accepted (its transport: TLS, peer-to-peer, unsafe), oldest first. */
    public List<MigrationRequest> migrationRequests() {
        return List.copyOf(migrationRequests);
    }

    /** Guests whose virtio-net driver does not accept VIRTIO_NET_F_STANDBY (no net_failover), by domain name. */
    private final java.util.Set<String> guestsWithoutFailover = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The guest of {@code domain} runs (or no longer runs) without net_failover: QEMU reports NotNegotiated. */
    public void setGuestWithoutFailover(String domain, boolean without) {
        if (without) {
            guestsWithoutFailover.add(domain);
        } else {
            guestsWithoutFailover.remove(domain);
        }
    }

    /**
     * As QEMU answers: a teamed standby NIC (persistent teaming: libvirt's failover=on) is offered the feature, and
     * its guest accepts it unless {@link #setGuestWithoutFailover} says otherwise; another device is unknown here.
     */
    @Override
    public Optional<io.sriovlm.api.v1alpha1.GuestFailover> guestFailover(String domain, String standbyAlias) {
        Optional<DomainSnapshot> d = domain(domain);
        if (d.isEmpty() || !d.get().isRunning()) {
            return Optional.empty();
        }
        if (!standbyAlias.equals(io.sriovlm.agent.libvirt.TeamingXml.inspect(d.get().xml()).standbyAlias())) {
            return Optional.empty();
        }
        return Optional.of(guestsWithoutFailover.contains(domain) ? io.sriovlm.api.v1alpha1.GuestFailover.NotNegotiated
                : io.sriovlm.api.v1alpha1.GuestFailover.Negotiated);
    }

    /** The storage pools this host's libvirt has (none at first). */
    private volatile List<StoragePool> storagePools = List.of();

    /** This host's libvirt has these storage pools (name, type, path). */
    public void setStoragePools(StoragePool... pools) {
        storagePools = List.of(pools);
    }

    @Override
    public Optional<List<StoragePool>> storagePools() {
        return Optional.of(storagePools);
    }

    /** CPU features this host's hypervisor cannot provide, for {@link #checkCpu} of a domain coming here. */
    private final java.util.Set<String> cpuFeaturesMissing = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final java.util.concurrent.atomic.AtomicInteger cpuQuestions = new java.util.concurrent.atomic.AtomicInteger();

    /** How often this host's agent asked another host's libvirt about a CPU ({@link #checkCpu}). */
    public int cpuQuestions() {
        return cpuQuestions.get();
    }

    /** This host cannot provide these CPU features (as a host without AVX-512, or TCG). */
    public void setCpuFeaturesMissing(String... features) {
        cpuFeaturesMissing.clear();
        cpuFeaturesMissing.addAll(List.of(features));
    }

    /**
     * As libvirt's virConnectCompareHypervisorCPU on the destination: a domain without a comparable {@code <cpu>} is
     * not compared; one that requires a feature the destination lacks is incompatible, in libvirt's words.
     */
    @Override
    public CpuCheck checkCpu(String domain, String destinationUri) throws HypervisorException {
        cpuQuestions.incrementAndGet();
        SimulatedHypervisor target = fabric.resolve(destinationUri).orElseThrow(() -> new HypervisorException(
                "cannot open " + destinationUri + ": no host answers there"));
        Optional<DomainSnapshot> defined = domain(domain);
        if (defined.isEmpty()) {
            return new CpuCheck(null, "not compared: no domain '" + domain + "' on " + hostName);
        }
        io.sriovlm.agent.libvirt.DomainCpu cpu = io.sriovlm.agent.libvirt.DomainCpu.of(defined.get().xml());
        if (cpu.notComparable() != null) {
            return new CpuCheck(null, cpu.notComparable());
        }
        List<String> missing = requiredFeatures(cpu.cpuXml()).stream().filter(target.cpuFeaturesMissing::contains)
                .toList();
        return missing.isEmpty() ? new CpuCheck(true, "libvirt at " + destinationUri + " can run it")
                : new CpuCheck(false, "the CPU is incompatible with host CPU: Host CPU does not provide required"
                        + " features: " + String.join(", ", missing));
    }

    /** The names of the features a domain's {@code <cpu>} requires: policy require (libvirt's default) or force. */
    private static List<String> requiredFeatures(String cpuXml) {
        org.w3c.dom.NodeList features = SimXml.parse(cpuXml).getElementsByTagName("feature");
        List<String> required = new ArrayList<>();
        for (int i = 0; i < features.getLength(); i++) {
            org.w3c.dom.Element feature = (org.w3c.dom.Element) features.item(i);
            if (List.of("", "require", "force").contains(feature.getAttribute("policy"))) {
                required.add(feature.getAttribute("name"));
            }
        }
        return required;
    }

    /**
     * Which of this host's VFs QEMU can migrate with their device state (bound to a VFIO variant driver with
     * migration support, such as mlx5_vfio_pci); none by default, as vfio-pci cannot.
     */
    public void setStateMigratableVfs(Predicate<String> pciAddresses) {
        this.stateMigratableVfs = Objects.requireNonNull(pciAddresses);
    }

    private volatile Versions versions;
    private final List<String> announcements = new CopyOnWriteArrayList<>();

    /** The domains QEMU was asked to announce ({@link #announceGuest}), in order. */
    public List<String> announcements() {
        return List.copyOf(announcements);
    }

    @Override
    public void announceGuest(String domain) throws HypervisorException {
        synchronized (lock) {
            requireOpen();
            requireRunning(requireDomain(domain));
        }
        announcements.add(domain);
    }

    /** The QEMU and libvirt versions this host reports; none by default. */
    public void setVersions(Versions versions) {
        this.versions = versions;
    }

    @Override
    public Optional<Versions> versions() {
        return Optional.ofNullable(versions);
    }

    boolean stateMigratable(Element device) {
        return SimXml.hostPciAddress(device).map(stateMigratableVfs::test).orElse(false);
    }

    /** How long the guest takes to release a device after a detach request (default 20 ms). */
    public void setDetachDelay(Duration delay) {
        this.detachDelay = requireNonNegative(delay, "detach delay");
    }

    /** How long a migration's memory copy takes (default 100 ms; zero allowed). */
    public void setCopyTime(Duration time) {
        this.copyTime = requireNonNegative(time, "copy time");
    }

    /** The downtime a successful migration reports (default 30 ms). */
    public void setDowntime(Duration time) {
        this.downtime = requireNonNegative(time, "downtime");
    }

    /**
     * A hung guest recovers (or is rebooted) and finishes every unplug it never acknowledged: each such device leaves
     * now, with its device-removed event, even though nobody may be waiting for it any more.
     */
    public void completeAbandonedUnplugs() {
        List<Runnable> completions = new ArrayList<>();
        synchronized (lock) {
            for (SimulatedDomain dom : domains.values()) {
                for (String alias : List.copyOf(dom.unplugging)) {
                    completions.add(() -> completeUnplug(dom, alias));
                }
            }
        }
        completions.forEach(c -> schedule(c, Duration.ZERO));
    }

    // ---------------------------------------------------------------- seeding the world

    /** Defines a persistent domain, started when {@code running}. */
    public DomainSnapshot define(String xml, boolean running) throws HypervisorException {
        return define(xml, running, true);
    }

    /**
     * Defines a domain from its XML (a {@code <uuid>} is generated when absent). A running domain gets libvirt's
     * device aliases ({@code netN}, {@code hostdevN}) where the XML has none. A non-persistent domain must run.
     */
    public DomainSnapshot define(String xml, boolean running, boolean persistent) throws HypervisorException {
        if (!running && !persistent) {
            throw new HypervisorException("Requested operation is not valid: a transient domain must be running");
        }
        Document doc = parseDomain(xml);
        String name = SimXml.childText(doc.getDocumentElement(), "name").orElse("");
        String uuid = SimXml.childText(doc.getDocumentElement(), "uuid").orElse("");
        if (uuid.isEmpty()) {
            uuid = UUID.randomUUID().toString();
            Element u = doc.createElement("uuid");
            u.setTextContent(uuid);
            doc.getDocumentElement().insertBefore(u, SimXml.child(doc.getDocumentElement(), "name").orElseThrow()
                    .getNextSibling());
        }
        synchronized (lock) {
            requireOpen();
            SimulatedDomain existing = domains.get(name);
            if (existing != null) {
                if (!existing.uuid.equals(uuid)) {
                    throw new HypervisorException("operation failed: domain '" + name + "' already exists with uuid "
                            + existing.uuid);
                }
                if (existing.isRunning()) {
                    throw new HypervisorException("Requested operation is not valid: domain '" + name
                            + "' is already active");
                }
            }
            SimulatedDomain dom = new SimulatedDomain(name, uuid);
            dom.persistent = persistent;
            dom.config = persistent ? doc : null;
            if (running) {
                Document live = (Document) doc.cloneNode(true);
                checkPciFree(live.getDocumentElement(), null);
                SimulatedDomain.assignAliases(live);
                dom.live = live;
                dom.state = DomainState.RUNNING;
            }
            domains.put(name, dom);
            return dom.snapshot();
        }
    }

    /** Starts a defined, shut-off domain from its persistent config. */
    public void start(String name) throws HypervisorException {
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(name);
            if (dom.isRunning()) {
                throw new HypervisorException("Requested operation is not valid: domain is already running");
            }
            Document live = (Document) dom.config.cloneNode(true);
            checkPciFree(live.getDocumentElement(), null);
            SimulatedDomain.assignAliases(live);
            dom.live = live;
            dom.state = DomainState.RUNNING;
        }
    }

    /** Powers a domain off (a transient one disappears), as {@code virsh destroy}. */
    public void destroy(String name) throws HypervisorException {
        MigrationJob job;
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(name);
            requireRunning(dom);
            job = dom.job;
        }
        if (job != null) {
            job.fail("operation failed: domain is not running", false);
        }
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(name);
            dom.live = null;
            dom.state = DomainState.SHUTOFF;
            dom.unplugging.clear();
            if (!dom.persistent) {
                domains.remove(name);
            }
            lock.notifyAll();
        }
    }

    // ---------------------------------------------------------------- Hypervisor

    @Override
    public String hostName() {
        return hostName;
    }

    @Override
    public List<DomainSnapshot> listDomains() {
        synchronized (lock) {
            List<DomainSnapshot> out = new ArrayList<>();
            for (SimulatedDomain d : domains.values()) {
                out.add(d.snapshot());
            }
            return out;
        }
    }

    @Override
    public Optional<DomainSnapshot> domain(String name) {
        synchronized (lock) {
            SimulatedDomain d = domains.get(name);
            return d == null ? Optional.empty() : Optional.of(d.snapshot());
        }
    }

    /** True when the domain runs here; cheaper than {@link #domain} (no XML). */
    public boolean isRunning(String name) {
        synchronized (lock) {
            SimulatedDomain d = domains.get(name);
            return d != null && d.isRunning();
        }
    }

    @Override
    public void detachDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(domain);
            requireRunning(dom);
            Element live = dom.match(wanted).orElseThrow(() -> dom.notFound(wanted));
            String alias = SimXml.alias(live).orElseThrow();
            if (dom.unplugging.contains(alias)) {
                throw new UnplugPendingException("internal error: unable to execute QEMU command 'device_del': Device "
                        + alias + " is already in the process of unplug", null);
            }
            Optional<String> refused = faults.takeDetachFailure();
            if (refused.isPresent()) {
                throw new HypervisorException(refused.get());
            }
            beginUnplug(dom, alias);
        }
    }

    @Override
    public Optional<Instant> awaitDeviceRemoved(String domain, String alias, Duration timeout)
            throws HypervisorException {
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        synchronized (lock) {
            while (true) {
                SimulatedDomain dom = requireDomain(domain);
                if (dom.live == null || SimulatedDomain.findByAlias(dom.live, alias).isEmpty()) {
                    return Optional.of(dom.removedAt.getOrDefault(alias, Instant.now()));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HypervisorException("interrupted while waiting for device " + alias + " of domain "
                            + domain + " to be removed", e);
                }
            }
        }
    }

    @Override
    public void attachDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        String alias;
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(domain);
            requireRunning(dom);
            Optional<String> refused = faults.takeAttachFailure();
            if (refused.isPresent()) {
                throw new HypervisorException(refused.get());
            }
            alias = plug(dom, wanted);
        }
        fire(new DeviceEvent(domain, alias, DeviceEvent.Kind.ADDED, Instant.now()));
    }

    @Override
    public void updateDevice(String domain, String deviceXml) throws HypervisorException {
        Element wanted = parseDevice(deviceXml);
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(domain);
            requireRunning(dom);
            Element live = dom.match(wanted).orElseThrow(() -> dom.notFound(wanted));
            if (!live.getAttribute("type").equals(wanted.getAttribute("type"))) {
                throw new HypervisorException("Operation not supported: cannot change network interface type");
            }
            Element replacement = (Element) dom.live.importNode(wanted, true);
            SimXml.setAlias(replacement, SimXml.alias(live).orElseThrow());
            live.getParentNode().replaceChild(replacement, live);
        }
    }

    @Override
    public CompletionStage<MigrationResult> startMigration(String domain, MigrationRequest request)
            throws HypervisorException {
        Objects.requireNonNull(request, "request");
        // what LibvirtHypervisor refuses before libvirt sees the URI
        Optional<String> refused = MigrationTransport.problem(request.destinationUri(), request.transport());
        if (refused.isPresent()) {
            throw new HypervisorException("migrate of domain '" + domain + "' refused: " + refused.get());
        }
        checkReachable(request.destinationUri());
        SimulatedHypervisor dest = fabric.resolve(request.destinationUri()).orElseThrow(() -> new HypervisorException(
                "operation failed: Failed to connect to remote libvirt URI " + request.destinationUri()
                        + ": no such host"));
        if (dest == this) {
            throw new HypervisorException("Requested operation is not valid: Attempt to migrate guest to the same"
                    + " host " + hostName);
        }
        Document destDoc = request.destinationXml() == null ? null : parseDomain(request.destinationXml());
        // asked before taking this host's lock: host locks nest only under the fabric's hand-over lock
        if (dest.domain(domain).filter(DomainSnapshot::isRunning).isPresent()) {
            throw new HypervisorException("Requested operation is not valid: domain '" + domain
                    + "' is already active on " + dest.hostName());
        }
        MigrationJob job;
        synchronized (lock) {
            requireOpen();
            SimulatedDomain dom = requireDomain(domain);
            requireRunning(dom);
            if (dom.job != null) {
                throw new HypervisorException("Timed out during operation: cannot acquire state change lock (held by"
                        + " monitor=remoteDispatchDomainMigratePerform3Params)");
            }
            List<Element> transients = new ArrayList<>();
            int kept = 0;
            for (Element dev : SimulatedDomain.devices(dom.live)) {
                if (SimXml.isPassthrough(dev)) {
                    if (SimXml.hasTransientTeaming(dev)) {
                        transients.add(dev);
                    } else if (stateMigratable(dev)) {
                        kept++;
                    } else {
                        throw new HypervisorException(NON_USB_HOSTDEV);
                    }
                }
            }
            if (kept > 0) {
                // The device's state goes to the device the destination XML names there, which must be able to take it.
                Element destDevices = destDoc == null ? null : SimXml.child(destDoc.getDocumentElement(), "devices")
                        .orElse(null);
                for (Element dev : SimXml.children(destDevices, null)) {
                    if (SimXml.isPassthrough(dev) && !SimXml.hasTransientTeaming(dev) && !dest.stateMigratable(dev)) {
                        throw new HypervisorException("operation failed: vfio device "
                                + SimXml.hostPciAddress(dev).orElse("?") + " on " + dest.hostName()
                                + " does not support migration");
                    }
                }
                if (destDoc == null) {
                    throw new HypervisorException("operation failed: the VF's state needs a destination XML naming"
                            + " a VF of " + dest.hostName() + " (this host's PCI address is not one there)");
                }
            }
            if (destDoc != null) {
                MigrationJob.checkAbiCompatible(dom, destDoc, transients.size() + kept);
            }
            job = new MigrationJob(this, dom, request, dest, destDoc,
                    SimXml.memoryBytes(dom.live.getDocumentElement()).orElse(DEFAULT_MEMORY_BYTES), copyTime);
            dom.job = job;
            job.start(transients);
        }
        migrationRequests.add(request);
        return job.future.minimalCompletionStage();
    }

    @Override
    public Optional<JobStats> jobStats(String domain) throws HypervisorException {
        synchronized (lock) {
            SimulatedDomain dom = requireDomain(domain);
            MigrationJob job = dom.job;
            return job == null || job.finished ? Optional.empty() : Optional.of(job.stats());
        }
    }

    @Override
    public void checkReachable(String destinationUri) throws HypervisorException {
        Optional<String> refused = MigrationTransport.uriProblem(destinationUri);
        if (refused.isPresent()) {
            throw new HypervisorException("not opening " + destinationUri + ": " + refused.get());
        }
        Optional<String> cut = faults.unreachable(destinationUri);
        if (cut.isPresent()) {
            throw new HypervisorException("operation failed: Failed to connect to remote libvirt URI " + destinationUri
                    + ": " + cut.get());
        }
        if (fabric.resolve(destinationUri).isEmpty()) {
            throw new HypervisorException("operation failed: Failed to connect to remote libvirt URI " + destinationUri
                    + ": no such host");
        }
    }

    @Override
    public void abortJob(String domain) throws HypervisorException {
        MigrationJob job;
        synchronized (lock) {
            job = requireDomain(domain).job;
            Optional<String> refused = job == null || job.finished ? Optional.empty() : faults.takeAbortFailure();
            if (refused.isPresent()) {
                throw new HypervisorException(refused.get());
            }
        }
        if (job != null) {
            job.fail("operation aborted: migration out: canceled by client", true);
        }
    }

    @Override
    public void addDeviceListener(DeviceEventListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Aborts running jobs, stops the host's threads and takes it off the fabric. */
    @Override
    public void close() {
        List<MigrationJob> jobs = new ArrayList<>();
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (SimulatedDomain d : domains.values()) {
                if (d.job != null) {
                    jobs.add(d.job);
                }
            }
        }
        for (MigrationJob j : jobs) {
            j.fail("operation failed: host " + hostName + " closed", false);
        }
        fabric.unregister(this);
        scheduler.shutdownNow();
        events.shutdown();
    }

    @Override
    public String toString() {
        return "SimulatedHypervisor[" + hostName + " " + uri + "]";
    }

    // ---------------------------------------------------------------- devices

    /**
     * Asks the guest to release a device; it leaves after the detach delay unless the removal is dropped. Caller holds
     * the lock.
     */
    void beginUnplug(SimulatedDomain dom, String alias) {
        dom.unplugging.add(alias);
        faults.takeUnplugDelay(detachDelay).ifPresent(delay -> schedule(() -> completeUnplug(dom, alias), delay));
    }

    private void completeUnplug(SimulatedDomain dom, String alias) {
        Instant at;
        synchronized (lock) {
            if (domains.get(dom.name) != dom || !dom.unplugging.remove(alias) || dom.live == null) {
                return; // the domain migrated away, stopped, or the device is gone already
            }
            Optional<Element> dev = SimulatedDomain.findByAlias(dom.live, alias);
            if (dev.isEmpty()) {
                return;
            }
            SimXml.remove(dev.get());
            at = Instant.now();
            dom.removedAt.put(alias, at);
            lock.notifyAll();
            if (dom.job != null) {
                dom.job.unplugged(alias, dev.get());
            }
        }
        fire(new DeviceEvent(dom.name, alias, DeviceEvent.Kind.REMOVED, at));
    }

    /** Adds a device to a running domain's live XML; returns its alias. Caller holds the lock. */
    String plug(SimulatedDomain dom, Element wanted) throws HypervisorException {
        checkPciFree(wanted, null);
        return dom.addDevice(wanted);
    }

    /**
     * Refuses a passthrough device (or every passthrough device below {@code scope}) whose PCI function another
     * running domain of this host holds. Caller holds the lock.
     */
    private void checkPciFree(Element scope, SimulatedDomain ignore) throws HypervisorException {
        List<Element> candidates = new ArrayList<>();
        if ("domain".equals(scope.getTagName())) {
            candidates.addAll(SimXml.children(SimXml.child(scope, "devices").orElse(null), null));
        } else {
            candidates.add(scope);
        }
        for (Element c : candidates) {
            Optional<String> pci = SimXml.hostPciAddress(c);
            if (pci.isEmpty()) {
                continue;
            }
            for (SimulatedDomain other : domains.values()) {
                if (other == ignore || other.live == null) {
                    continue;
                }
                for (Element dev : SimulatedDomain.devices(other.live)) {
                    if (pci.equals(SimXml.hostPciAddress(dev))) {
                        throw new HypervisorException("Requested operation is not valid: PCI device " + pci.get()
                                + " is in use by driver QEMU, domain " + other.name);
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- incoming migrations

    /**
     * Destination side of the switch-over, under the fabric's hand-over lock and the source's lock. Returns an
     * error to fail the job with, or null when the domain now runs here.
     */
    String acceptIncoming(SimulatedDomain source, Document destDoc, List<Element> toPlug, boolean persist) {
        synchronized (lock) {
            if (closed) {
                return "operation failed: migration out job: destination host " + hostName + " closed";
            }
            SimulatedDomain existing = domains.get(source.name);
            if (existing != null && existing.isRunning()) {
                return "Requested operation is not valid: domain '" + source.name + "' is already active on "
                        + hostName;
            }
            if (existing != null && !existing.uuid.equals(source.uuid)) {
                return "operation failed: domain '" + source.name + "' already exists with uuid " + existing.uuid;
            }
            try {
                for (Element dev : toPlug) {
                    checkPciFree(dev, null);
                }
                // Devices that arrive attached with their state (VF-state migration) need their PCI function free too.
                for (Element dev : SimulatedDomain.devices(destDoc)) {
                    if (SimXml.isPassthrough(dev)) {
                        checkPciFree(dev, null);
                    }
                }
            } catch (HypervisorException e) {
                return e.getMessage();
            }
            SimulatedDomain dom = new SimulatedDomain(source.name, source.uuid);
            Document live = (Document) destDoc.cloneNode(true);
            SimulatedDomain.assignAliases(live);
            dom.live = live;
            dom.state = DomainState.RUNNING;
            if (persist) {
                dom.persistent = true;
                dom.config = (Document) destDoc.cloneNode(true);
            } else if (existing != null) {
                dom.persistent = true;
                dom.config = existing.config;
            }
            for (Element dev : toPlug) {
                dom.incoming.add((Element) live.importNode(dev, true));
            }
            domains.put(dom.name, dom);
            return null;
        }
    }

    /** QEMU plugs the transient primary devices once the domain runs here. */
    void plugIncoming(String name) {
        List<String> added = new ArrayList<>();
        synchronized (lock) {
            SimulatedDomain dom = domains.get(name);
            if (dom == null || dom.live == null) {
                return;
            }
            for (Element dev : dom.incoming) {
                try {
                    added.add(plug(dom, dev));
                } catch (HypervisorException e) {
                    LOG.log(System.Logger.Level.WARNING, "host {0}: cannot plug {1} into {2}: {3}", hostName,
                            SimXml.serialize(dev), name, e.getMessage());
                }
            }
            dom.incoming.clear();
        }
        Instant at = Instant.now();
        for (String alias : added) {
            fire(new DeviceEvent(name, alias, DeviceEvent.Kind.ADDED, at));
        }
    }

    // ---------------------------------------------------------------- plumbing

    SimulatedFabric fabric() {
        return fabric;
    }

    Duration downtime() {
        return downtime;
    }

    /** Whether {@code dom} is still this host's (not migrated away, undefined or replaced). Caller holds the lock. */
    boolean holds(SimulatedDomain dom) {
        return domains.get(dom.name) == dom;
    }

    /** Drops a domain that left this host. Caller holds the lock. */
    void forget(SimulatedDomain dom) {
        domains.remove(dom.name, dom);
    }

    /** Completes a job's stage on the event thread, after the events the job caused, never under a lock. */
    void complete(CompletableFuture<MigrationResult> future, MigrationResult result) {
        try {
            events.execute(() -> future.complete(result));
        } catch (RejectedExecutionException e) {
            future.complete(result);
        }
    }

    /**
     * The most domains at once that ran on this host after their VF had left them (they are on standby here, leaving
     * or rolling back): what the operator's outbound limit bounds. A tool for tests, not a libvirt notion.
     */
    public int peakOnStandby() {
        synchronized (onStandby) {
            return peakOnStandby;
        }
    }

    private final java.util.Set<String> onStandby = new java.util.HashSet<>();
    private int peakOnStandby;

    /** The domain left this host (a migration job moved it). */
    void departed(String domain) {
        synchronized (onStandby) {
            onStandby.remove(domain);
        }
    }

    void fire(DeviceEvent event) {
        synchronized (onStandby) {
            if (event.kind() == DeviceEvent.Kind.REMOVED) {
                onStandby.add(event.domain());
                peakOnStandby = Math.max(peakOnStandby, onStandby.size());
            } else {
                onStandby.remove(event.domain());
            }
        }
        try {
            events.execute(() -> {
                for (DeviceEventListener l : listeners) {
                    try {
                        l.onDeviceEvent(event);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "device listener failed on " + event, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // host closed
        }
    }

    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        Runnable guarded = () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "simulated host " + hostName + ": scheduled task failed", e);
            }
        };
        try {
            return scheduler.schedule(guarded, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private SimulatedDomain requireDomain(String name) throws HypervisorException {
        SimulatedDomain d = domains.get(name);
        if (d == null) {
            throw new HypervisorException("Domain not found: no domain with matching name '" + name + "' on "
                    + hostName);
        }
        return d;
    }

    private static void requireRunning(SimulatedDomain dom) throws HypervisorException {
        if (!dom.isRunning()) {
            throw new HypervisorException("Requested operation is not valid: domain '" + dom.name
                    + "' is not running");
        }
    }

    private void requireOpen() throws HypervisorException {
        if (closed) {
            throw new HypervisorException("internal error: client socket is closed (host " + hostName + ")");
        }
    }

    private static Document parseDomain(String xml) throws HypervisorException {
        Document doc;
        try {
            doc = SimXml.parse(xml);
        } catch (IllegalArgumentException e) {
            throw new HypervisorException("XML error: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!"domain".equals(root.getTagName())) {
            throw new HypervisorException("XML error: expected root element <domain>, not <" + root.getTagName()
                    + ">");
        }
        String name = SimXml.childText(root, "name").orElse("");
        // As libvirt: any name but an empty one, one with a newline (domain XML parser) or with '/' (the qemu driver
        // names files after it). Spaces, quotes and markup are allowed there, so they are here: the agent must cope.
        if (name.isEmpty() || name.contains("\n") || name.contains("/")) {
            throw new HypervisorException("XML error: invalid domain name '" + name + "'");
        }
        return doc;
    }

    private static Element parseDevice(String xml) throws HypervisorException {
        try {
            return SimXml.parseElement(xml);
        } catch (IllegalArgumentException e) {
            throw new HypervisorException("XML error: " + e.getMessage(), e);
        }
    }

    static Duration requireNonNegative(Duration d, String what) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero or positive: " + d);
        }
        return d;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

}
