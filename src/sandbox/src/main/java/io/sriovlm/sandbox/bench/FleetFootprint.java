package io.sriovlm.sandbox.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this process holds: on the fleet benchmark, the simulated fleet (and, on the embedded API server, the server
 * with its store too). Heap after a full GC, live threads, and the resident set as Linux counts it (-1 elsewhere).
 */
record FleetFootprint(long heapBytes, int threads, long rssBytes) {
    private static final double MIB = 1024 * 1024;

    static FleetFootprint now() {
        System.gc(); // a full collection with G1 unless -XX:+ExplicitGCInvokesConcurrent: the heap left is live
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return new FleetFootprint(heap, ManagementFactory.getThreadMXBean().getThreadCount(), residentBytes());
    }

    /** Totals, and each divided by the nodes (an upper bound per node: the JVM's own share is counted in). */
    String describe(int nodes) {
        return String.format("heap after full GC %.0f MiB (%.2f MiB per node), %d threads (%.1f per node), RSS %s",
                heapBytes / MIB, heapBytes / MIB / nodes, threads, (double) threads / nodes,
                rssBytes < 0 ? "unknown" : String.format("%.0f MiB (%.2f MiB per node)", rssBytes / MIB,
                        rssBytes / MIB / nodes));
    }

    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no resident set to report
        }
        return -1;
    }
}
