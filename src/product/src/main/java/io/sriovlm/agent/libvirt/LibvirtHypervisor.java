package io.sriovlm.agent.libvirt;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.sriovlm.api.v1alpha1.MigrationTransport;
import org.jboss.logging.Logger;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.DomainJobInfo;
import org.libvirt.DomainJobStats;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.Library;
import org.libvirt.TypedParameter;
import org.libvirt.TypedStringParameter;
import org.libvirt.TypedUlongParameter;
import org.libvirt.jna.ConnectionPointer;
import org.libvirt.jna.DomainPointer;
import org.libvirt.jna.Libvirt;

import com.sun.jna.Pointer;

/**
 * {@link Hypervisor} on libvirt through libvirt-java 0.5.4 (JNA bindings of {@code libvirt.so.0}), for
 * {@code qemu:///system}, {@code qemu+unix:///system?socket=...} and libvirt's test driver {@code test:///default}.
 *
 * <p><b>Device events.</b> libvirt-java 0.5.4 has Java listeners only for lifecycle, reboot, I/O error, block job,
 * PM and agent events; it has no device-removed/added listener, although its JNA interface exposes
 * {@code virConnectDomainEventRegisterAny}. We register our own JNA callbacks for
 * {@code VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED} (15) and {@code VIR_DOMAIN_EVENT_ID_DEVICE_ADDED} (19), whose C signature
 * is {@code void (virConnectPtr, virDomainPtr, const char *devAlias, void *opaque)}, on the process-wide default event
 * loop ({@code Library.initEventLoop()} + {@code Library.processEvent()} on a daemon thread). Events give the exact
 * moment the guest released the device (the bond-switch lag budget is 10 ms). {@link #awaitDeviceRemoved} also polls
 * the live XML every 20 ms, so it works when events are unavailable (event loop failed to start, registration refused)
 * or an event was missed; the time it returns is then the first poll that no longer saw the alias.
 *
 * <p><b>Threads.</b> A libvirt connection may be used from several threads at once, so libvirt calls are not
 * serialized here: a blocking migration on its own thread must not stop {@link #jobStats} or {@link #abortJob}. Our
 * own state (listeners, removal times, running migrations) lives in concurrent collections; {@link #close} is
 * synchronized and idempotent. Each call looks the domain up by name and frees the handle afterwards.
 */
public final class LibvirtHypervisor implements Hypervisor {

    private static final Logger LOG = Logger.getLogger(LibvirtHypervisor.class);

    /** libvirt's {@code VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED}; {@code Connect.DomainEventID} is not public in 0.5.4. */
    static final int EVENT_ID_DEVICE_REMOVED = 15;
    /** libvirt's {@code VIR_DOMAIN_EVENT_ID_DEVICE_ADDED}. */
    static final int EVENT_ID_DEVICE_ADDED = 19;
    /** {@code VIR_DOMAIN_JOB_NONE}: {@code getJobStats} reports no running job. */
    private static final int JOB_NONE = 0;
    /** {@code VIR_DOMAIN_JOB_DOWNTIME}: measured downtime of a completed migration, in ms. */
    private static final String JOB_DOWNTIME = "downtime";
    private static final Duration POLL = Duration.ofMillis(20);

    private static final String INSTALL_HINT = "libvirt's native library libvirt.so.0 cannot be loaded; install"
            + " Debian's package libvirt0 (for the tests: run hack/install-test-deps.sh as root)";

    // -------- the process-wide libvirt event loop (one per process, as libvirt requires)
    private static final Object EVENT_LOOP_LOCK = new Object();
    private static boolean eventLoopAttempted;
    private static volatile String eventLoopProblem = "not started";

    /** Strongly held: libvirt keeps the native function pointer for the life of the process. */
    private static final Libvirt.VirErrorCallback QUIET_ERRORS = (opaque, error) -> LOG.debugf("libvirt: %s",
            error == null ? null : error.message);

    private final String uri;
    private final PointerConnect conn;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<DeviceEventListener> listeners = new CopyOnWriteArrayList<>();
    /** domain + NUL + alias → when libvirt said the device left the guest. */
    private final Map<String, Instant> removedAt = new ConcurrentHashMap<>();
    private final Object removalSignal = new Object();
    private final Set<String> migrating = ConcurrentHashMap.newKeySet();
    private final Set<String> abortRequested = ConcurrentHashMap.newKeySet();
    /** JNA callbacks must stay strongly reachable while registered. */
    private final List<Libvirt.VirDomainEventCallback> callbacks = new CopyOnWriteArrayList<>();
    private final List<Integer> callbackIds = new CopyOnWriteArrayList<>();
    private volatile boolean deviceEventsActive;
    private volatile String hostName;

