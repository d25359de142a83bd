package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class MigrationOptions {
    /** Deadline of the Migrating phase when the spec gives none. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 600;
    /** Deadline of every other agent-owned phase when the spec gives none. */
    public static final int DEFAULT_STEP_TIMEOUT_SECONDS = 60;

    @Min(1)
    @Max(2_000_000)
    @JsonPropertyDescription("Maximum tolerated pause of the guest at switchover, in milliseconds (libvirt's max downtime). Default: QEMU's (300).")
    public Integer maxDowntimeMs;

    @Min(0)
    @Max(1_000_000)
    @JsonPropertyDescription("Bandwidth cap for the memory copy in MiB/s; 0 means unlimited.")
    public Integer bandwidthMiBps;

    @JsonPropertyDescription("Throttle the guest's vCPUs when memory is dirtied faster than it is copied.")
    public Boolean autoConverge;

    @JsonPropertyDescription("Allow switching to post-copy when pre-copy does not converge.")
    public Boolean postCopy;

    @Min(1)
    @Max(86_400)
    @JsonPropertyDescription("Deadline of the Migrating phase in seconds; when it expires the job is aborted and the migration rolls back. Default 600.")
    public Integer timeoutSeconds;

    @Min(1)
    @Max(3_600)
    @JsonPropertyDescription("Deadline of each other phase (Preparing, SwitchingToStandby, RestoringFastPath, RollingBack) in seconds. Default 60. A migration waiting in TargetReady for another one to leave its source waits up to timeoutSeconds plus twice this.")
    public Integer stepTimeoutSeconds;

    @JsonPropertyDescription("Encrypt and authenticate the migration (default true): the target's migration URI must be"
            + " qemu+tls://, and QEMU's stream of guest memory uses TLS too (virsh migrate --tls; the hosts need libvirtd's"
            + " and QEMU's TLS certificates). Set false only on a trusted, isolated migration network.")
    public Boolean tls;

    @JsonPropertyDescription("Peer-to-peer migration (virsh migrate --p2p; default false): the source host's libvirtd"
            + " connects to the target's libvirtd itself. By default the source agent opens that connection with its own"
            + " TLS client certificate and drives the migration. Set true when only the source libvirtd can reach the"
            + " target, or the agent holds no client certificate.")
    public Boolean peerToPeer;

    @JsonPropertyDescription("Migrate even when libvirt considers it unsafe (virsh migrate --unsafe; default false), e.g."
            + " disks whose cache mode risks data loss on the target. Only for storage known to be coherent.")
    public Boolean unsafe;

    @JsonPropertyDescription("Whether libvirt copies the domain's disks: none (default: every disk must be on storage"
            + " the target's libvirt has as a storage pool, or on network storage), all, or incremental (over a backing"
            + " image the target has); virsh migrate --copy-storage-all / --copy-storage-inc.")
    public CopyStorage copyStorage;

    public CopyStorage copyStorageOrDefault() {
        return copyStorage == null ? CopyStorage.none : copyStorage;
    }

    /** TLS unless the spec turns it off explicitly. */
    public boolean tlsRequested() {
        return !Boolean.FALSE.equals(tls);
    }

    public boolean peerToPeerRequested() {
        return Boolean.TRUE.equals(peerToPeer);
    }

    public boolean unsafeRequested() {
        return Boolean.TRUE.equals(unsafe);
    }

    public int migrationTimeoutSeconds() {
        return timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
    }

    public int stepTimeoutSecondsOrDefault() {
        return stepTimeoutSeconds == null ? DEFAULT_STEP_TIMEOUT_SECONDS : stepTimeoutSeconds;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MigrationOptions other)) {
            return false;
        }
        return Objects.equals(maxDowntimeMs, other.maxDowntimeMs) && Objects.equals(bandwidthMiBps, other.bandwidthMiBps)
                && Objects.equals(autoConverge, other.autoConverge) && Objects.equals(postCopy, other.postCopy)
                && Objects.equals(timeoutSeconds, other.timeoutSeconds)
                && Objects.equals(stepTimeoutSeconds, other.stepTimeoutSeconds) && Objects.equals(tls, other.tls)
                && Objects.equals(peerToPeer, other.peerToPeer) && Objects.equals(unsafe, other.unsafe)
                && copyStorage == other.copyStorage;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxDowntimeMs, bandwidthMiBps, autoConverge, postCopy, timeoutSeconds, stepTimeoutSeconds, tls,
                peerToPeer, unsafe, copyStorage);
    }
}
