package io.sriovlm.testing.realhv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The real-hypervisor tier as hack/realhv/hosts-up.sh built it: two libvirtd "hosts" hv1 and hv2 in their own
 * namespaces, a client namespace on the guest bridge, and the guest image. Values mirror hack/realhv/lib.sh; the
 * directory comes from {@code -Drealhv.dir} (default target/realhv). Test-side setup only (defining and starting the
 * guest, probes): the code under test talks to the hosts through {@code LibvirtHypervisor}.
 */
public final class RealHosts {

    public static final String GUEST = "teamvm";
    public static final String GUEST_MAC = "52:54:00:5a:00:10";
    public static final String GUEST_IP = "10.232.0.10";
    public static final int ECHO_PORT = 9999;
    public static final String BRIDGE = "rbr0";
    public static final String STANDBY_ALIAS = "ua-net0";
    public static final Map<String, String> TCP_ADDRESS = Map.of("hv1", "10.231.0.1", "hv2", "10.231.0.2");

    public final Path dir;
    public final String prefix;

    private RealHosts(Path dir, String prefix) {
        this.dir = dir;
        this.prefix = prefix;
    }

    /** The tier, or an AssertionError that says how to bring it up (never a silent skip). */
    public static RealHosts require() {
        Path dir = Path.of(System.getProperty("realhv.dir", "target/realhv")).toAbsolutePath();
        RealHosts hosts = new RealHosts(dir, System.getProperty("realhv.prefix", "srl"));
        for (String h : List.of("hv1", "hv2")) {
            if (!Files.exists(hosts.socket(h))) {
                throw new AssertionError("the real-hypervisor hosts are not up (no " + hosts.socket(h)
                        + "): run hack/e2e-hypervisors.sh, or hack/realhv/hosts-up.sh before this test");
            }
        }
        if (!Files.exists(hosts.guestXmlPath())) {
            throw new AssertionError("no guest domain XML at " + hosts.guestXmlPath() + ": run hack/e2e-hypervisors.sh");
        }
        return hosts;
    }

    public Path socket(String host) {
        return dir.resolve(host).resolve("sock/libvirt-sock");
    }

    /** What the agent of {@code host} is configured with. */
    public String unixUri(String host) {
        return "qemu+unix:///system?socket=" + socket(host);
    }

    /** What the other host's libvirtd migrates to (peer-to-peer over the hosts' veth). */
    public static String tcpUri(String host) {
        return "qemu+tcp://" + TCP_ADDRESS.get(host) + "/system";
    }

    public Path guestXmlPath() {
        return dir.resolve("guest/" + GUEST + ".xml");
    }

    public Path serialLog() {
        return dir.resolve("serial/" + GUEST + ".log");
    }

    public String guestXml() throws IOException {
        return Files.readString(guestXmlPath());
    }

    /** Removes the guest from both hosts (destroy + undefine), whatever state it is in. */
    public void removeGuest() {
        for (String h : List.of("hv1", "hv2")) {
            try {
                Connect c = new Connect(unixUri(h));
                try {
                    for (Domain d : c.listAllDomains(0)) {
                        try {
                            if (d.isActive() == 1) {
                                d.destroy();
                            }
                            if (d.isPersistent() == 1) {
                                d.undefine();
                            }
                        } catch (LibvirtException ignored) {
                            // gone meanwhile
                        } finally {
                            d.free();
                        }
                    }
                } finally {
                    c.close();
                }
            } catch (LibvirtException e) {
                System.err.println("cleanup on " + h + ": " + e.getMessage());
            }
        }
    }

    /** Defines and starts the guest on {@code host} and waits until its UDP echo runs. */
    public void bootGuest(String host, Duration timeout) throws Exception {
        Files.createDirectories(serialLog().getParent());
        Files.write(serialLog(), new byte[0]);
        Connect c = new Connect(unixUri(host));
        try {
            Domain d = c.domainDefineXML(guestXml());
            d.create();
            d.free();
        } finally {
            c.close();
        }
        awaitSerial("GUEST-READY", 0, timeout);
    }