    /**
     * Opens a read-write connection.
     *
     * @param uri e.g. {@code test:///default}, {@code qemu:///system}, {@code qemu+unix:///system?socket=/run/...}
     * @throws HypervisorException when libvirt0 is missing or the connection fails
     */
    public LibvirtHypervisor(String uri) throws HypervisorException {
        if (uri == null || uri.isBlank()) {
            throw new HypervisorException("libvirt URI is empty");
        }
        this.uri = uri;
        try {
            // the default event implementation must be registered before the connection is opened
            startEventLoop();
            this.conn = new PointerConnect(uri, false);
        } catch (LinkageError e) {
            throw new HypervisorException(INSTALL_HINT + " (" + e + ")", e);
        } catch (LibvirtException e) {
            throw new HypervisorException("cannot connect to libvirt at " + uri + ": " + libvirtMessage(e), e);
        }
        registerDeviceEvents();
    }

    /** The URI this hypervisor is connected to. */
    public String uri() {
        return uri;
    }

    /** Whether libvirt delivers device added/removed events to this instance (else awaitDeviceRemoved only polls). */
    public boolean deviceEventsActive() {
        return deviceEventsActive;
    }

    // ------------------------------------------------------------------------------------------------------------
    // inventory

    @Override
    public String hostName() {
        String name = hostName;
        if (name == null) {
            try {
                name = conn.getHostName();
            } catch (LibvirtException e) {
                LOG.debugf("getHostName on %s failed: %s", uri, libvirtMessage(e));
                name = uri;
            }
            hostName = name;
        }
        return name;
    }

