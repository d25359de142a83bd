package io.sriovlm.agent;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.sriovlm.agent.libvirt.PrimaryDevice;
import io.sriovlm.common.SettingsDefaults;

import java.time.Duration;
import java.util.Optional;

/**
 * The agent role's settings: properties {@code sriovlm.agent.*}, environment variables {@code SRIOVLM_AGENT_*}
 * (e.g. SRIOVLM_AGENT_HEARTBEAT_INTERVAL), the chart's {@code agent.settings}. Every default is written here and
 * nowhere else; what runs without Quarkus' configuration (the sandbox, unit tests) reads them through
 * {@link #defaults()}. docs/install.md lists them (generated, checked by SettingsDocTest).
 */
@ConfigMapping(prefix = "sriovlm.agent")
public interface AgentSettings {
    /** This node: the DaemonSet sets NODE_NAME from spec.nodeName. Required. */
    @WithDefault("${NODE_NAME:}")
    Optional<String> nodeName();

    /** libvirt connection of the agent. */
    @WithDefault("qemu:///system")
    String libvirtUri();

    /** Where the kernel's sysfs is mounted (SR-IOV, bonding, representors). */
    @WithDefault("/sys")
    String sysfsRoot();

    /** URI other hosts migrate to this one with, published in HypervisorNic.status; unset: qemu+tls://NODE/system. */
    Optional<String> migrationUri();

    /**
     * How often the agent looks at its host: it renews its heartbeat Lease, and writes HypervisorNic.status when what
     * it sees changed.
     */
    @WithDefault("10s")
    Duration heartbeatInterval();

    /** How often a running migration's progress is written into its status. */
    @WithDefault("1s")
    Duration progressInterval();

    /** Longest a reconcile blocks waiting for a guest (a device removal); it then looks again. */
    @WithDefault("10s")
    Duration maxStepWait();

    /**
     * Namespace of the node's heartbeat Lease (sriovlm-agent-NODE): sriovlm's own, where the operator reads it (the
     * DaemonSet sets POD_NAMESPACE).
     */
    @WithDefault("${POD_NAMESPACE:sriovlm-system}")
    String leaseNamespace();

    /** Whether the agent makes the host match its HypervisorNic spec (false: it only observes and reports). */
    @WithDefault("true")
    boolean provision();

    /** ovsdb-server's socket of the host (ovs-vsctl --db=unix:...); unset: ovs-vsctl's default. */
    Optional<String> ovsDbSocket();

    /** ovs-vswitchd's control socket (ovs-appctl -t); unset: ovs-appctl's default. */
    Optional<String> ovsVswitchdControl();

    /** The agent's configuration for {@code node}, publishing {@code migrationUri}. */
    default AgentConfig config(String node, String migrationUri) {
        return new AgentConfig(node, migrationUri, heartbeatInterval(), progressInterval(), maxStepWait(),
                PrimaryDevice.VF_HOSTDEV, leaseNamespace());
    }

    /** Every setting at its default, no configuration source read (not even the environment). */
    static AgentSettings defaults() {
        return SettingsDefaults.of(AgentSettings.class);
    }
}
