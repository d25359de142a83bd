package io.sriovlm.testing;

import io.sriovlm.agent.hostnet.CommandRunner;
import io.sriovlm.agent.hostnet.CommandRunner.CommandResult;
import io.sriovlm.agent.hostnet.OvsCli;
import io.sriovlm.agent.hostnet.ProcessCommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A private Open vSwitch for one test class: ovsdb-server and ovs-vswitchd started from a temp dir with their own
 * sockets, pidfiles and logs (never the system's), the userspace datapath, and ovs-vswitchd inside a network
 * namespace of its own where the test creates veth stand-ins for the host's netdevs. {@link #close()} stops exactly
 * the two daemons it started (by the pids in its pidfiles), deletes its namespace and its directory; a shutdown
 * hook does the same if the JVM ends before the test's teardown.
 */
public final class OvsFixture implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

    private final Path dir;
    private final String netns;
    private final CommandRunner sh = new ProcessCommandRunner(Duration.ofSeconds(20));
    private final Thread hook = new Thread(this::stop, "ovs-fixture-cleanup");
    private final List<String> log = new ArrayList<>();
    private boolean netnsCreated;
    private boolean stopped;

    private OvsFixture() throws IOException {
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "sriovlm-ovs-");
        this.netns = "sriovlm-ovs-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    /** Starts the daemons; fails with what is missing when OVS or root is not there. */
    public static OvsFixture start() throws IOException {
        for (String tool : List.of("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-appctl")) {
            if (new ProcessCommandRunner(Duration.ofSeconds(5)).run(List.of(tool, "--version")).exitCode() == 127) {
                throw new IllegalStateException(tool + " is not installed: run hack/install-test-deps.sh (as root)");
            }
        }
        OvsFixture f = new OvsFixture();
        Runtime.getRuntime().addShutdownHook(f.hook);
        try {
            f.boot();
            return f;
        } catch (RuntimeException | IOException e) {
            f.close();
            throw e;
        }
    }

    private void boot() throws IOException {
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("log"));
        must(List.of("ovsdb-tool", "create", dir.resolve("conf.db").toString(), SCHEMA));
        must(List.of("ip", "netns", "add", netns));
        netnsCreated = true;
        must(List.of("ip", "-n", netns, "link", "set", "lo", "up"));
        must(List.of("ovsdb-server", dir.resolve("conf.db").toString(), "--remote=punix:" + dbSocket(),
                "--pidfile=" + dir.resolve("run/ovsdb-server.pid"), "--log-file=" + dir.resolve("log/ovsdb-server.log"),
                "--unixctl=" + dir.resolve("run/ovsdb-server.ctl"), "--detach", "--no-chdir"));
        must(List.of("ovs-vsctl", "--db=unix:" + dbSocket(), "--no-wait", "init"));
        must(List.of("ip", "netns", "exec", netns, "ovs-vswitchd", "unix:" + dbSocket(),
                "--pidfile=" + dir.resolve("run/ovs-vswitchd.pid"), "--log-file=" + dir.resolve("log/ovs-vswitchd.log"),
                "--unixctl=" + vswitchdControl(), "--detach", "--no-chdir"));
    }

    public String dbSocket() {
        return dir.resolve("run/db.sock").toString();
    }

    public String vswitchdControl() {
        return dir.resolve("run/ovs-vswitchd.ctl").toString();
    }

    /** How the provisioner reaches this OVS. */
    public OvsCli cli() {
        return new OvsCli(dbSocket(), vswitchdControl(), 10);
    }

    /** Creates veth stand-ins for host netdevs inside ovs-vswitchd's namespace, up, with their peers up. */
    public void netdevs(String... names) {
        for (String n : names) {
            String peer = "p" + SEQ.incrementAndGet();
            must(List.of("ip", "-n", netns, "link", "add", n, "type", "veth", "peer", "name", peer));
            must(List.of("ip", "-n", netns, "link", "set", n, "up"));
            must(List.of("ip", "-n", netns, "link", "set", peer, "up"));
        }
    }

    /** Runs ovs-vsctl against this OVS, as an admin would behind the agent's back. */
    public CommandResult vsctl(String... args) {
        return sh.run(cli().vsctl(args));
    }

    public CommandResult appctl(String... args) {
        return sh.run(cli().appctl(args));
    }

    public String vswitchdLog() {
        try {
            return Files.readString(dir.resolve("log/ovs-vswitchd.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private CommandResult must(List<String> argv) {
        CommandResult r = sh.run(argv);
        log.add(String.join(" ", argv) + " -> " + r.exitCode());
        if (!r.succeeded()) {
            throw new IllegalStateException("`" + String.join(" ", argv) + "` exited " + r.exitCode() + ": " + r.error());
        }
        return r;
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // JVM shutting down: the hook is running or ran
        }
    }

    private synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (String daemon : List.of("ovs-vswitchd", "ovsdb-server")) {
            Path pidfile = dir.resolve("run/" + daemon + ".pid");
            try {
                if (Files.exists(pidfile)) {
                    long pid = Long.parseLong(Files.readString(pidfile).trim());
                    ProcessHandle.of(pid).ifPresent(p -> {
                        p.destroy();
                        try {
                            p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (Exception e) {
                            p.destroyForcibly();
                        }
                    });
                }
            } catch (IOException | NumberFormatException e) {
                // nothing started, nothing to stop
            }
        }
        if (netnsCreated) {
            sh.run(List.of("ip", "netns", "del", netns));
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
