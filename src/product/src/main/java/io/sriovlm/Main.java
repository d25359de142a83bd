package io.sriovlm;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.agent.AgentSettings;
import io.sriovlm.operator.OperatorSettings;
import io.sriovlm.roles.AgentRole;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.agent.hostnet.ProcessCommandRunner;
import io.sriovlm.agent.hostnet.SysfsHostNetwork;
import io.sriovlm.agent.libvirt.LibvirtHypervisor;
import io.sriovlm.api.v1alpha1.MigrationTransport;
import io.sriovlm.roles.OperatorRole;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * One jar, two roles, chosen by {@code sriovlm.role} (env SRIOVLM_ROLE): {@code operator} (the Deployment) and
 * {@code agent} (the DaemonSet, one per hypervisor). Their settings: {@link OperatorSettings} and {@link AgentSettings}.
 * The sandbox is an artifact of its own (src/sandbox), not a role of this one.
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

    @Override
    public int run(String... args) throws Exception {
        switch (role) {
            case "operator" -> {
                OperatorSettings s = operatorSettings;
                Operator operator = OperatorRole.create(client.get(), s.limits(), s.evacuation(), meters,
                        Clock.systemUTC(),
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
                AgentConfig config = a.config(node, published);
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