    @Override
    public List<DomainSnapshot> listDomains() {
        Domain[] all;
        try {
            requireOpen();
            all = conn.listAllDomains(0);
        } catch (LibvirtException e) {
            throw new IllegalStateException("listing domains on " + uri + " failed: " + libvirtMessage(e), e);
        } catch (HypervisorException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        List<DomainSnapshot> out = new ArrayList<>(all.length);
        for (Domain d : all) {
            try {
                out.add(snapshot(d));
            } catch (LibvirtException e) {
                // undefined or migrated away between the listing and the read: it is no longer here
                if (code(e) != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                    LOG.warnf("skipping a domain on %s: %s", uri, libvirtMessage(e));
                }
            } finally {
                free(d);
            }
        }
        return out;
    }

    @Override
    public Optional<DomainSnapshot> domain(String name) {
        try {
            requireOpen();
            Domain d = conn.domainLookupByName(name);
            try {
                return Optional.of(snapshot(d));
            } finally {
                free(d);
            }
        } catch (LibvirtException e) {
            if (code(e) == ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty();
            }
            throw new IllegalStateException(message(name, "read", e), e);
        } catch (HypervisorException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private static DomainSnapshot snapshot(Domain d) throws LibvirtException {
        DomainInfo info = d.getInfo();
        return new DomainSnapshot(d.getName(), d.getUUIDString(), state(info.state), d.isPersistent() == 1,
                d.getXMLDesc(0));
    }

    private static DomainState state(DomainInfo.DomainState s) {
        if (s == null) {
            return DomainState.OTHER;
        }
        return switch (s) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> DomainState.RUNNING;
            case VIR_DOMAIN_PAUSED, VIR_DOMAIN_PMSUSPENDED -> DomainState.PAUSED;
            case VIR_DOMAIN_SHUTOFF -> DomainState.SHUTOFF;
            case VIR_DOMAIN_CRASHED -> DomainState.CRASHED;
            default -> DomainState.OTHER;
        };
    }

    // ------------------------------------------------------------------------------------------------------------
    // devices

    @Override
    public void detachDevice(String domain, String deviceXml) throws HypervisorException {
        String alias = TeamingXml.deviceAlias(deviceXml);
        if (alias != null) {
            // a removal recorded for an earlier detach of the same alias must not answer the coming wait
            removedAt.remove(key(domain, alias));
        }
        try {
            withDomain(domain, "detach device" + describe(alias), d -> {
                d.detachDeviceFlags(deviceXml, Domain.DeviceModifyFlags.LIVE);
                return null;
            });
        } catch (HypervisorException e) {
            if (e.getCause() instanceof LibvirtException le && UnplugPendingException.describes(libvirtMessage(le))) {
                throw new UnplugPendingException(e.getMessage(), e);
            }
            throw e;
        }
    }

    @Override
    public Optional<Instant> awaitDeviceRemoved(String domain, String alias, Duration timeout)
            throws HypervisorException {
        String op = "wait for removal of device '" + alias + "'";
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        String key = key(domain, alias);
        while (true) {
            Instant evented = removedAt.get(key);
            if (evented != null) {
                return Optional.of(evented);
            }
            String xml = withDomain(domain, op, d -> d.getXMLDesc(0));
            boolean present;
            try {
                present = TeamingXml.hasDeviceAlias(xml, alias);
            } catch (IllegalArgumentException e) {
                throw new HypervisorException(message(domain, op, e.getMessage()), e);
            }
            if (!present) {
                Instant at = removedAt.get(key);
                return Optional.of(at != null ? at : Instant.now());
            }
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                return Optional.empty();
            }
            long waitMs = Math.max(1, Math.min(POLL.toMillis(), leftNanos / 1_000_000));
            synchronized (removalSignal) {
                if (!removedAt.containsKey(key)) {
                    try {
                        removalSignal.wait(waitMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new HypervisorException(message(domain, op, "interrupted"), e);
                    }
                }
            }
        }
    }

    @Override
    public void attachDevice(String domain, String deviceXml) throws HypervisorException {
        withDomain(domain, "attach device" + describe(TeamingXml.deviceAlias(deviceXml)), d -> {
            d.attachDeviceFlags(deviceXml, Domain.DeviceModifyFlags.LIVE);
            return null;
        });
    }

    @Override
    public void updateDevice(String domain, String deviceXml) throws HypervisorException {
        withDomain(domain, "update device" + describe(TeamingXml.deviceAlias(deviceXml)), d -> {
            d.updateDeviceFlags(deviceXml, Domain.DeviceModifyFlags.LIVE);
            return null;
        });
    }

    @Override
    public void addDeviceListener(DeviceEventListener listener) {
        listeners.add(listener);
    }

    // ------------------------------------------------------------------------------------------------------------
    // migration

    @Override
    public CompletionStage<MigrationResult> startMigration(String domain, MigrationRequest request)
            throws HypervisorException {
        if (request == null || request.destinationUri() == null || request.destinationUri().isBlank()) {
            throw new HypervisorException(message(domain, "migrate", "no destination URI given"));
        }
        Optional<String> refused = MigrationTransport.problem(request.destinationUri(), request.transport());
        if (refused.isPresent()) {
            throw new HypervisorException(message(domain, "migrate", refused.get()));
        }
        String op = "migrate to " + request.destinationUri() + (request.transport().peerToPeer() ? " (peer-to-peer)"
                : " (client-managed)");
        requireOpen();
        if (!migrating.add(domain)) {
            throw new HypervisorException(message(domain, op, "a migration of this domain is already running"));
        }
        abortRequested.remove(domain);
        Domain d;
        try {
            d = conn.domainLookupByName(domain);
        } catch (LibvirtException e) {
            migrating.remove(domain);
            throw new HypervisorException(message(domain, op, e), e);
        }
        try {
            if (request.maxDowntimeMs() != null) {
                // QEMU takes the downtime limit as a migration parameter of the running domain: set it before
                // the job starts (libvirt-java 0.5.4 has no typed migration parameter for it)
                d.migrateSetMaxDowntime(request.maxDowntimeMs());
            }
        } catch (LibvirtException e) {
            migrating.remove(domain);
            free(d);
            throw new HypervisorException(message(domain, "set max downtime " + request.maxDowntimeMs() + " ms before "
                    + op, e), e);
        }
        TypedParameter[] params = migrationParameters(request);
        int flags = libvirtFlags(request);
        CompletableFuture<MigrationResult> result = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            MigrationResult outcome;
            try {
                outcome = runMigration(d, domain, op, request, params, flags);
            } catch (Throwable t) {
                outcome = MigrationResult.failure(message(domain, op, String.valueOf(t)),
                        abortRequested.contains(domain));
            } finally {
                free(d);
                migrating.remove(domain);
            }
            // Only now: whoever waits for the result may start the next job of this domain at once.
            result.complete(outcome);
        }, "libvirt-migrate-" + domain);
        worker.setDaemon(true);
        worker.start();
        return result;
    }

    /**
     * Runs the job and blocks until it ends. Peer-to-peer: {@code virDomainMigrateToURI3}, the source libvirtd opens
     * the destination URI. Otherwise (the default) the client-managed {@code virDomainMigrate3}: this process opens
     * the destination connection itself, with its own TLS client certificate, and libvirt drives both sides through
     * it; the qemu driver has no "direct" migrateToURI3 without PEER2PEER.
     */
    private MigrationResult runMigration(Domain d, String domain, String op, MigrationRequest request,
            TypedParameter[] params, int flags) {
        try {
            if (request.transport().peerToPeer()) {
                d.migrateToURI(request.destinationUri(), params, flags);
            } else {
                Connect destination = open(request.destinationUri(), false, REACH_TIMEOUT);
                try {
                    Domain moved = d.migrate(destination, params, flags);
                    if (moved != null) {
                        free(moved);
                    }
                } finally {
                    closeQuietly(destination);
                }
            }
        } catch (HypervisorException e) {
            abortRequested.remove(domain);
            return MigrationResult.failure(message(domain, op, e.getMessage()), false);
        } catch (LibvirtException e) {
            boolean aborted = abortRequested.remove(domain) || code(e) == ErrorNumber.VIR_ERR_OPERATION_ABORTED;
            return MigrationResult.failure(message(domain, op, e), aborted);
        }
        abortRequested.remove(domain);
        Long downtime = completedDowntimeMs(d);
        if (request.undefineSource()) {
            undefineSourceAfterMigration(d, domain);
        }
        return MigrationResult.success(downtime);
    }

