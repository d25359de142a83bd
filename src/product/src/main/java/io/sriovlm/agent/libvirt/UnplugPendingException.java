package io.sriovlm.agent.libvirt;

/**
 * A detach asked for a device whose unplug is already under way: QEMU refuses a second {@code device_del} while the
 * guest has not acknowledged the first ("Device X is already in the process of unplug"). For a caller that wants the
 * device gone this is not a failure: the request it would make is in effect, and it only has to keep waiting for the
 * device-removed event (after an agent crash, or with a guest slower than one wait).
 */
public class UnplugPendingException extends HypervisorException {
    /** QEMU's wording (qmp_device_del), passed through by libvirt. */
    static final String QEMU_TEXT = "is already in the process of unplug";

    public UnplugPendingException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when libvirt's error text is QEMU's refusal of a repeated unplug. */
    public static boolean describes(String libvirtMessage) {
        return libvirtMessage != null && libvirtMessage.contains(QEMU_TEXT);
    }
}
