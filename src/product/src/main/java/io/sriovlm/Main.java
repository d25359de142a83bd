package io.sriovlm;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.roles.AgentRole;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.agent.hostnet.ProcessCommandRunner;
import io.sriovlm.agent.hostnet.SysfsHostNetwork;
import io.sriovlm.agent.libvirt.LibvirtHypervisor;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.roles.OperatorRole;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * One jar, two roles, chosen by {@code sriovlm.role} (env SRIOVLM_ROLE): {@code operator} (the Deployment) and
 * {@code agent} (the DaemonSet, one per hypervisor); {@code none} for the Quarkus tests. The sandbox is an artifact of
 * its own (src/sandbox), not a role of this one.
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

    @Inject
    OperatorSettings operatorSettings;
    @Inject
    AgentSettings agentSettings;

    /** The operator role's settings ({@code sriovlm.operator.*}, env {@code SRIOVLM_OPERATOR_*}; docs/install.md). */
    @ConfigMapping(prefix = "sriovlm.operator")
    interface OperatorSettings {
        @WithDefault("5")
        int maxInFlight();

        @WithDefault("2")
        int maxOutboundPerNode();

        @WithDefault("2")
        int maxInboundPerNode();

        @WithDefault("30s")
        Duration heartbeatStaleAfter();

        @WithDefault("sriovlm-system")
        String evacuationNamespace();

        @WithDefault("registry.k8s.io/pause:3.10")
        String evacuationGuardImage();

        Optional<Integer> evacuationTimeoutSeconds();

        Optional<Integer> evacuationStepTimeoutSeconds();

        /** Set in a cluster (the pod's namespace): the replicas elect a leader on a Lease there. */
        Optional<String> leaseNamespace();
    }

    /** The agent role's settings ({@code sriovlm.agent.*}, env {@code SRIOVLM_AGENT_*}; docs/install.md). */
    @ConfigMapping(prefix = "sriovlm.agent")
    interface AgentSettings {
        Optional<String> nodeName();

        @WithDefault("qemu:///system")
        String libvirtUri();

        @WithDefault("/sys")
        String sysfsRoot();

        Optional<String> migrationUri();

        /** Default {@link AgentConfig#DEFAULT_HEARTBEAT_INTERVAL}. */
        Optional<Duration> heartbeatInterval();

        @WithDefault("true")
        boolean provision();

        Optional<String> ovsDbSocket();

        Optional<String> ovsVswitchdControl();
    }

    /** Deadlines of the migrations an evacuation creates; the CRD's defaults when neither is configured. */
    private io.sriovlm.api.v1alpha1.MigrationOptions evacuationOptions() {
        OperatorSettings o = operatorSettings;
        if (o.evacuationTimeoutSeconds().isEmpty() && o.evacuationStepTimeoutSeconds().isEmpty()) {
            return null;
        }
        var options = new io.sriovlm.api.v1alpha1.MigrationOptions();
        options.timeoutSeconds = o.evacuationTimeoutSeconds().orElse(null);
        options.stepTimeoutSeconds = o.evacuationStepTimeoutSeconds().orElse(null);
        return options;
    }

    @Override
    public int run(String... args) throws Exception {
        switch (role) {
            case "operator" -> {
                OperatorSettings s = operatorSettings;
                OperatorConfig config = new OperatorConfig(s.maxInFlight(), s.maxOutboundPerNode(),
                        s.maxInboundPerNode(), s.heartbeatStaleAfter());
                EvacuationConfig evacuation = new EvacuationConfig(s.evacuationNamespace(), s.evacuationGuardImage(),
                        evacuationOptions());
                Operator operator = OperatorRole.create(client.get(), config, evacuation, meters, Clock.systemUTC(),
                        o -> s.leaseNamespace().ifPresent(ns -> o.withLeaderElectionConfiguration(
                                new LeaderElectionConfiguration("sriovlm-operator", ns))));
                return runUntilExit(operator);
            }
            case "agent" -> {
                AgentSettings a = agentSettings;
                String node = a.nodeName().orElseThrow(() -> new IllegalStateException(
                        "the agent needs its node name: set NODE_NAME (SRIOVLM_AGENT_NODE_NAME) from spec.nodeName"));
                String published = a.migrationUri().orElse("qemu+tls://" + node + "/system");
                // Other hosts open this URI: refuse to publish one they would refuse (URI parameters, other schemes).
                MigrationTransport.uriProblem(published).ifPresent(p -> {
                    throw new IllegalStateException("sriovlm.agent.migration-uri (SRIOVLM_AGENT_MIGRATION_URI): " + p);
                });
                AgentConfig config = new AgentConfig(node, published,
                        a.heartbeatInterval().orElse(AgentConfig.DEFAULT_HEARTBEAT_INTERVAL), Duration.ofSeconds(1),
                        Duration.ofSeconds(10));
                LibvirtHypervisor hypervisor = new LibvirtHypervisor(a.libvirtUri());
                SysfsHostNetwork sysfs = new SysfsHostNetwork(Path.of(a.sysfsRoot()));
                NicProvisioner provisioner = a.provision() ? new NicProvisioner(sysfs,
                        new ProcessCommandRunner(Duration.ofSeconds(30)),
                        new OvsCli(a.ovsDbSocket().orElse(null), a.ovsVswitchdControl().orElse(null), 10)) : null;
                Operator agent = AgentRole.create(client.get(), config, hypervisor, sysfs, provisioner,
                        Clock.systemUTC());
                try {
                    return runUntilExit(agent);
                } finally {
                    hypervisor.close();
                }
            }
            case "none" -> {
                Quarkus.waitForExit();
                return 0;
            }
            default -> {
                LOG.errorf("unknown role '%s': set SRIOVLM_ROLE to operator or agent", role);
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