    /**
     * The source definition is removed here rather than by libvirt's UNDEFINE_SOURCE: with that flag the source domain
     * object vanishes together with its completed-job statistics, and the measured downtime is lost (seen on libvirt
     * 9.0). A failure here leaves a shut-off definition on the source, which never runs the VM; it is logged.
     */
    private void undefineSourceAfterMigration(Domain d, String domain) {
        try {
            if (d.isPersistent() == 1 && d.isActive() == 0) {
                d.undefine();
            }
        } catch (LibvirtException e) {
            if (code(e) != ErrorNumber.VIR_ERR_NO_DOMAIN) {
                LOG.warnf("libvirt at %s: %s migrated, but undefining its source definition failed: %s", uri, domain,
                        libvirtMessage(e));
            }
        }
    }

    /** libvirt's measured downtime of the job that just completed, or null when libvirt no longer has the stats. */
    private static Long completedDowntimeMs(Domain d) {
        try {
            DomainJobStats stats = d.getJobStats(Domain.DomainGetJobStatsFlags.COMPLETED);
            Long downtime = field(stats, JOB_DOWNTIME);
            return downtime;
        } catch (LibvirtException | RuntimeException e) {
            // e.g. the source definition was undefined (UNDEFINE_SOURCE) together with its completed-job stats
            LOG.debugf("no completed job stats after migration: %s", e.getMessage());
            return null;
        }
    }

