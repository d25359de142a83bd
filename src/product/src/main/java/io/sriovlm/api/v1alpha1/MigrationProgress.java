package io.sriovlm.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A snapshot of libvirt's job statistics for the running migration. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MigrationProgress {
    public Integer percent;
    public Long dataTotalBytes;
    public Long dataProcessedBytes;
    public Long dataRemainingBytes;
    public Long memoryIteration;
    public Long elapsedMs;
    public String updatedAt;
}
