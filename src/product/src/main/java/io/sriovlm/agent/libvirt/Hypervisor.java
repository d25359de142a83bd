package io.sriovlm.agent.libvirt;

import io.sriovlm.api.v1alpha1.MigrationTransport;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What the node agent needs from its host's hypervisor. Implemented with libvirt-java for real hosts
 * ({@code LibvirtHypervisor}) and by the sandbox's simulated hypervisor. Every method is safe to call again after a
 * crash: callers first look at the domain's live XML and only act when the world is not already as wanted.
 */
public interface Hypervisor extends AutoCloseable {

    /** Name of the host as libvirt reports it (for messages). */
    String hostName();

    /** Every domain defined or running on this host. */
    List<DomainSnapshot> listDomains();

    /** One domain, or empty when this host does not know it. */
    Optional<DomainSnapshot> domain(String name);

    /**
     * Hot-unplugs a device from the running domain. Returns once libvirt accepted the request; the guest finishes
     * the unplug later, which {@link #awaitDeviceRemoved} waits for.
     *
     * @param deviceXml the device element as it appears in the live domain XML
     * @throws UnplugPendingException when an unplug of this device was requested before and the guest has not
     *                                finished it
     */
    void detachDevice(String domain, String deviceXml) throws HypervisorException;

    /**
     * Waits for libvirt's device-removed event of the device with this alias (or returns at once when the live XML
     * no longer has it).
     *
     * @return when the device left the guest, or empty if it has not within the timeout
     */
    Optional<Instant> awaitDeviceRemoved(String domain, String alias, Duration timeout) throws HypervisorException;

    /** Hot-plugs a device into the running domain (live only: a VF is never part of the persistent config). */
    void attachDevice(String domain, String deviceXml) throws HypervisorException;

    /** Changes a live device in place, e.g. the link state of the standby NIC. */
    void updateDevice(String domain, String deviceXml) throws HypervisorException;

    /** Starts a live migration in the background; the stage completes when the job ends, successfully or not. */
    CompletionStage<MigrationResult> startMigration(String domain, MigrationRequest request) throws HypervisorException;

    /** Statistics of the domain's running job, or empty when none runs. */
    Optional<JobStats> jobStats(String domain) throws HypervisorException;

    /** Aborts the domain's running job (a migration); a no-op when none runs. */
    void abortJob(String domain) throws HypervisorException;

    /**
     * Read-only: whether this host can open a libvirt connection to {@code destinationUri} (a dry run's
     * source→target check). Opens a connection and closes it again, bounded by a timeout; changes nothing.
     *
     * @throws HypervisorException with libvirt's reason when the URI cannot be opened in time
     */
    void checkReachable(String destinationUri) throws HypervisorException;

    /**
     * Asks the domain's QEMU whether the virtio-net device with user alias {@code standbyAlias} offers and its guest
     * accepted {@code VIRTIO_NET_F_STANDBY}. Read-only.
     *
     * @return empty when this hypervisor cannot tell (no QEMU monitor, an older QEMU, no such device)
     */
    default Optional<io.sriovlm.api.v1alpha1.GuestFailover> guestFailover(String domain, String standbyAlias) {
        return Optional.empty();
    }

    /**
     * Read-only: whether libvirt at {@code destinationUri} can run the domain's virtual CPU there
     * ({@code virConnectCompareHypervisorCPU} with the domain's virt type, arch, machine and {@code <cpu>}).
     *
     * @throws HypervisorException when the destination cannot be opened or asked (only then: a domain this host cannot
     *                             read is a check that could not compare, so that the caller does not hold it
     *                             against the destination)
     */
    default CpuCheck checkCpu(String domain, String destinationUri) throws HypervisorException {
        return new CpuCheck(null, "this hypervisor cannot compare CPUs");
    }

    /** @param compatible null when the CPU could not be compared; {@code detail} says why, or libvirt's verdict */
    record CpuCheck(Boolean compatible, String detail) {
    }

