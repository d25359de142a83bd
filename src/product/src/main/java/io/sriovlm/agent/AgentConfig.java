package io.sriovlm.agent;

import io.sriovlm.agent.libvirt.PrimaryDevice;

import java.time.Duration;

/**
 * The node agent's configuration, as its code uses it: from {@link AgentSettings} in a cluster, set by hand in the
 * sandbox.
 *
 * @param nodeName          this node (from the downward API in the DaemonSet)
 * @param migrationUri      libvirt URI other hosts migrate to this one with (e.g. qemu+tls://hv2.example/system)
 * @param heartbeatInterval how often the agent looks at its host, renews its heartbeat Lease and, when something
 *                          changed, reports it into HypervisorNic.status
 * @param progressInterval  how often a running migration's progress is written into status
 * @param maxStepWait       longest a reconcile blocks waiting for a guest (device removal); it then looks again
 * @param primaryDevice     what is hot-plugged as the VM's primary NIC for a VF: the VF itself in production
 *                          ({@link PrimaryDevice#VF_HOSTDEV}); an emulated stand-in on hosts without VFIO (tests)
 * @param leaseNamespace    namespace of this node's heartbeat Lease: sriovlm's own, where the operator reads it
 */
public record AgentConfig(String nodeName, String migrationUri, Duration heartbeatInterval, Duration progressInterval,
        Duration maxStepWait, PrimaryDevice primaryDevice, String leaseNamespace) {

    public AgentConfig {
        primaryDevice = primaryDevice == null ? PrimaryDevice.VF_HOSTDEV : primaryDevice;
        leaseNamespace = leaseNamespace == null ? AgentSettings.defaults().leaseNamespace() : leaseNamespace;
    }

    /** The heartbeat Lease in the default namespace. */
    public AgentConfig(String nodeName, String migrationUri, Duration heartbeatInterval, Duration progressInterval,
            Duration maxStepWait, PrimaryDevice primaryDevice) {
        this(nodeName, migrationUri, heartbeatInterval, progressInterval, maxStepWait, primaryDevice, null);
    }

    /** Production settings: the primary is the VF hostdev NIC. */
    public AgentConfig(String nodeName, String migrationUri, Duration heartbeatInterval, Duration progressInterval,
            Duration maxStepWait) {
        this(nodeName, migrationUri, heartbeatInterval, progressInterval, maxStepWait, PrimaryDevice.VF_HOSTDEV, null);
    }

    /** The defaults of {@link AgentSettings} for {@code nodeName}. */
    public static AgentConfig defaults(String nodeName, String migrationUri) {
        return AgentSettings.defaults().config(nodeName, migrationUri);
    }

    /** The same settings with another primary device (the real-hypervisor tier's VF stand-in). */
    public AgentConfig withPrimaryDevice(PrimaryDevice device) {
        return new AgentConfig(nodeName, migrationUri, heartbeatInterval, progressInterval, maxStepWait, device,
                leaseNamespace);
    }
}
