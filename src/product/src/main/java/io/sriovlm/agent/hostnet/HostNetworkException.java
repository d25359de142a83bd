package io.sriovlm.agent.hostnet;

/** A host networking step failed; the message names the object, the file or command, and what went wrong. */
public class HostNetworkException extends Exception {
    public HostNetworkException(String message) {
        super(message);
    }

    public HostNetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