    /**
     * Asks QEMU to announce the guest on the network again (QMP {@code announce-self}: a RARP from each NIC, and a
     * guest-sent announce through virtio-net), so that switches learn the MAC's new path at once. Used after a VF is
     * plugged back; a no-op where the hypervisor cannot do it.
     */
    default void announceGuest(String domain) throws HypervisorException {
    }

    /** Registers a listener for device added/removed events of every domain on this host. */
    void addDeviceListener(DeviceEventListener listener);

    @Override
    void close();

    /** A domain as this host sees it now. */
    record DomainSnapshot(String name, String uuid, DomainState state, boolean persistent, String xml) {
        public boolean isRunning() {
            return state == DomainState.RUNNING || state == DomainState.PAUSED;
        }
    }

    enum DomainState {
        RUNNING, PAUSED, SHUTOFF, CRASHED, OTHER
    }

    /**
     * What a migration needs: where to, libvirt's tuning knobs, and how it travels. Implementations refuse a
     * destination that {@link MigrationTransport#problem} refuses.
     */
    record MigrationRequest(String destinationUri, Integer maxDowntimeMs, Integer bandwidthMiBps, boolean autoConverge,
            boolean postCopy, boolean persistDestination, boolean undefineSource, String destinationXml,
            MigrationTransport transport, io.sriovlm.api.v1alpha1.CopyStorage copyStorage) {
        public MigrationRequest {
            transport = transport == null ? MigrationTransport.DEFAULT : transport;
            copyStorage = copyStorage == null ? io.sriovlm.api.v1alpha1.CopyStorage.none : copyStorage;
        }

        /** Without copying storage. */
        public MigrationRequest(String destinationUri, Integer maxDowntimeMs, Integer bandwidthMiBps,
                boolean autoConverge, boolean postCopy, boolean persistDestination, boolean undefineSource,
                String destinationXml, MigrationTransport transport) {
            this(destinationUri, maxDowntimeMs, bandwidthMiBps, autoConverge, postCopy, persistDestination,
                    undefineSource, destinationXml, transport, io.sriovlm.api.v1alpha1.CopyStorage.none);
        }
    }

    /** The storage pools of this host's libvirt that are active, with where they keep their volumes; empty when unknown. */
    default Optional<List<StoragePool>> storagePools() {
        return Optional.empty();
    }

    /** The hypervisor's (QEMU's) and libvirt's versions, e.g. "8.2.0" and "10.0.0"; empty when unknown. */
    default Optional<Versions> versions() {
        return Optional.empty();
    }

    record Versions(String hypervisor, String libvirt) {
        /** libvirt's encoding, major * 1,000,000 + minor * 1,000 + release, as text. */
        public static String decode(long encoded) {
            return encoded / 1_000_000 + "." + (encoded / 1_000) % 1_000 + "." + encoded % 1_000;
        }
    }

    /** @param path the directory (or device) under which the pool's volumes are, when the pool type has one */
    record StoragePool(String name, String type, String path) {
    }

    /** How a migration job ended. */
    record MigrationResult(boolean succeeded, Long downtimeMs, String error, boolean aborted) {
        public static MigrationResult success(Long downtimeMs) {
            return new MigrationResult(true, downtimeMs, null, false);
        }

        public static MigrationResult failure(String error, boolean aborted) {
            return new MigrationResult(false, null, error, aborted);
        }
    }

    /** libvirt's job statistics, as far as the job type reports them. */
    record JobStats(long dataTotalBytes, long dataProcessedBytes, long dataRemainingBytes, long memoryIteration,
            long elapsedMs) {
        public int percent() {
            if (dataTotalBytes <= 0) {
                return 0;
            }
            return (int) Math.min(100, Math.max(0, (dataTotalBytes - dataRemainingBytes) * 100 / dataTotalBytes));
        }
    }

    /** A device appeared in or left a guest. */
    record DeviceEvent(String domain, String alias, Kind kind, Instant at) {
        public enum Kind {
            ADDED, REMOVED
        }
    }

    @FunctionalInterface
    interface DeviceEventListener {
        void onDeviceEvent(DeviceEvent event);
    }
}
