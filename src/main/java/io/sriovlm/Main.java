package io.sriovlm;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.AgentRole;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.agent.hostnet.ProcessCommandRunner;
import io.sriovlm.agent.hostnet.SysfsHostNetwork;
import io.sriovlm.agent.libvirt.LibvirtHypervisor;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.migration.MigrationTransport;
import io.sriovlm.operator.OperatorRole;
import io.sriovlm.sandbox.SandboxCommand;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One jar, several roles, chosen by {@code sriovlm.role} (env SRIOVLM_ROLE): {@code operator} (the Deployment),
 * {@code agent} (the DaemonSet, one per hypervisor), {@code sandbox} (everything in one process, for trying it out),
 * {@code none} (tests).
 */
@QuarkusMain
public class Main implements QuarkusApplication {
    private static final Logger LOG = Logger.getLogger(Main.class);

    @Inject
    Instance<KubernetesClient> client;
    @Inject
    MeterRegistry meters;

    @ConfigProperty(name = "sriovlm.role")
    String role;

    @ConfigProperty(name = "sriovlm.operator.max-in-flight", defaultValue = "5")
    int maxInFlight;
    @ConfigProperty(name = "sriovlm.operator.max-outbound-per-node", defaultValue = "2")
    int maxOutboundPerNode;
    @ConfigProperty(name = "sriovlm.operator.max-inbound-per-node", defaultValue = "2")
    int maxInboundPerNode;
    @ConfigProperty(name = "sriovlm.operator.heartbeat-stale-after", defaultValue = "30s")
    Duration heartbeatStaleAfter;
    @ConfigProperty(name = "sriovlm.operator.evacuation-namespace", defaultValue = "sriovlm-system")
    String evacuationNamespace;
    @ConfigProperty(name = "sriovlm.operator.evacuation-guard-image", defaultValue = "registry.k8s.io/pause:3.10")
    String evacuationGuardImage;
    @ConfigProperty(name = "sriovlm.operator.evacuation-timeout-seconds")
    Optional<Integer> evacuationTimeoutSeconds;
    @ConfigProperty(name = "sriovlm.operator.evacuation-step-timeout-seconds")
    Optional<Integer> evacuationStepTimeoutSeconds;
    @ConfigProperty(name = "sriovlm.operator.lease-namespace")
    Optional<String> leaseNamespace;

    @ConfigProperty(name = "sriovlm.agent.node-name")
    Optional<String> nodeName;
    @ConfigProperty(name = "sriovlm.agent.libvirt-uri", defaultValue = "qemu:///system")
    String libvirtUri;
    @ConfigProperty(name = "sriovlm.agent.sysfs-root", defaultValue = "/sys")
    String sysfsRoot;
    @ConfigProperty(name = "sriovlm.agent.migration-uri")
    Optional<String> migrationUri;
    @ConfigProperty(name = "sriovlm.agent.heartbeat-interval", defaultValue = "10s")
    Duration heartbeatInterval;
    @ConfigProperty(name = "sriovlm.agent.provision", defaultValue = "true")
    boolean provision;
    @ConfigProperty(name = "sriovlm.agent.ovs-db-socket")
    Optional<String> ovsDbSocket;
    @ConfigProperty(name = "sriovlm.agent.ovs-vswitchd-control")
    Optional<String> ovsVswitchdControl;

    /** Deadlines of the migrations an evacuation creates; the CRD's defaults when neither is configured. */
    private io.sriovlm.api.v1alpha1.MigrationOptions evacuationOptions() {
        if (evacuationTimeoutSeconds.isEmpty() && evacuationStepTimeoutSeconds.isEmpty()) {
            return null;
        }
        var options = new io.sriovlm.api.v1alpha1.MigrationOptions();
        options.timeoutSeconds = evacuationTimeoutSeconds.orElse(null);
        options.stepTimeoutSeconds = evacuationStepTimeoutSeconds.orElse(null);
        return options;
    }

    @Override
    public int run(String... args) throws Exception {
        switch (role) {
            case "operator" -> {
                OperatorConfig config = new OperatorConfig(maxInFlight, maxOutboundPerNode, maxInboundPerNode,
                        heartbeatStaleAfter);
                Operator operator = OperatorRole.create(client.get(), config,
                        new EvacuationConfig(evacuationNamespace, evacuationGuardImage, evacuationOptions()), meters, Clock.systemUTC(), o -> {
                    leaseNamespace.ifPresent(ns -> o.withLeaderElectionConfiguration(
                            new LeaderElectionConfiguration("sriovlm-operator", ns)));
                });
                return runUntilExit(operator);
            }
            case "agent" -> {
                String node = nodeName.orElseThrow(() -> new IllegalStateException(
                        "the agent needs its node name: set NODE_NAME (SRIOVLM_AGENT_NODE_NAME) from spec.nodeName"));
                String published = migrationUri.orElse("qemu+tls://" + node + "/system");
                // Other hosts open this URI: refuse to publish one they would refuse (URI parameters, other schemes).
                MigrationTransport.uriProblem(published).ifPresent(p -> {
                    throw new IllegalStateException("sriovlm.agent.migration-uri (SRIOVLM_AGENT_MIGRATION_URI): " + p);
                });
                AgentConfig config = new AgentConfig(node, published, heartbeatInterval, Duration.ofSeconds(1),
                        Duration.ofSeconds(10));
                LibvirtHypervisor hypervisor = new LibvirtHypervisor(libvirtUri);
                SysfsHostNetwork sysfs = new SysfsHostNetwork(Path.of(sysfsRoot));
                NicProvisioner provisioner = provision ? new NicProvisioner(sysfs,
                        new ProcessCommandRunner(Duration.ofSeconds(30)),
                        new OvsCli(ovsDbSocket.orElse(null), ovsVswitchdControl.orElse(null), 10)) : null;
                Operator agent = AgentRole.create(client.get(), config, hypervisor, sysfs, provisioner,
                        Clock.systemUTC());
                try {
                    return runUntilExit(agent);
                } finally {
                    hypervisor.close();
                }
            }
            case "sandbox" -> {
                return SandboxCommand.run(args, meters);
            }
            case "none" -> {
                Quarkus.waitForExit();
                return 0;
            }
            default -> {
                LOG.errorf("unknown role '%s': set SRIOVLM_ROLE to operator, agent or sandbox", role);
                return 2;
            }
        }
    }

    private static int runUntilExit(Operator operator) {
        operator.start();
        Quarkus.waitForExit();
        operator.stop();
        return 0;
    }
}
