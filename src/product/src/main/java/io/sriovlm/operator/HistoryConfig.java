package io.sriovlm.operator;

import java.time.Duration;
import java.util.Optional;

/**
 * How long finished SriovMigrations are kept (docs/decisions/012-history-retention.md): from {@link OperatorSettings}.
 *
 * @param keepPerVm         finished migrations kept per VM, newest first; older ones are deleted. Negative: keep all
 * @param ttlAfterFinished  default of {@code spec.ttlSecondsAfterFinished}: a finished migration older than this is
 *                          deleted. Empty: no age limit
 */
public record HistoryConfig(int keepPerVm, Optional<Duration> ttlAfterFinished) {
    /** Keeps everything: for worlds that read every migration back at the end (the chaos run's invariants). */
    public static final HistoryConfig KEEP_ALL = new HistoryConfig(-1, Optional.empty());

    /** The defaults of {@link OperatorSettings}. */
    public static HistoryConfig defaults() {
        return OperatorSettings.defaults().history();
    }
}
