package io.sriovlm.sandbox;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.MeterRegistry;
import io.sriovlm.agent.AgentConfig;
import io.sriovlm.roles.AgentRole;
import io.sriovlm.agent.hostnet.CommandRunner;
import io.sriovlm.agent.hostnet.NicProvisioner;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.agent.libvirt.TeamingXml;
import io.sriovlm.api.v1alpha1.HypervisorNic;
import io.sriovlm.api.v1alpha1.HypervisorNicSpec;
import io.sriovlm.api.v1alpha1.Labels;
import io.sriovlm.api.v1alpha1.SriovMigration;
import io.sriovlm.api.v1alpha1.SriovMigrationSpec;
import io.sriovlm.api.v1alpha1.VfPool;
import io.sriovlm.api.v1alpha1.VfPoolSpec;
import io.sriovlm.operator.EvacuationConfig;
import io.sriovlm.operator.OperatorConfig;
import io.sriovlm.roles.OperatorRole;
import io.sriovlm.sandbox.api.CrdLoader;
import io.sriovlm.sandbox.api.EmbeddedApiServer;
import io.sriovlm.sandbox.api.SandboxApi;
import io.sriovlm.sandbox.controlplane.ControlPlaneApi;
import io.sriovlm.testing.host.FakeHostCommands;
import io.sriovlm.testing.host.FakeOvs;
import io.sriovlm.testing.host.FakeNicNames;
import io.sriovlm.testing.host.FakeSysfsTree;
import io.sriovlm.testing.host.RecordingCommandRunner;
import io.sriovlm.sandbox.host.SimulatedFabric;
import io.sriovlm.sandbox.host.SimulatedHypervisor;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole product in one process: an embedded Kubernetes API with the CRDs installed, the operator, and simulated
 * hypervisors, each with its own node agent running the production agent code over a simulated libvirt and a
 * generated sysfs tree. {@code kubectl --kubeconfig target/sandbox/kubeconfig} drives it.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Sandbox.class);
    public static final String PF = "ens2";
    public static final String PF_PCI = "0000:06:00.0";
    public static final int VFS_PER_NODE = 4;
    public static final String POOL = "pool-a";
    public static final String[] CRD_RESOURCES = { "crds/hypervisornics.sriovlm.io.yaml",
            "crds/sriovmigrations.sriovlm.io.yaml", "crds/vfpools.sriovlm.io.yaml",
            "crds/vminventories.sriovlm.io.yaml" };

    /**
     * @param port         API port (0: any free one)
     * @param nodes        simulated hypervisors
     * @param copyTime     simulated memory copy time of a migration
     * @param heartbeat    agent report interval
     * @param operatorConfig limits and staleness
     * @param vfsPerNode   VFs (and SF/VF bonds, one per VF index) on each node's PF
     * @param vms          the teamed VMs to seed: node -> (VM name -> the SF index its standby NIC and its VF use);
     *                     null for the default world (vm-01, vm-02 on the first node, vm-03 on the second)
     */
    public record Options(int port, List<String> nodes, Duration copyTime, Duration heartbeat,
            OperatorConfig operatorConfig, Path workDir, int vfsPerNode, Map<String, Map<String, Integer>> vms,
            boolean leaderElection, ControlPlane controlPlane, boolean operator, boolean lightFleet) {
        public static Options defaults(Path workDir) {
            return new Options(0, List.of("hv1", "hv2"), Duration.ofMillis(300), Duration.ofSeconds(2),
                    OperatorConfig.defaults(), workDir, VFS_PER_NODE, null, false, null, true, false);
        }

        /** Without the in-process operator: the agents and hosts only (the operator then runs elsewhere). */
        public Options withoutOperator() {
            return new Options(port, nodes, copyTime, heartbeat, operatorConfig, workDir, vfsPerNode, vms,
                    leaderElection, controlPlane, false, lightFleet);
        }

        /**
         * Runs on a real control plane built from {@code bin} (hack/build-control-plane.sh), the product installed
         * from {@code config}, instead of the embedded API server; {@code port} is then ignored.
         */
        public Options withControlPlane(ControlPlane c) {
            return new Options(port, nodes, copyTime, heartbeat, operatorConfig, workDir, vfsPerNode, vms,
                    leaderElection, c, operator, lightFleet);
        }

        public Options withPort(int p) {
            return new Options(p, nodes, copyTime, heartbeat, operatorConfig, workDir, vfsPerNode, vms, leaderElection,
                    controlPlane, operator, lightFleet);
        }

        public Options withCopyTime(Duration d) {
            return new Options(port, nodes, d, heartbeat, operatorConfig, workDir, vfsPerNode, vms, leaderElection,
                    controlPlane, operator, lightFleet);
        }

        public Options withHeartbeat(Duration d) {
            return new Options(port, nodes, copyTime, d, operatorConfig, workDir, vfsPerNode, vms, leaderElection,
                    controlPlane, operator, lightFleet);
        }

        public Options withOperatorConfig(OperatorConfig c) {
            return new Options(port, nodes, copyTime, heartbeat, c, workDir, vfsPerNode, vms, leaderElection,
                    controlPlane, operator, lightFleet);
        }

        /** N nodes with {@code vfsPerNode} VFs each, seeded with exactly these VMs (node -> VM -> SF index). */
        public Options withWorld(List<String> nodeNames, int vfs, Map<String, Map<String, Integer>> vmsByNode) {
            return new Options(port, nodeNames, copyTime, heartbeat, operatorConfig, workDir, vfs, vmsByNode,
                    leaderElection, controlPlane, operator, lightFleet);
        }

        /**
         * The operator runs leader-elected, as in production ({@code Main}): a Lease {@value #LEASE} in namespace
         * default, short timings (see {@link Sandbox#LEASE_DURATION}). Losing the Lease stops that operator and a new
         * replica starts, as the process exit and the Deployment's restart do in a cluster.
         */
        public Options withLeaderElection(boolean on) {
            return new Options(port, nodes, copyTime, heartbeat, operatorConfig, workDir, vfsPerNode, vms, on,
                    controlPlane, operator, lightFleet);
        }

        /**
         * A fleet light enough for a thousand nodes in one process (the fleet benchmark): every node still runs the
         * product's agent (its own client, identity, informers and controllers, writing what an agent writes), but
         * the agents share the HTTP client's event loops and task threads, the JSON mapper and a bounded pool of
         * reconcile threads ({@link SharedAgentRuntime}); a host's simulation threads end when idle; and the host
         * commands the provisioner runs are not recorded ({@link #commands} is null).
         */
        public Options withLightFleet() {
            return new Options(port, nodes, copyTime, heartbeat, operatorConfig, workDir, vfsPerNode, vms,
                    leaderElection, controlPlane, operator, true);
        }
    }

    /**
     * Where the sandbox finds a real control plane: the binaries' folder, the kustomize bases it installs the product
     * from, and whether the API server keeps an audit log of the product's requests.
     */
    public record ControlPlane(Path binaries, Path config, boolean audit) {
    }

    /** The operator's namespace (config/default): its Lease, and the evacuations' migrations and drain guards. */
    public static final String OPERATOR_NAMESPACE = EvacuationConfig.defaults().namespace();

    /** The operator's Lease, as {@code Main} names it. */
    public static final String LEASE = "sriovlm-operator";
    /** Lease timings of the sandbox's operator: a lost leadership is noticed within about two seconds. */
    public static final Duration LEASE_DURATION = Duration.ofSeconds(2);
    static final Duration RENEW_DEADLINE = Duration.ofMillis(1500);
    static final Duration RETRY_PERIOD = Duration.ofMillis(250);

    private final SandboxApi api;
    private final SimulatedKubelets kubelets;
    /** The client each running agent and the operator use, closed with them. */
    private final Map<Operator, KubernetesClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
    private final SimulatedFabric fabric;
    /** What a light fleet's agents share; null for full agents. */
    private final SharedAgentRuntime shared;
    private final Map<String, SimulatedHypervisor> hosts = new LinkedHashMap<>();
    private final Map<String, FakeSysfsTree> sysfs = new LinkedHashMap<>();
    private final Map<String, Operator> agents = new LinkedHashMap<>();
    private final Map<String, RecordingCommandRunner> commands = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, FakeOvs> ovs = new java.util.concurrent.ConcurrentHashMap<>();
    private final Options options;
    private final MeterRegistry meters;
    private Operator operator;
    private EvacuationConfig evacuation = EvacuationConfig.defaults();
    /** Identity of the operator replica that runs now (null between a stop and the next start). */
    private volatile String operatorIdentity;
    private final java.util.concurrent.atomic.AtomicInteger operatorReplicas = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger leadershipLosses = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    private Sandbox(Options options, MeterRegistry meters) {
        this.options = options;
        this.meters = meters;
        this.fabric = new SimulatedFabric(options.lightFleet());
        this.shared = options.lightFleet() ? new SharedAgentRuntime() : null;
        ControlPlane cp = options.controlPlane();
        this.api = cp == null
                ? EmbeddedApiServer.start("127.0.0.1", options.port(), CrdLoader.fromClasspath(CRD_RESOURCES))
                : ControlPlaneApi.start(cp.binaries(), options.workDir().resolve("control-plane"), cp.config(),
                        cp.audit());
        this.kubelets = new SimulatedKubelets(api.client());
    }

    /** Starts the API, seeds the default world, then the operator and one agent per node. */
    public static Sandbox start(Options options, MeterRegistry meters) {
        Sandbox sandbox = new Sandbox(options, meters);
        try {
            sandbox.kubelets.start();
            sandbox.seed();
            if (options.operator()) {
                sandbox.startOperator();
            }
            for (String node : options.nodes()) {
                sandbox.startAgent(node);
            }
            return sandbox;
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
    }

    public SandboxApi api() {
        return api;
    }

    public KubernetesClient client() {
        return api.client();
    }

    public SimulatedHypervisor host(String node) {
        return hosts.get(node);
    }

    public FakeSysfsTree sysfs(String node) {
        return sysfs.get(node);
    }

    /** The host commands (devlink, ethtool, ip, OVS) a node's agent ran, as recorded; null in a light fleet. */
    public RecordingCommandRunner commands(String node) {
        return commands.get(node);
    }

    /** A node's stand-in Open vSwitch. */
    public FakeOvs ovs(String node) {
        return ovs.get(node);
    }

    public MeterRegistry meters() {
        return meters;
    }

    public SimulatedFabric fabric() {
        return fabric;
    }

    /** The settings the operator runs with (those of the next start, after {@link #restartOperator}). */
    public OperatorConfig operatorConfig() {
        return options.operatorConfig();
    }

    /** Stops and starts a node's agent, as a crash and a DaemonSet restart would. */
    public void restartAgent(String node) {
        stopAgent(node);
        startAgent(node);
    }

    /** Stops a node's agent (a crash with no restart yet); its HypervisorNic keeps its last report. */
    public void stopAgent(String node) {
        Operator old = agents.remove(node);
        if (old != null) {
            stop(old);
        }
    }

    /** Stops an operator or agent and closes the client it used. */
    private void stop(Operator o) {
        try {
            o.stop();
        } finally {
            KubernetesClient c = clients.remove(o);
            if (c != null) {
                c.close();
            }
        }
    }

    /** Starts a node's agent again after {@link #stopAgent}; a no-op when it runs. */
    public void resumeAgent(String node) {
        if (!agents.containsKey(node)) {
            startAgent(node);
        }
    }

    /** From the next operator start on (call {@link #restartOperator}), evacuations use these settings. */
    public void useEvacuationConfig(EvacuationConfig config) {
        this.evacuation = config;
    }

    /** Stops and starts the operator (starts it when {@link #stopOperator} stopped it). */
    public synchronized void restartOperator() {
        stopOperator();
        startOperator();
    }

    /** Stops the operator, as scaling its Deployment to zero would; {@link #restartOperator} starts it again. */
    public synchronized void stopOperator() {
        operatorIdentity = null; // a deliberate stop: the leadership it gives up is no loss
        if (operator != null) {
            stop(operator);
            operator = null;
        }
    }

    /**
     * The event sources of the controllers of the operator and of every agent running now, by controller name, for
     * tests that check how the product configures its informers.
     */
    public synchronized Map<String, List<io.javaoperatorsdk.operator.processing.event.source.EventSource<?, ?>>>
            eventSourcesByController() {
        Map<String, List<io.javaoperatorsdk.operator.processing.event.source.EventSource<?, ?>>> out =
                new LinkedHashMap<>();
        List<Operator> running = new ArrayList<>(agents.values());
        if (operator != null) {
            running.add(operator);
        }
        for (Operator o : running) {
            o.getRegisteredControllers().forEach(c -> out.computeIfAbsent(c.getConfiguration().getName(),
                    k -> new ArrayList<>()).addAll(((io.javaoperatorsdk.operator.processing.Controller<?>) c)
                    .getEventSourceManager().getRegisteredEventSources()));
        }
        return out;
    }

    /** The identity of the operator replica that runs now; with leader election, the Lease holder it wants to be. */
    public String operatorIdentity() {
        return operatorIdentity;
    }

    /** How many times an operator replica lost its leadership and was replaced. */
    public int leadershipLosses() {
        return leadershipLosses.get();
    }

    /**
     * Another candidate takes the operator's Lease and holds it for {@code holdFor} (as a second replica that won a
     * renewal race, or a partitioned leader's successor): the running operator can no longer renew, stops leading
     * within {@link #RENEW_DEADLINE}, is stopped and replaced, and the new replica leads once the intruder's Lease
     * expires. Requires {@link Options#withLeaderElection}.
     */
    public void stealLeadership(String intruder, Duration holdFor) {
        if (!options.leaderElection()) {
            throw new IllegalStateException("the sandbox's operator runs without leader election");
        }
        java.time.ZonedDateTime now = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC);
        int seconds = (int) Math.max(1, holdFor.toSeconds());
        // The leader renews the same Lease every few hundred ms: an edit can lose that race (409); take it again.
        for (int attempt = 1; ; attempt++) {
            try {
                client().leases().inNamespace(OPERATOR_NAMESPACE).withName(LEASE).edit(l -> {
                    l.getSpec().setHolderIdentity(intruder);
                    l.getSpec().setAcquireTime(now);
                    l.getSpec().setRenewTime(now);
                    l.getSpec().setLeaseDurationSeconds(seconds);
                    l.getSpec().setLeaseTransitions(l.getSpec().getLeaseTransitions() == null ? 1
                            : l.getSpec().getLeaseTransitions() + 1);
                    return l;
                });
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    /** The holder of the operator's Lease, empty before the first election. */
    public java.util.Optional<String> leaseHolder() {
        var lease = client().leases().inNamespace(OPERATOR_NAMESPACE).withName(LEASE).get();
        return java.util.Optional.ofNullable(lease == null || lease.getSpec() == null ? null
                : lease.getSpec().getHolderIdentity());
    }

    private synchronized void startOperator() {
        startRestartingOnFailure("the operator", () -> {
            String identity = "sandbox-operator-" + operatorReplicas.incrementAndGet();
            KubernetesClient client = api.operatorClient();
            operator = OperatorRole.create(client, options.operatorConfig(), evacuation, meters, Clock.systemUTC(),
                    o -> {
                        o.withInformerStoppedHandler((informer, e) -> {
                            if (e != null) {
                                onInformerFailed("operator " + identity, () -> identity.equals(operatorIdentity),
                                        this::restartOperator, e);
                            }
                        });
                        if (options.leaderElection()) {
                            // JOSDK exits the JVM on a lost leadership unless told not to; here the "process" is
                            // this replica.
                            o.withLeaderElectionConfiguration(
                                    new io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration(LEASE,
                                            OPERATOR_NAMESPACE, LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD, identity,
                                            new io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks(
                                                    () -> {
                                                    }, () -> onStoppedLeading(identity), leader -> {
                                                    }), false));
                        }
                    });
            clients.put(operator, client);
            operatorIdentity = identity;
            return operator;
        }, failed -> operatorIdentity = null);
    }

    /** How often an operator or agent that fails to start (an informer's first list refused) is started anew. */
    static final int START_ATTEMPTS = 5;

    /**
     * Starts a new instance; when it fails to start, stops it (closing its client) and starts a new one, a little
     * later each time, as a pod's restarts would, up to {@link #START_ATTEMPTS} times.
     */
    private Operator startRestartingOnFailure(String who, java.util.function.Supplier<Operator> create,
            java.util.function.Consumer<Operator> forget) {
        for (int attempt = 1; ; attempt++) {
            Operator instance = create.get();
            try {
                instance.start();
                return instance;
            } catch (RuntimeException e) {
                forget.accept(instance);
                safely(() -> stop(instance));
                if (closed || attempt >= START_ATTEMPTS) {
                    throw e;
                }
                LOG.warnf(e, "%s failed to start (attempt %d of %d): starting it anew, as its pod would be", who,
                        attempt, START_ATTEMPTS);
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * JOSDK exits the process when an informer dies, so that the pod restarts; here one process hosts every "pod".
     * An informer of an operator or agent stopped on purpose dies with the client closed under it: nothing to do. One
     * of a running instance means that pod would restart: restart that instance.
     */
    private void onInformerFailed(String who, java.util.function.BooleanSupplier stillCurrent, Runnable restart,
            Throwable e) {
        if (closed || !stillCurrent.getAsBoolean()) {
            LOG.debugf(e, "an informer of %s, stopped already, ended", who);
            return;
        }
        LOG.warnf(e, "an informer of %s failed: restarting it, as its pod would be", who);
        Thread t = new Thread(() -> {
            synchronized (this) {
                if (!closed && stillCurrent.getAsBoolean()) {
                    restart.run();
                }
            }
        }, "sandbox-restart-after-informer-failure");
        t.setDaemon(true);
        t.start();
    }

    /** What the process exit and the Deployment's restart do in a cluster: this replica goes, a new one starts. */
    private void onStoppedLeading(String identity) {
        Thread t = new Thread(() -> {
            synchronized (this) {
                if (closed || !identity.equals(operatorIdentity)) {
                    return; // stopped on purpose, or already replaced
                }
                leadershipLosses.incrementAndGet();
                LOG.infof("operator %s lost its leadership: replacing it", identity);
                operatorIdentity = null;
                safely(() -> stop(operator));
                try {
                    startOperator();
                } catch (RuntimeException e) {
                    if (!closed) {
                        throw e;
                    }
                    // The sandbox closed while the replacement was starting (its informers lost the API server).
                    // Thrown on, it would surface as an uncaught exception in whatever test runs next.
                    LOG.debugf(e, "replacement operator %s stopped by the sandbox's close", identity);
                }
            }
        }, "sandbox-operator-replacement");
        t.setDaemon(true);
        t.start();
    }

    /**
     * A node goes NotReady (its kubelet stops posting status: the Node's Ready condition turns Unknown/False) and
     * its agent stops, or comes back Ready with its agent restarted. VMs keep running on it (the simulated host
     * stays), as on a host whose kubelet or network to the API is down.
     */
    public void setNodeReady(String node, boolean ready) {
        if (!ready) {
            stopAgent(node);
        }
        kubelets.setReady(node, ready);
        if (ready) {
            resumeAgent(node);
        }
    }

    private void startAgent(String node) {
        AgentConfig config = new AgentConfig(node, SimulatedFabric.uriOf(node), options.heartbeat(),
                Duration.ofMillis(500), Duration.ofSeconds(5));
        // The same provisioning engine as on a host, over this node's fake tree: sysfs writes behave as the kernel's,
        // devlink/ethtool/ip are answered by FakeHostCommands and OVS by an in-memory FakeOvs (recorded, not real).
        FakeSysfsTree tree = sysfs.get(node);
        FakeHostCommands host = new FakeHostCommands(tree, ovs.computeIfAbsent(node, x -> new FakeOvs()));
        // Each heartbeat's discovery runs host commands: a record of them all grows without end in a long fleet run.
        CommandRunner commands = shared != null ? host
                : this.commands.computeIfAbsent(node, n -> new RecordingCommandRunner(host));
        NicProvisioner provisioner = new NicProvisioner(tree.hostNetwork(), commands, OvsCli.system());
        Operator started = startRestartingOnFailure("the agent of " + node, () -> {
            KubernetesClient client = shared != null ? api.agentClient(node, shared::share) : api.agentClient(node);
            var self = new java.util.concurrent.atomic.AtomicReference<Operator>();
            Operator agent = AgentRole.create(client, config, hosts.get(node), tree.hostNetwork(), provisioner,
                    Clock.systemUTC(), o -> {
                        o.withInformerStoppedHandler((informer, e) -> {
                            if (e != null) {
                                onInformerFailed("the agent of " + node, () -> agents.get(node) == self.get(),
                                        () -> restartAgent(node), e);
                            }
                        });
                        if (shared != null) {
                            o.withExecutorService(shared.reconcileExecutor());
                        }
                    });
            self.set(agent);
            clients.put(agent, client);
            return agent;
        }, failed -> {
        });
        // Current only once started: an informer failing during the start is the retry's to handle, not a restart's.
        agents.put(node, started);
    }

    /** The default world: nodes, a HypervisorNic each, pool-a, and teamed VMs vm-01, vm-02 on hv1 and vm-03 on hv2. */
    private void seed() {
        KubernetesClient client = api.client();
        List<String> nodes = options.nodes();
        Map<String, Map<String, Integer>> vmsByNode = options.vms();
        if (vmsByNode == null) {
            // Each VM uses SF netdev methN and the VF paired with it; VM numbers keep SFs distinct cluster-wide.
            vmsByNode = new LinkedHashMap<>();
            vmsByNode.put(nodes.get(0), new LinkedHashMap<>(Map.of("vm-01", 0)));
            vmsByNode.get(nodes.get(0)).put("vm-02", 1);
            if (nodes.size() > 1) {
                vmsByNode.put(nodes.get(1), Map.of("vm-03", 2));
            }
        }
        int vfs = options.vfsPerNode();
        for (String node : nodes) {
            Map<String, Integer> vms = vmsByNode.getOrDefault(node, Map.of());
            List<FakeSysfsTree.BondDef> bonds = new ArrayList<>();
            for (int i = 0; i < vfs; i++) {
                FakeSysfsTree.BondDef standard = FakeSysfsTree.BondDef.standard(PF, PF_PCI, i);
                bonds.add(standard);
            }
            SimulatedHypervisor host = fabric.newHost(node);
            host.setCopyTime(options.copyTime());
            hosts.put(node, host);
            for (int sf : vms.values()) {
                FakeSysfsTree.BondDef b = bonds.get(sf);
                bonds.set(sf, new FakeSysfsTree.BondDef(b.name(), b.sfNetdev(), b.sfRepresentor(), b.vfRepresentor(),
                        b.vfIndex(), b.vfRepresentor()));
            }
            try {
                Path root = options.workDir().resolve("sysfs").resolve(node);
                deleteRecursively(root); // the fake host starts fresh on every run, like a rebooted one
                Files.createDirectories(root);
                sysfs.put(node, FakeSysfsTree.create(root, PF, PF_PCI, vfs, bonds));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Map.Entry<String, Integer> vm : vms.entrySet()) {
                int sf = vm.getValue();
                try {
                    host.define(teamedDomain(vm.getKey(), sf, FakeNicNames.pciAddressOfVf(PF_PCI, sf),
                            macOf(vm.getKey(), sf)), true);
                } catch (io.sriovlm.agent.libvirt.HypervisorException e) {
                    throw new IllegalStateException("cannot define " + vm.getKey() + " on " + node, e);
                }
            }
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
                    .addToLabels("kubernetes.io/hostname", node).addToLabels(Labels.HYPERVISOR, "true")
                    .endMetadata().withNewSpec().endSpec().build()).create();
            kubelets.setReady(node, true);
            client.resource(hypervisorNic(node, bonds, vfs)).create();
        }
        VfPool pool = new VfPool();
        pool.getMetadata().setName(POOL);
        pool.setSpec(new VfPoolSpec());
        pool.getSpec().nodeSelector = Map.of(Labels.HYPERVISOR, "true");
        pool.getSpec().pfName = PF;
        client.resource(pool).create();
    }

    static HypervisorNic hypervisorNic(String node, List<FakeSysfsTree.BondDef> bonds) {
        return hypervisorNic(node, bonds, VFS_PER_NODE);
    }

    static HypervisorNic hypervisorNic(String node, List<FakeSysfsTree.BondDef> bonds, int vfs) {
        // As a user writes it (config/samples): no sriovlm.io/node label, which the operator adds for the agents.
        HypervisorNic nic = new HypervisorNic();
        nic.getMetadata().setName(node + "-" + PF);
        HypervisorNicSpec spec = new HypervisorNicSpec();
        spec.nodeName = node;
        spec.pf = new HypervisorNicSpec.PhysicalFunction();
        spec.pf.name = PF;
        spec.pf.pciAddress = PF_PCI;
        spec.numVfs = vfs;
        spec.eswitchMode = HypervisorNicSpec.EswitchMode.switchdev;
        spec.hwTcOffload = true;
        spec.sfs = new HypervisorNicSpec.SubFunctionSpec();
        spec.sfs.count = bonds.size();
        spec.ovs = new HypervisorNicSpec.OvsBridgeSpec();
        spec.ovs.bridge = "ovs-sriov";
        spec.ovs.uplink = PF;
        spec.ovs.hwOffload = true;
        spec.ovs.tcPolicy = "skip_sw";
        spec.ovs.maxIdleMs = 100000;
        for (FakeSysfsTree.BondDef def : bonds) {
            HypervisorNicSpec.BondSpec bond = new HypervisorNicSpec.BondSpec();
            bond.name = def.name();
            bond.sfNetdev = def.sfNetdev();
            bond.sfRepresentor = def.sfRepresentor();
            bond.vfRepresentor = def.vfRepresentor();
            bond.vfIndex = def.vfIndex();
            bond.vlan = 100;
            spec.bonds.add(bond);
        }
        nic.setSpec(spec);
        return nic;
    }

    /** A SriovMigration of {@code vm} in {@code default} from pool-a, to {@code target} (null: placement chooses). */
    public static SriovMigration migration(String name, String vm, String target) {
        SriovMigration m = new SriovMigration();
        m.getMetadata().setName(name);
        m.getMetadata().setNamespace("default");
        m.setSpec(new SriovMigrationSpec());
        m.getSpec().vmName = vm;
        m.getSpec().targetNode = target;
        m.getSpec().vfPool = POOL;
        return m;
    }

    /**
     * A small teamed domain as the runbook builds it: macvtap standby on methN plus the VF with transient teaming,
     * with a MAC of its own ({@link #macOf}; two VMs sharing one are refused, see TeamingMacs).
     */
    public static String teamedDomain(String name, int sf, String vfPci) {
        return teamedDomain(name, sf, vfPci, macOf(name, sf));
    }

    /** The default world's VMs keep their historical MACs; seeded ones of a larger world get one from their name. */
    private static String macOf(String vm, int sf) {
        if (vm.matches("vm-0[1-3]")) {
            return String.format("52:54:00:53:53:%02x", sf);
        }
        int h = vm.hashCode();
        return String.format("52:54:01:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
    }

    /** The CPU of the world's VMs: a named model, as a running KVM domain's live XML shows it, that every host runs. */
    public static final String DEFAULT_CPU = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>";

    public static String teamedDomain(String name, int sf, String vfPci, String mac) {
        return "<domain type='kvm'><name>" + name + "</name><uuid>" + UUID.nameUUIDFromBytes(name.getBytes())
                + "</uuid><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='q35'>hvm</type></os>" + DEFAULT_CPU + "<devices>"
                + TeamingXml.standbyInterface(mac, "ua-net" + sf, "meth" + sf, true)
                + TeamingXml.primaryInterface(mac, vfPci, "ua-net" + sf, "ua-sriov" + sf)
                + "</devices></domain>";
    }

    /** Waits until the agents have reported and the pool's ledger counts their VFs. */
    public static void awaitPoolReady(KubernetesClient client, Duration timeout) throws InterruptedException {
        Instant until = Instant.now().plus(timeout);
        while (Instant.now().isBefore(until)) {
            VfPool pool = client.resources(VfPool.class).withName(POOL).get();
            if (pool != null && pool.getStatus() != null && pool.getStatus().totalVfs != null
                    && pool.getStatus().totalVfs > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the sandbox's agents did not report within " + timeout);
    }

    @Override
    public void close() {
        closed = true;
        agents.values().forEach(a -> safely(() -> stop(a)));
        agents.clear();
        if (operator != null) {
            safely(() -> stop(operator));
        }
        safely(kubelets::close);
        safely(fabric::close);
        safely(api::close);
        if (shared != null) {
            safely(shared::close);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debugf(e, "while closing the sandbox");
        }
    }
}
