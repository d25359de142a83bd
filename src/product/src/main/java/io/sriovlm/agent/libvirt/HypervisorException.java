package io.sriovlm.agent.libvirt;

/** A hypervisor call failed; the message names the domain and what libvirt said. */
public class HypervisorException extends Exception {
    public HypervisorException(String message) {
        super(message);
    }

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
