package io.sriovlm.common;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** RFC 3339 timestamps with millisecond precision, the form every sriovlm status field uses. */
public final class Timestamps {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ISO_INSTANT;

    private Timestamps() {
    }

    public static String format(Instant instant) {
        return instant == null ? null : FORMAT.format(instant.truncatedTo(ChronoUnit.MILLIS));
    }

    public static Instant parse(String value) {
        return value == null || value.isBlank() ? null : Instant.parse(value);
    }

    public static long millisBetween(String from, Instant to) {
        Instant start = parse(from);
        return start == null ? 0 : Math.max(0, Duration.between(start, to).toMillis());
    }
}
