package io.sriovlm.sandbox.host;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The faults a {@link SimulatedHypervisor} can be armed with: each makes the next call(s) of its kind fail or misbehave
 * as libvirt and QEMU do when a host or guest is in trouble. The host asks at each call ({@code take*}); a fault that
 * fired is spent. Thread-safe; the host may ask while holding its own lock (this class never calls the host).
 */
public final class SimulatedFaults {
    private int failMigrations;
    private String failMigrationError;
    private double failureProbability;
    private Random failureRandom = new Random(0);
    private boolean dropNextRemoved;
    private Duration lateRemovedDelay;
    private String failNextDetachError;
    private int failAborts;
    private String failAbortError;
    private int failAttaches;
    private String failAttachError;
    /** Destination URI → the error this host gets opening it (a cut route, a firewall, a TLS mismatch). */
    private final Map<String, String> unreachable = new HashMap<>();

    SimulatedFaults() {
    }

    /**
     * From now on this host cannot open {@code destinationUri}: {@code checkReachable} and migrations to it fail
     * with {@code error} (a default like libvirt's when null). The target itself stays up for everyone else.
     */
    public synchronized void makeUnreachable(String destinationUri, String error) {
        unreachable.put(destinationUri, error == null ? "unable to connect to server at '" + destinationUri
                + "': No route to host" : error);
    }

    /** Undoes {@link #makeUnreachable}. */
    public synchronized void makeReachable(String destinationUri) {
        unreachable.remove(destinationUri);
    }

    /** The next {@code n} migrations from this host fail at the end of their copy with {@code error}. */
    public synchronized void failNextMigrations(int n, String error) {
        failMigrations = Math.max(0, n);
        failMigrationError = error == null ? "operation failed: migration out job: unexpectedly failed" : error;
    }

    /** Every migration from this host fails with this probability, drawn from a Random seeded with {@code seed}. */
    public synchronized void setMigrationFailureProbability(double probability, long seed) {
        if (probability < 0 || probability > 1) {
            throw new IllegalArgumentException("probability must be within [0, 1]: " + probability);
        }
        failureProbability = probability;
        failureRandom = new Random(seed);
    }

    /** The next device unplug (a detach, or a transient hostdev's unplug at migration) never completes. */
    public synchronized void dropNextDeviceRemovedEvent() {
        dropNextRemoved = true;
    }

    /**
     * The guest finishes the next unplug only after {@code delay}: long after the agent gave up waiting, e.g. once a
     * rollback has kept the VM where it is. The VF then leaves a VM that no migration is moving. Null disarms it
     * (an unplug already under way still completes late).
     */
    public synchronized void delayNextDeviceRemovedEvent(Duration delay) {
        lateRemovedDelay = delay == null ? null : SimulatedHypervisor.requireNonNegative(delay, "late unplug delay");
    }

    /** The next detach request is refused with {@code error}. */
    public synchronized void failNextDetach(String error) {
        failNextDetachError = error == null ? "internal error: unable to execute QEMU command 'device_del'" : error;
    }

    /** The next {@code n} abort requests are refused with {@code error} (the job keeps running). */
    public synchronized void failNextAborts(int n, String error) {
        failAborts = Math.max(0, n);
        failAbortError = error == null ? "Timed out during operation: cannot acquire state change lock (held by"
                + " monitor=remoteDispatchDomainMigratePerform3Params)" : error;
    }

    /** The next {@code n} attach requests are refused with {@code error}; nothing is plugged. */
    public synchronized void failNextAttaches(int n, String error) {
        failAttaches = Math.max(0, n);
        failAttachError = error == null ? "internal error: unable to execute QEMU command 'device_add': Device"
                + " initialization failed" : error;
    }

    /** Disarms {@link #failNextDetach} if it has not fired. */
    public synchronized void clearDetachFault() {
        failNextDetachError = null;
    }

    /** Disarms {@link #dropNextDeviceRemovedEvent} if it has not fired (a dropped unplug stays dropped). */
    public synchronized void clearDropDeviceRemoved() {
        dropNextRemoved = false;
    }

    /** Drops every armed fault: the next calls behave normally (a cut route stays cut). */
    public synchronized void clear() {
        failMigrations = 0;
        failureProbability = 0;
        dropNextRemoved = false;
        lateRemovedDelay = null;
        failNextDetachError = null;
        failAborts = 0;
        failAttaches = 0;
    }

    synchronized Optional<String> unreachable(String destinationUri) {
        return Optional.ofNullable(unreachable.get(destinationUri));
    }

    synchronized Optional<String> takeDetachFailure() {
        Optional<String> error = Optional.ofNullable(failNextDetachError);
        failNextDetachError = null;
        return error;
    }

    synchronized Optional<String> takeAttachFailure() {
        if (failAttaches == 0) {
            return Optional.empty();
        }
        failAttaches--;
        return Optional.of(failAttachError);
    }

    synchronized Optional<String> takeAbortFailure() {
        if (failAborts == 0) {
            return Optional.empty();
        }
        failAborts--;
        return Optional.of(failAbortError);
    }

    /** Whether the migration whose copy just ended fails, and with which error. */
    synchronized Optional<String> takeMigrationFailure() {
        if (failMigrations > 0) {
            failMigrations--;
            return Optional.of(failMigrationError);
        }
        if (failureProbability > 0 && failureRandom.nextDouble() < failureProbability) {
            return Optional.of("operation failed: migration out job: unexpectedly failed");
        }
        return Optional.empty();
    }

    /** How long the unplug starting now takes ({@code normal} unless delayed), or empty when it never completes. */
    synchronized Optional<Duration> takeUnplugDelay(Duration normal) {
        if (dropNextRemoved) {
            dropNextRemoved = false;
            return Optional.empty();
        }
        Duration delay = lateRemovedDelay != null ? lateRemovedDelay : normal;
        lateRemovedDelay = null;
        return Optional.of(delay);
    }
}
