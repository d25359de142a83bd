package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class PhaseTimestamp {
    public MigrationPhase phase;
    /** RFC 3339 with milliseconds. */
    public String at;

    public PhaseTimestamp() {
    }

    public PhaseTimestamp(MigrationPhase phase, String at) {
        this.phase = phase;
        this.at = at;
    }
}