    static TypedParameter[] migrationParameters(MigrationRequest request) {
        List<TypedParameter> params = new ArrayList<>();
        // always present: libvirt-java cannot pass an empty parameter array, and 0 means "libvirt's default"
        long bandwidth = request.bandwidthMiBps() == null ? 0 : Math.max(0, request.bandwidthMiBps());
        params.add(new TypedUlongParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_BANDWIDTH, bandwidth));
        if (request.destinationXml() != null) {
            params.add(new TypedStringParameter(Domain.DomainMigrateParameters.VIR_MIGRATE_PARAM_DEST_XML,
                    request.destinationXml()));
        }
        return params.toArray(new TypedParameter[0]);
    }

    /**
     * LIVE always; TLS, PEER2PEER and UNSAFE exactly as the request's transport says (TLS by default, the other two
     * only when a migration's spec asks for them); the others as the request says.
     */
    static int migrationFlags(MigrationRequest request) {
        int flags = Domain.MigrateFlags.LIVE;
        MigrationTransport transport = request.transport();
        if (transport.tls()) {
            flags |= Domain.MigrateFlags.TLS;
        }
        if (transport.peerToPeer()) {
            flags |= Domain.MigrateFlags.PEER2PEER;
        }
        if (transport.unsafe()) {
            flags |= Domain.MigrateFlags.UNSAFE;
        }
        if (request.persistDestination()) {
            flags |= Domain.MigrateFlags.PERSIST_DEST;
        }
        if (request.undefineSource()) {
            flags |= Domain.MigrateFlags.UNDEFINE_SOURCE;
        }
        if (request.autoConverge()) {
            flags |= Domain.MigrateFlags.AUTO_CONVERGE;
        }
        if (request.postCopy()) {
            flags |= Domain.MigrateFlags.POSTCOPY;
        }
        switch (request.copyStorage()) {
            case all -> flags |= Domain.MigrateFlags.NON_SHARED_DISK;
            case incremental -> flags |= Domain.MigrateFlags.NON_SHARED_INC;
            default -> {
            }
        }
        return flags;
    }

    /**
     * The flags actually given to libvirt: {@link #migrationFlags} without UNDEFINE_SOURCE, which
     * {@link #runMigration} carries out itself after reading the completed job's statistics.
     */
    static int libvirtFlags(MigrationRequest request) {
        return migrationFlags(request) & ~Domain.MigrateFlags.UNDEFINE_SOURCE;
    }

    @Override
    public Optional<JobStats> jobStats(String domain) throws HypervisorException {
        try {
            return runningJobStats(domain);
        } catch (HypervisorException e) {
            // A domain that is not running here (the source right after its migration completed: shut off, or already
            // undefined) has no job; libvirt says "domain is not running" / "no domain", which is no error for us.
            if (e.getCause() instanceof LibvirtException le && (code(le) == ErrorNumber.VIR_ERR_OPERATION_INVALID
                    || code(le) == ErrorNumber.VIR_ERR_NO_DOMAIN)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private Optional<JobStats> runningJobStats(String domain) throws HypervisorException {
        return withDomain(domain, "read job statistics", d -> {
            try {
                DomainJobStats s = d.getJobStats(0);
                if (s == null || s.type == JOB_NONE) {
                    return Optional.empty();
                }
                return Optional.of(new JobStats(orZero(field(s, "data_total")), orZero(field(s, "data_processed")),
                        orZero(field(s, "data_remaining")), orZero(field(s, "memory_iteration")),
                        orZero(field(s, "time_elapsed"))));
            } catch (LibvirtException e) {
                if (code(e) != ErrorNumber.VIR_ERR_NO_SUPPORT) {
                    throw e;
                }
                // older drivers: the fixed-layout virDomainGetJobInfo
                DomainJobInfo info = d.getJobInfo();
                if (info.getType() == JOB_NONE) {
                    return Optional.empty();
                }
                return Optional.of(new JobStats(info.getDataTotal(), info.getDataProcessed(),
                        info.getDataRemaining(), 0, info.getTimeElapsed()));
            }
        });
    }

    /** Active pools and their target path (dir, fs, netfs, logical...) or source name (rbd, gluster, iscsi...). */
    @Override
    public Optional<List<StoragePool>> storagePools() {
        List<StoragePool> out = new ArrayList<>();
        try {
            requireOpen();
            for (String name : conn.listStoragePools()) {
                org.libvirt.StoragePool pool = conn.storagePoolLookupByName(name);
                try {
                    out.add(StoragePoolXml.of(name, pool.getXMLDesc(0)));
                } finally {
                    pool.free();
                }
            }
        } catch (LibvirtException | HypervisorException | IllegalArgumentException e) {
            LOG.debugf("storage pools of %s not read: %s", uri, e.getMessage());
            return Optional.empty();
        }
        return Optional.of(out);
    }

    @Override
    public Optional<Versions> versions() {
        try {
            requireOpen();
            return Optional.of(new Versions(Versions.decode(conn.getVersion()), Versions.decode(conn.getLibVersion())));
        } catch (LibvirtException | HypervisorException e) {
            LOG.debugf("versions of %s not read: %s", uri, e.getMessage());
            return Optional.empty();
        }
    }

    /** The rounds of QEMU's own post-migration announce: 5, 50 ms apart at first, 100 ms more each time. */
    static final String ANNOUNCE_SELF = "{\"execute\":\"announce-self\",\"arguments\":{\"initial\":50,\"max\":550,"
            + "\"rounds\":5,\"step\":100}}";

    @Override
    public void announceGuest(String domain) throws HypervisorException {
        withDomain(domain, "announce", d -> d.qemuMonitorCommand(ANNOUNCE_SELF, 0));
    }

    /** {@code VIRTIO_NET_F_STANDBY}, bit 62 of a virtio-net device's features (virtio 1.1, 5.1.3). */
    static final int VIRTIO_NET_F_STANDBY = 62;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Through libvirt's QEMU monitor passthrough (read-only queries): {@code x-query-virtio} finds the device of the
     * alias ({@code /machine/peripheral/ALIAS/virtio-backend}), {@code x-query-virtio-status} gives what its host side
     * offers and what the guest accepted. QEMU 7.2 to 8.2 print features decoded by name, 9.0 and later as numbers:
     * both are read.
     */
    @Override
    public Optional<io.sriovlm.api.v1alpha1.GuestFailover> guestFailover(String domain, String standbyAlias) {
        try {
            return withDomain(domain, "query the virtio status of '" + standbyAlias + "'", d -> {
                try {
                    return askVirtioStatus(d, standbyAlias);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    return Optional.empty();
                }
            });
        } catch (HypervisorException e) {
            LOG.debugf("guest failover of %s not known: %s", domain, e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<io.sriovlm.api.v1alpha1.GuestFailover> askVirtioStatus(Domain d, String standbyAlias)
            throws LibvirtException, com.fasterxml.jackson.core.JsonProcessingException {
        var devices = JSON.readTree(d.qemuMonitorCommand("{\"execute\":\"x-query-virtio\"}", 0)).path("return");
        String prefix = "/machine/peripheral/" + standbyAlias + "/";
        String path = null;
        for (var dev : devices) {
            if (dev.path("path").asText("").startsWith(prefix)) {
                path = dev.path("path").asText();
            }
        }
        if (path == null) {
            return Optional.empty();
        }
        var status = JSON.readTree(d.qemuMonitorCommand("{\"execute\":\"x-query-virtio-status\",\"arguments\":"
                + JSON.writeValueAsString(java.util.Map.of("path", path)) + "}", 0)).path("return");
        return standbyFeature(status);
    }

    /** The feature as {@code x-query-virtio-status} reports it; empty when the reply has neither form. */
    static Optional<io.sriovlm.api.v1alpha1.GuestFailover> standbyFeature(com.fasterxml.jackson.databind.JsonNode status) {
        Optional<Boolean> offered = hasStandby(status.path("host-features"));
        Optional<Boolean> accepted = hasStandby(status.path("guest-features"));
        if (offered.isEmpty() || accepted.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(!offered.get() ? io.sriovlm.api.v1alpha1.GuestFailover.NotOffered
                : accepted.get() ? io.sriovlm.api.v1alpha1.GuestFailover.Negotiated
                        : io.sriovlm.api.v1alpha1.GuestFailover.NotNegotiated);
    }

    private static Optional<Boolean> hasStandby(com.fasterxml.jackson.databind.JsonNode features) {
        if (features.isIntegralNumber()) {
            return Optional.of(features.bigIntegerValue().testBit(VIRTIO_NET_F_STANDBY));
        }
        if (features.path("dev-features").isArray()) {
            for (var f : features.path("dev-features")) {
                if (f.asText().startsWith("VIRTIO_NET_F_STANDBY")) {
                    return Optional.of(true);
                }
            }
            return Optional.of(false);
        }
        return Optional.empty();
    }

    /** How long {@link #checkReachable} waits for the destination's libvirtd (an SSH or TLS handshake included). */
    static final Duration REACH_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public void checkReachable(String destinationUri) throws HypervisorException {
        Optional<String> refused = MigrationTransport.uriProblem(destinationUri);
        if (refused.isPresent()) {
            throw new HypervisorException("not opening " + destinationUri + ": " + refused.get());
        }
        // A read-only connection from this process, opened and closed: it tests the route, the transport and its
        // credentials as this host has them.
        Connect c = open(destinationUri, true, REACH_TIMEOUT);
        try {
            c.getLibVersion();
        } catch (LibvirtException e) {
            throw new HypervisorException("cannot use " + destinationUri + ": " + libvirtMessage(e), e);
        } finally {
            closeQuietly(c);
        }
    }

    /**
     * Asks the destination's libvirt whether its hypervisor can run the domain's CPU, on a connection of this
     * process opened and closed for it (read-write: libvirt's ACL puts CPU comparison under connect:write).
     */
    @Override
    public CpuCheck checkCpu(String domain, String destinationUri) throws HypervisorException {
        Optional<String> refused = MigrationTransport.uriProblem(destinationUri);
        if (refused.isPresent()) {
            throw new HypervisorException("not opening " + destinationUri + ": " + refused.get());
        }
        DomainCpu cpu;
        try {
            cpu = DomainCpu.of(withDomain(domain, "read the CPU", d -> d.getXMLDesc(0)));
        } catch (IllegalArgumentException e) {
            return new CpuCheck(null, e.getMessage());
        } catch (HypervisorException e) {
            return new CpuCheck(null, "not compared: " + e.getMessage()); // this host's failure, not the target's
        }
        if (cpu.notComparable() != null) {
            return new CpuCheck(null, cpu.notComparable());
        }
        PointerConnect c = (PointerConnect) open(destinationUri, false, REACH_TIMEOUT);
        try {
            int r = HypervisorCpu.INSTANCE.virConnectCompareHypervisorCPU(c.pointer(), null, cpu.arch(), cpu.machine(),
                    cpu.virtType(), cpu.cpuXml(), COMPARE_CPU_FAIL_INCOMPATIBLE);
            if (r > 0) {
                return new CpuCheck(true, "libvirt at " + destinationUri + " can run it ("
                        + (r == 1 ? "identical" : "the host provides more") + ")");
            }
            org.libvirt.jna.virError error = Libvirt.INSTANCE.virGetLastError();
            String said = error == null || error.message == null ? "no reason given" : error.message;
            if (r == 0 || (error != null && error.code == ErrorNumber.VIR_ERR_CPU_INCOMPATIBLE.ordinal())) {
                return new CpuCheck(false, said);
            }
            throw new HypervisorException("libvirt at " + destinationUri + " cannot compare the CPU of domain '"
                    + domain + "': " + said);
        } catch (UnsatisfiedLinkError e) {
            return new CpuCheck(null, "this libvirt has no virConnectCompareHypervisorCPU (libvirt < 4.4)");
        } finally {
            closeQuietly(c);
        }
    }

    /**
     * Opens a connection to another libvirt, bounded by {@code timeout}: virConnectOpen has none of its own (an
     * unanswered TLS or SSH handshake hangs). Package-private so that the unit tier can open the test driver.
     */
    static Connect open(String uri, boolean readOnly, Duration timeout) throws HypervisorException {
        java.util.concurrent.ExecutorService one = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "libvirt-open");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.Future<Connect> open = one.submit(() -> new PointerConnect(uri, readOnly));
        try {
            return open.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            open.cancel(true);
            throw new HypervisorException("no answer from " + uri + " within " + timeout.toSeconds() + "s");
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw new HypervisorException("cannot open " + uri + ": " + (cause instanceof LibvirtException le
                    ? libvirtMessage(le) : String.valueOf(cause)), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while opening " + uri);
        } finally {
            one.shutdownNow();
        }
    }

    private static void closeQuietly(Connect c) {
        try {
            c.close();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debugf("closing a libvirt connection: %s", e.getMessage());
        }
    }

    @Override
    public void abortJob(String domain) throws HypervisorException {
        if (jobStats(domain).isEmpty()) {
            return;
        }
        abortRequested.add(domain);
        try {
            withDomain(domain, "abort job", d -> d.abortJob());
        } catch (HypervisorException e) {
            if (e.getCause() instanceof LibvirtException le && code(le) == ErrorNumber.VIR_ERR_OPERATION_INVALID) {
                return; // the job ended between our look and the abort: nothing to abort
            }
            abortRequested.remove(domain);
            throw e;
        }
    }

    private static Long field(DomainJobStats stats, String name) {
        if (stats == null || stats.stats == null) {
            return null;
        }
        for (TypedParameter p : stats.stats) {
            if (p != null && name.equals(p.field)) {
                try {
                    return Long.parseLong(p.getValueAsString());
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    // ------------------------------------------------------------------------------------------------------------
    // lifecycle

    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Integer id : callbackIds) {
            try {
                Libvirt.INSTANCE.virConnectDomainEventDeregisterAny(conn.pointer(), id);
            } catch (RuntimeException e) {
                LOG.debugf("deregistering event callback %d on %s: %s", id, uri, e.getMessage());
            }
        }
        callbackIds.clear();
        try {
            conn.close();
        } catch (LibvirtException e) {
            LOG.warnf("closing libvirt connection %s: %s", uri, libvirtMessage(e));
        }
        callbacks.clear();
    }

    // ------------------------------------------------------------------------------------------------------------
    // events

    private static void startEventLoop() throws LibvirtException {
        synchronized (EVENT_LOOP_LOCK) {
            if (eventLoopAttempted) {
                return;
            }
            eventLoopAttempted = true;
            try {
                // libvirt's default error function prints every error to stderr, expected ones included (a domain
                // that is not here); we report errors through HypervisorException and keep them at debug level
                Connect.setErrorCallback(QUIET_ERRORS);
            } catch (LibvirtException e) {
                LOG.debugf("cannot replace libvirt's error printer: %s", libvirtMessage(e));
            }
            try {
                Library.initEventLoop();
            } catch (LibvirtException e) {
                eventLoopProblem = "libvirt's default event loop could not be registered: " + libvirtMessage(e);
                LOG.warn(eventLoopProblem + "; device removals are detected by polling only");
                return;
            }
            Thread loop = new Thread(() -> {
                while (true) {
                    try {
                        Library.processEvent();
                    } catch (LibvirtException | RuntimeException e) {
                        LOG.warnf("libvirt event loop iteration failed: %s", e.getMessage());
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException ie) {
                            return;
                        }
                    }
                }
            }, "libvirt-event-loop");
            loop.setDaemon(true);
            loop.start();
            eventLoopProblem = null;
        }
    }

    private void registerDeviceEvents() {
        if (eventLoopProblem != null) {
            LOG.warnf("device events off for %s (%s); polling the live XML instead", uri, eventLoopProblem);
            return;
        }
        boolean ok = registerDomainEvent(EVENT_ID_DEVICE_REMOVED,
                (DeviceAliasCallback) (c, dom, alias, opaque) -> onDeviceEvent(dom, alias, DeviceEvent.Kind.REMOVED));
        ok &= registerDomainEvent(EVENT_ID_DEVICE_ADDED,
                (DeviceAliasCallback) (c, dom, alias, opaque) -> onDeviceEvent(dom, alias, DeviceEvent.Kind.ADDED));
        deviceEventsActive = ok;
    }

    /**
     * Registers a raw callback for every domain of this connection; package-private so that tests can check the
     * mechanism with an event the test driver does emit (lifecycle).
     */
    boolean registerDomainEvent(int eventId, Libvirt.VirDomainEventCallback callback) {
        callbacks.add(callback);
        int id = Libvirt.INSTANCE.virConnectDomainEventRegisterAny(conn.pointer(), null, eventId, callback, null,
                null);
        if (id < 0) {
            callbacks.remove(callback);
            LOG.warnf("libvirt at %s refused event id %d; polling instead", uri, eventId);
            return false;
        }
        callbackIds.add(id);
        return true;
    }

    private void onDeviceEvent(DomainPointer dom, String alias, DeviceEvent.Kind kind) {
        Instant at = Instant.now();
        try {
            String domain = Libvirt.INSTANCE.virDomainGetName(dom);
            if (domain == null || alias == null) {
                return;
            }
            String key = key(domain, alias);
            if (kind == DeviceEvent.Kind.REMOVED) {
                removedAt.put(key, at);
                synchronized (removalSignal) {
                    removalSignal.notifyAll();
                }
            } else {
                removedAt.remove(key);
            }
            DeviceEvent event = new DeviceEvent(domain, alias, kind, at);
            for (DeviceEventListener l : listeners) {
                try {
                    l.onDeviceEvent(event);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "device listener failed on %s", event);
                }
            }
        } catch (RuntimeException e) {
            // never let an exception cross back into libvirt's C event loop
            LOG.warnf(e, "handling a device %s event on %s", kind, uri);
        }
    }

    /** {@code virConnectDomainEventDeviceRemovedCallback} / {@code ...DeviceAddedCallback}. */
    public interface DeviceAliasCallback extends Libvirt.VirDomainEventCallback {
        void eventCallback(ConnectionPointer conn, DomainPointer dom, String devAlias, Pointer opaque);
    }

    /**
     * A {@link Connect} that lends us its native pointer (protected in 0.5.4) for what libvirt-java does not wrap:
     * event registration, virConnectCompareHypervisorCPU.
     */
    private static final class PointerConnect extends Connect {
        PointerConnect(String uri, boolean readOnly) throws LibvirtException {
            super(uri, readOnly);
        }

        ConnectionPointer pointer() {
            return vcp;
        }
    }

    /** {@code virConnectCompareHypervisorCPU} (libvirt ≥ 4.4), which libvirt-java 0.5.4 does not wrap. */
    interface HypervisorCpu extends com.sun.jna.Library {
        HypervisorCpu INSTANCE = com.sun.jna.Native.load("virt", HypervisorCpu.class);

        int virConnectCompareHypervisorCPU(ConnectionPointer conn, String emulator, String arch, String machine,
                String virttype, String xmlCPU, int flags);
    }

    /** {@code VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE}: an incompatible CPU is an error that says why. */
    private static final int COMPARE_CPU_FAIL_INCOMPATIBLE = 1;

    // ------------------------------------------------------------------------------------------------------------
    // helpers

    @FunctionalInterface
    private interface DomainCall<T> {
        T apply(Domain d) throws LibvirtException;
    }

    private <T> T withDomain(String name, String op, DomainCall<T> call) throws HypervisorException {
        requireOpen();
        Domain d;
        try {
            d = conn.domainLookupByName(name);
        } catch (LibvirtException e) {
            throw new HypervisorException(message(name, op, e), e);
        }
        try {
            return call.apply(d);
        } catch (LibvirtException e) {
            throw new HypervisorException(message(name, op, e), e);
        } finally {
            free(d);
        }
    }

    private void requireOpen() throws HypervisorException {
        if (closed.get()) {
            throw new HypervisorException("libvirt connection to " + uri + " is closed");
        }
    }

    private String message(String domain, String op, LibvirtException e) {
        return message(domain, op, libvirtMessage(e));
    }

    private String message(String domain, String op, String libvirtSaid) {
        return "libvirt at " + uri + ": " + op + " of domain '" + domain + "' failed: " + libvirtSaid;
    }

    private static String libvirtMessage(LibvirtException e) {
        String m = e.getMessage();
        if ((m == null || m.isBlank()) && e.getError() != null) {
            m = String.valueOf(e.getError());
        }
        return m == null ? e.toString() : m;
    }

    private static ErrorNumber code(LibvirtException e) {
        return e.getError() == null ? null : e.getError().getCode();
    }

    private static void free(Domain d) {
        try {
            d.free();
        } catch (LibvirtException | RuntimeException e) {
            LOG.debugf("freeing a domain handle: %s", e.getMessage());
        }
    }

    private static String key(String domain, String alias) {
        return domain + '\0' + alias;
    }

    private static String describe(String alias) {
        return alias == null ? "" : " '" + alias + "'";
    }
}
