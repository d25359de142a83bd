package io.sriovlm.sandbox.faults;

/** One injected fault: what was done, and how to undo it (a node back Ready, armed failures disarmed). */
public interface Injection {
    Fault fault();

    /** What was injected where, for logs and reports. */
    String description();

    /** Waits until a disruptive fault has been carried out (an arming fault is in place when injected). */
    void awaitApplied();

    /**
     * Ends the fault: restores what it took away (a stopped agent, a NotReady node) and disarms what it armed and
     * has not fired yet. Idempotent; waits for a fault still being injected.
     */
    void heal();
}
