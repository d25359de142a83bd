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
    @JsonPropertyDescription("Deadline of each other phase (Preparing, SwitchingToStandby, RestoringFastPath, RollingBack) in seconds. Default 60.")
    public Integer stepTimeoutSeconds;

    @JsonPropertyDescription("Use TLS for the migration transport (qemu+tls). Default true in production configurations.")
    public Boolean tls;

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
                && Objects.equals(stepTimeoutSeconds, other.stepTimeoutSeconds) && Objects.equals(tls, other.tls);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxDowntimeMs, bandwidthMiBps, autoConverge, postCopy, timeoutSeconds, stepTimeoutSeconds, tls);
    }
}
