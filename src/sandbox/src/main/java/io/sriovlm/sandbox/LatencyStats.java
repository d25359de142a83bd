package io.sriovlm.sandbox;

import java.util.Arrays;

/**
 * Summary of a sample of durations in milliseconds. Percentiles use the nearest-rank method: the p-th percentile is
 * the smallest value such that at least p % of the sample is at or below it, so it is always a value that was
 * measured (no interpolation), and p99 of 200 values is the second largest.
 */
public final class LatencyStats {
    private final long[] sorted;

    public LatencyStats(long[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        this.sorted = values.clone();
        Arrays.sort(sorted);
    }

    public int count() {
        return sorted.length;
    }

    /** Nearest-rank percentile, {@code 0 < p <= 100}. */
    public long percentile(double p) {
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(1, rank) - 1];
    }

    public long min() {
        return sorted[0];
    }

    public long max() {
        return sorted[sorted.length - 1];
    }

    public double mean() {
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        return sum / sorted.length;
    }
}
