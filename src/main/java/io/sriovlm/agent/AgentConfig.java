package io.sriovlm.agent;

import java.time.Duration;

/**
 * The node agent's settings.
 *
 * @param nodeName          this node (from the downward API in the DaemonSet)
 * @param migrationUri      libvirt URI other hosts migrate to this one with (e.g. qemu+tls://hv2.example/system)
 * @param heartbeatInterval how often the agent reports its host into HypervisorNic.status
 * @param progressInterval  how often a running migration's progress is written into status
 * @param maxStepWait       longest a reconcile blocks waiting for a guest (device removal); it then looks again
 */
public record AgentConfig(String nodeName, String migrationUri, Duration heartbeatInterval, Duration progressInterval,
        Duration maxStepWait) {

    public static AgentConfig forNode(String nodeName, String migrationUri) {
        return new AgentConfig(nodeName, migrationUri, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(10));
    }
}