    /** Waits for a marker in the guest's serial log after byte {@code from}; returns the offset after the marker. */
    public long awaitSerial(String marker, long from, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String log = serialSince(from);
            int at = log.indexOf(marker);
            if (at >= 0) {
                return from + log.substring(0, at + marker.length()).getBytes(StandardCharsets.ISO_8859_1).length;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("guest did not print '" + marker + "' within " + timeout + "; serial log tail:\n"
                + tail(serialSince(0), 2000));
    }

    /**
     * Whether the guest still runs: its /init prints a heartbeat line ("HB N") about every second, so none within
     * {@code within} means its kernel stopped (a TCG guest's rare freeze, which hack/e2e-hypervisors.sh treats as it
     * treats a logged kernel stall).
     */
    public boolean guestHeartbeats(Duration within) throws Exception {
        long from = serialSize();
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (serialSince(from).contains("HB ")) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    public long serialSize() throws IOException {
        return Files.exists(serialLog()) ? Files.size(serialLog()) : 0;
    }

    public String serialSince(long from) throws IOException {
        byte[] all = Files.readAllBytes(serialLog());
        return from >= all.length ? "" : new String(all, (int) from, all.length - (int) from, StandardCharsets.ISO_8859_1);
    }

    private static String tail(String s, int n) {
        return s.length() <= n ? s : s.substring(s.length() - n);
    }

    /**
     * Result of one run of the UDP probe from the client namespace.
     *
     * @param t0EpochMs wall-clock time of the first packet
     * @param gaps      every echo gap over 50 ms as {@code start_s:length_ms}, comma-separated
     */
    public record Probe(long sent, long echoed, long lost, double maxGapMs, double gapAtS, long t0EpochMs,
            String gaps) {
    }

    private static final Pattern PROBE = Pattern.compile(
            "sent=(\\d+) echoed=(\\d+) lost=(\\d+) max_gap_ms=([0-9.]+) gap_at_s=([0-9.]+)"
                    + ".*?t0_epoch_ms=(\\d+) gaps=(\\S*)");

    /** Starts the UDP probe (rate packets/s for the given seconds) from the client namespace. */
    public Process startProbe(int rate, double seconds) throws IOException {
        return new ProcessBuilder("ip", "netns", "exec", prefix + "-cli", dir.resolve("guest/udp-probe").toString(),
                GUEST_IP, String.valueOf(ECHO_PORT), String.valueOf(rate), String.valueOf(seconds))
                .redirectErrorStream(true).start();
    }

    /**
     * Starts counting, for {@code seconds}, the RARP frames (EtherType 0x8035) from the guest's MAC that reach the
     * client over the guest LAN: what QEMU's announce-self sends from each of the guest's NICs.
     */
    public Process startAnnounceCount(double seconds) throws IOException {
        return new ProcessBuilder("ip", "netns", "exec", prefix + "-cli", dir.resolve("guest/frame-count").toString(),
                "c0", "8035", GUEST_MAC, String.valueOf(seconds)).redirectErrorStream(true).start();
    }

    /** The count of a {@link #startAnnounceCount} once it ends. */
    public static long frames(Process count) throws Exception {
        if (!count.waitFor(60, TimeUnit.SECONDS)) {
            count.destroyForcibly();
            throw new AssertionError("frame-count did not finish");
        }
        String out = new String(count.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("frames=(\\d+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("frame-count said: " + out);
        }
        return Long.parseLong(m.group(1));
    }

    public static Probe finish(Process probe) throws Exception {
        if (!probe.waitFor(120, TimeUnit.SECONDS)) {
            probe.destroyForcibly();
            throw new AssertionError("udp-probe did not finish");
        }
        String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = PROBE.matcher(out);
        if (!m.find()) {
            throw new AssertionError("udp-probe said: " + out);
        }
        return new Probe(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)), Long.parseLong(m.group(6)),
                m.group(7));
    }

    public Probe probe(int rate, double seconds) throws Exception {
        return finish(startProbe(rate, seconds));
    }

    /** Runs a command to completion; returns its output (stdout+stderr) or fails with it. */
    public static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
