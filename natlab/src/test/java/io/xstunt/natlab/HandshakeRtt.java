package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.xstunt.natlab.Peer.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue #4 item 5, "handshake in round trips on real NATs": XConnect's wall time through the lab's
 * NATs, in peer-server round trips, for RACE (ours) and ORIGINAL (XSTUNT 1.0's close-and-relisten),
 * measured in the same run. Per delay and topology it brings up the lab, pings the paths (the RTT
 * unit is measured, not assumed), starts a server, and per strategy one listener JVM
 * ({@code listen --count N}) and one connector JVM ({@code connect --peer l,l,...}): the connector's
 * first handshakes warm its JVM up and are discarded, the rest are the figures. Every connection is
 * checked direct (both remote addresses are the other NAT's public address, the payload came back,
 * the server relayed fewer bytes than the payload). Not a test itself: {@link HandshakeRttBenchmark}
 * (full, on demand) and {@link HandshakeRttSmokeTest} (short, in the default run) drive it.
 */
final class HandshakeRtt {
    static final String STRICT = "strict";
    static final String LIBERAL = "liberal";
    /** JVM start + registration with probing through delayed links, on 2 shared cores. */
    private static final Duration START = Duration.ofSeconds(60);
    private static final int PINGS = 10;
    private static final Pattern PING_TIME = Pattern.compile("time=([0-9.]+) ms");
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** Where the delay sits; in the first two the peer-server RTT is 2D, so the RTT unit is the same. */
    enum Topology {
        /** {@code --delay D}: the two NAT links only. Peer-server RTT 2D, peer-peer RTT 4D. */
        NAT_LINKS("nat-links"),
        /**
         * {@code --delay D/2 --delay-srv D/2}: every path (peer-server, peer-peer) crosses two
         * links of D/2, so all RTTs are 2D, and the relayed path (4 links) is longer than the
         * direct one, as on the internet.
         */
        EQUAL_PATHS("equal-paths"),
        /**
         * {@code --delay1 5 --delay2 40}: the listener 5 ms from the server, the connector 40 ms
         * (whatever D): FAST's start offset at work, the nearer peer waits. Peer-server RTTs 10
         * and 80 ms, peer-peer 90 ms.
         */
        UNEQUAL("unequal-5-40"),
        /** {@code --delay D --loss 1}: nat-links with 1 % random loss on both NAT links, each way. */
        NAT_LINKS_LOSS("nat-links-loss-1pct");

        final String label;

        Topology(String label) {
            this.label = label;
        }

        List<String> labOptions(double d) {
            return switch (this) {
                case NAT_LINKS -> List.of("--delay", num(d));
                case EQUAL_PATHS -> List.of("--delay", num(d / 2), "--delay-srv", num(d / 2));
                case UNEQUAL -> List.of("--delay1", "5", "--delay2", "40");
                case NAT_LINKS_LOSS -> List.of("--delay", num(d), "--loss", "1");
            };
        }

        double peerPeerRtt(double d) {
            return switch (this) {
                case NAT_LINKS, NAT_LINKS_LOSS -> 4 * d;
                case EQUAL_PATHS -> 2 * d;
                case UNEQUAL -> 2 * (5 + 40);
            };
        }
    }

    /**
     * What to measure.
     *
     * @param warmup the connector's first handshakes, discarded (JVM warm-up)
     * @param measured the handshakes after them that make the figures
     * @param originalStrictRuns ORIGINAL attempts on strict conntrack (expected to fail, reported)
     */
    record Plan(String mode, List<Double> delaysMs, List<Topology> topologies, int warmup, int measured,
                int originalStrictRuns) {
        /** Without delay the topologies are the same lab: measured once. */
        List<Topology> topologies(double delayMs) {
            return delayMs == 0 ? topologies.subList(0, 1) : topologies;
        }

        int labs() {
            return delaysMs.stream().mapToInt(d -> topologies(d).size()).sum();
        }
    }

    /** CI-sized: 10 ms on the NAT links, RACE on strict and ORIGINAL on liberal, 3 handshakes each. */
    static final Plan SHORT = new Plan("short", List.of(10.0), List.of(Topology.NAT_LINKS), 2, 3, 0);
    /**
     * The figures of docs/PERFORMANCE.md section 5; 0 ms (one topology: without delay they are the
     * same) is the floor, what the handshake costs without the network: the CPU of 2 shared cores.
     */
    static final Plan FULL = new Plan("full", List.of(0.0, 10.0, 25.0, 50.0),
            List.of(Topology.NAT_LINKS, Topology.EQUAL_PATHS), 2, 10, 2);
    /**
     * Issue 15's two other labs: unequal server distances (5 and 40 ms) and nat-links at 25 ms
     * with 1 % loss; 10 handshakes each.
     */
    static final Plan EXTRA = new Plan("extra", List.of(25.0), List.of(Topology.UNEQUAL, Topology.NAT_LINKS_LOSS),
            2, 10, 0);

    /** Median, min and max of a ping series (ping prints whole ms from 100 ms up). */
    record Ping(double median, double min, double max, int replies) {
    }

    /** One XConnect as the connector saw it: wall time, phases, the far end; or its error. */
    record Handshake(double totalMs, Map<String, Double> phases, String remote, String error, boolean echoed) {
        boolean connected() {
            return error == null && remote != null;
        }
    }

    /** One row: a strategy on one lab, with that lab's pings: h2->srv, h1->srv, h2->nat1. */
    record Row(double delayMs, Topology topology, String strategy, String conntrack, String lab,
               Ping connectorServer, Ping listenerServer, Ping peerPeer, List<Handshake> warmup, List<Handshake> measured,
               String loadBefore, String loadAfter) {
        List<Handshake> direct() {
            return measured.stream().filter(Handshake::connected).toList();
        }

        List<Double> totals() {
            return direct().stream().map(Handshake::totalMs).sorted().toList();
        }

        /**
         * The RTT unit: the connector's (h2's) peer-server round trip, the lowest of its pings:
         * the path itself; other processes on the 2 shared cores only ever add to a ping (seen:
         * a median 3 % high under load 3.7), and that noise belongs to the handshake's figure,
         * not to its unit.
         */
        double unit() {
            return connectorServer.min();
        }

        /** Median of each phase over the direct handshakes, in phase order. */
        Map<String, Double> phaseMedians() {
            Map<String, List<Double>> all = new LinkedHashMap<>();
            for (Handshake h : direct()) {
                h.phases().forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
            Map<String, Double> m = new LinkedHashMap<>();
            all.forEach((k, v) -> m.put(k, median(v)));
            return m;
        }

        List<String> failures() {
            return measured.stream().filter(h -> !h.connected()).map(Handshake::error).toList();
        }
    }

    private final Plan plan;
    private final Path fingerprints;
    private final Path out;
    private final List<Peer> peers = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();
    private final String started = Instant.now().toString();
    private final String loadAtStart = load();
    private Peer server;
    private int sessions;
    /** The current lab's name (peer log names) and its RTTs, pinged right after it came up. */
    private String name;
    private Ping pingH2Srv;
    private Ping pingH1Srv;
    private Ping pingPeers;

    private HandshakeRtt(Plan plan, Path out) throws IOException {
        this.plan = plan;
        this.out = out;
        this.fingerprints = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "natlab-rtt-fp");
    }

    /**
     * Runs the plan; the results file is rewritten after every row, so a run that fails keeps what
     * it measured. The lab is always taken down.
     *
     * @param out the results file
     * @return the rows
     */
    static List<Row> run(Plan plan, Path out) throws IOException {
        HandshakeRtt r = new HandshakeRtt(plan, out);
        try {
            for (double d : plan.delaysMs()) {
                for (Topology t : plan.topologies(d)) {
                    r.lab(d, t);
                }
            }
        } finally {
            r.closePeers();
            Lab.down();
        }
        return List.copyOf(r.rows);
    }

    /** FAST and RACE (and ORIGINAL, expected to fail) on strict conntrack, then ORIGINAL on liberal. */
    private void lab(double d, Topology t) {
        List<String> strict = new ArrayList<>(List.of("--nat", "preserve", "--inbound", "drop"));
        strict.addAll(t.labOptions(d));
        int timeoutS = (int) Math.ceil(5 + 40 * 2 * Math.max(d, t == Topology.UNEQUAL ? 45 : 0) / 1000);
        up(d, t, STRICT, strict);
        series(d, t, NatLabTest.FAST, STRICT, strict, plan.warmup(), plan.measured(), timeoutS);
        series(d, t, NatLabTest.RACE, STRICT, strict, plan.warmup(), plan.measured(), timeoutS);
        if (plan.originalStrictRuns() > 0) {
            series(d, t, NatLabTest.ORIGINAL, STRICT, strict, 0, plan.originalStrictRuns(), timeoutS);
        }
        closePeers();
        List<String> liberal = new ArrayList<>(strict);
        liberal.add("--liberal");
        up(d, t, LIBERAL, liberal);
        series(d, t, NatLabTest.ORIGINAL, LIBERAL, liberal, plan.warmup(), plan.measured(), timeoutS);
        closePeers();
    }

    /** Lab up, the paths' RTTs by ping (nothing else running yet), a server. */
    private void up(double d, Topology t, String conntrack, List<String> options) {
        name = "rtt-" + num(d) + "ms-" + t.label + "-" + conntrack;
        Lab.up(options.toArray(String[]::new));
        pingH2Srv = ping("h2", Lab.SRV_IP1);
        pingH1Srv = ping("h1", Lab.SRV_IP1);
        pingPeers = ping("h2", Lab.NAT1_IP);
        server = start("srv", name + "-server", List.of("server", "--ip1", Lab.SRV_IP1, "--ip2", Lab.SRV_IP2,
                "--session-timeout", "30"));
        server.await("server", START);
        sessions = 0;
    }

    /**
     * One listener JVM for all the handshakes and one connector JVM that runs them in turn (one
     * registration each), then the checks and the row.
     */
    private void series(double d, Topology t, String strategy, String conntrack, List<String> lab, int warmup,
                        int measured, int timeoutS) {
        int n = warmup + measured;
        int seq = SEQ.incrementAndGet();
        String lid = "l" + seq;
        String cid = "c" + seq;
        String payload = NatLabTest.payload();
        String loadBefore = load();
        Peer l = client("h1", lid, List.of("listen", "--id", lid, "--count", String.valueOf(n), "--strategy", strategy,
                "--timeout", String.valueOf(timeoutS)));
        l.await("registered", START);
        Peer c = client("h2", cid, List.of("connect", "--id", cid, "--peer", String.join(",", Collections.nCopies(n, lid)),
                "--message", payload, "--strategy", strategy, "--timeout", String.valueOf(timeoutS)));
        c.await("registered", START);
        c.awaitExit(Duration.ofSeconds(n * (timeoutS + 10L) + 30));
        String loadAfter = load();
        List<Handshake> all = outcomes(c, payload);
        assertEquals(n, all.size(), "one outcome per XConnect:\n" + c.describe());
        checkDirect(all, l, c, cid);
        Row row = new Row(d, t, strategy, conntrack, String.join(" ", lab), pingH2Srv, pingH1Srv, pingPeers,
                all.subList(0, warmup), all.subList(warmup, n), loadBefore, loadAfter);
        rows.add(row);
        write();
        l.close();
        c.close();
    }

    /** The connector's outcomes in order: "connected" (then its echoed payload) or "error". */
    private static List<Handshake> outcomes(Peer c, String payload) {
        List<Handshake> l = new ArrayList<>();
        for (Event e : c.events()) {
            if (e.is("connected")) {
                Map<String, Double> phases = new LinkedHashMap<>();
                e.obj("phases").forEach((k, v) -> phases.put(k, ((Number) v).doubleValue()));
                l.add(new Handshake(e.num("totalMs"), phases, e.str("remote"), null, false));
            } else if (e.is("data") && "received".equals(e.str("direction"))) {
                Handshake h = l.get(l.size() - 1);
                l.set(l.size() - 1, new Handshake(h.totalMs(), h.phases(), h.remote(), h.error(),
                        payload.equals(e.str("text"))));
            } else if (e.is("error")) {
                Handshake h = l.isEmpty() ? null : l.get(l.size() - 1);
                if (h != null && h.connected() && !h.echoed()) {
                    // connected, then the exchange over the direct connection failed
                    l.set(l.size() - 1, new Handshake(h.totalMs(), h.phases(), h.remote(),
                            "connected, then " + e.str("code") + ": " + e.str("message"), false));
                } else {
                    l.add(new Handshake(0, Map.of(), null, e.str("code"), false));
                }
            }
        }
        return l;
    }

    /**
     * Direct, every connection: the connector reached nat1's public address and got its payload
     * back, the listener's connections came from nat2's, and each session relayed only control
     * bytes through the server.
     */
    private void checkDirect(List<Handshake> all, Peer l, Peer c, String cid) {
        int connected = 0;
        List<String> sessionsExpected = new ArrayList<>();
        for (Handshake h : all) {
            if (h.connected()) {
                connected++;
                assertEquals(Lab.NAT1_IP, NatLabTest.host(h.remote()), "the connector's data connection goes to the"
                        + " listener's public address:\n" + c.describe());
                assertTrue(h.echoed(), "the payload came back over it:\n" + c.describe());
            }
            // ERR_MATCH is the server's refusal before any session; anything else had one session:
            // a FAST handshake (its phase "request") the FAST session its clients reported, a FAST
            // that failed over (phases "fast.*") its normal session, RACE and ORIGINAL theirs
            if (!"ERR_MATCH".equals(h.error())) {
                sessionsExpected.add(h.phases().containsKey("request") ? "fast" : "normal");
            }
        }
        if (connected > 0) {
            l.await("connected", connected, Duration.ofSeconds(15));
        }
        for (Event e : l.events("connected")) {
            assertEquals(Lab.NAT2_IP, NatLabTest.host(e.str("remote")), "the listener's data connection comes from"
                    + " the connector's public address: " + e);
        }
        for (String strategy : sessionsExpected) {
            Event s = server.await("session", ++sessions, Duration.ofSeconds(40));
            assertEquals(cid, s.str("initiator"), s.toString());
            assertEquals(strategy, s.str("strategy"), s.toString());
            long relayed = NatLabTest.relayed(s);
            assertTrue(relayed < NatLabTest.PAYLOAD, "the server relayed " + relayed + " bytes, not less than the "
                    + NatLabTest.PAYLOAD + "-byte payload: " + s);
        }
    }

    /**
     * Pings {@code dst} from {@code ns}, 50 ms apart (root), bounded. One ping first, waited for
     * and not counted: it resolves ARP along the path (the routers' neighbour entries expire), and
     * every ping sent meanwhile would wait in the ARP queue (seen: 346 ms for a 200 ms path).
     */
    private static Ping ping(String ns, String dst) {
        List<String> cmd = List.of("ip", "netns", "exec", "xl-" + ns, "ping", "-n", "-W", "3");
        Lab.run(concat(cmd, List.of("-c", "1", dst)), 10);
        Lab.Result r = Lab.run(concat(cmd, List.of("-c", String.valueOf(PINGS), "-i", "0.05", dst)), 30);
        List<Double> t = new ArrayList<>();
        Matcher m = PING_TIME.matcher(r.output());
        while (m.find()) {
            t.add(Double.parseDouble(m.group(1)));
        }
        if (t.size() < PINGS / 2 + 1) {
            fail("ping " + ns + " -> " + dst + ": " + t.size() + " of " + PINGS + " replies:\n" + r.output());
        }
        Collections.sort(t);
        return new Ping(median(t), t.get(0), t.get(t.size() - 1), t.size());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    private Peer client(String ns, String id, List<String> args) {
        List<String> all = NatLabTest.traversalOnly(args);
        // a fresh fingerprint file per peer: a cached one would hide the NAT under test
        all.addAll(List.of("--server", Lab.SRV_IP1 + "," + Lab.SRV_IP2, "--fingerprint",
                fingerprints.resolve(name + "-" + id + ".fp").toString()));
        return start(ns, name + "-" + id, all);
    }

    private Peer start(String ns, String peerName, List<String> args) {
        Peer p = Peer.start(ns, peerName, args);
        peers.add(p);
        return p;
    }

    private void closePeers() {
        peers.forEach(Peer::close);
        peers.clear();
    }

    // ------------------------------------------------------------------ the results file

    private void write() {
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, render(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# xstunt-java: handshake in round trips on the NAT lab (issue #4 item 5), mode ").append(plan.mode())
                .append('\n');
        sb.append("# started ").append(started).append(", written ").append(Instant.now()).append('\n');
        sb.append("# host: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, kernel ")
                .append(System.getProperty("os.version")).append("; peers: JDK ").append(System.getProperty("java.version"))
                .append(" with Peer's flags (C1 only, SerialGC: start-up over peak speed)\n");
        sb.append("# git: ").append(Lab.commit()).append("; last engine commit: ")
                .append(Lab.git("log", "-1", "--format=%h %cI %<(60,trunc)%s", "--", "../engine/src/main").strip())
                .append('\n');
        sb.append("# load average at start: ").append(loadAtStart).append('\n');
        sb.append("# lab: --nat preserve --inbound drop + the topology's delays; h1 listens (behind nat1), h2 connects"
                + " (behind nat2); ").append(plan.warmup()).append(" warm-up handshakes per connector JVM discarded\n");
        sb.append("# RTT unit = the measured peer-server RTT (ping h2 -> srv, the lowest of ").append(PINGS)
                .append(", column 'unit'); nominal 2D in both topologies; 'pings' = medians h2->srv, h1->srv,"
                        + " h2->nat1 (peer-peer)\n");
        sb.append("#   nat-links:   --delay D                  peer-srv RTT 2D, peer-peer RTT 4D\n");
        sb.append("#   equal-paths: --delay D/2 --delay-srv D/2   peer-srv RTT 2D, peer-peer RTT 2D\n");
        sb.append("#   unequal-5-40: --delay1 5 --delay2 40 (listener 5 ms, connector 40 ms from the server; unit ="
                + " the connector's 80 ms RTT); nat-links-loss-1pct: --delay D --loss 1\n");
        sb.append("# handshake = the connector's XConnect wall time (comm request until the direct channel);"
                + " phases = the median of each phase over the direct runs, in RTTs\n");
        sb.append("# phases are the engine's own; where it overlaps them (RACE's predict runs alongside control"
                + " and sync since main 4f0f8ff) they add up to more than the handshake\n\n");
        String fmt = "%-4s %-11s %-8s %-9s %-5s %9s %8s %-17s %-11s %7s %-19s %-5s %s%n";
        sb.append(String.format(Locale.ROOT, fmt, "D ms", "topology", "strategy", "conntrack", "n", "median ms",
                "med RTTs", "min/max ms", "min/max RTTs", "unit ms", "pings ms", "load", "phases (median, RTTs)"));
        for (Row r : rows) {
            List<Double> t = r.totals();
            String n = r.direct().size() + "/" + r.measured().size();
            String unit = num1(r.unit());
            String pings = num1(r.connectorServer().median()) + "/" + num1(r.listenerServer().median()) + "/"
                    + num1(r.peerPeer().median());
            if (t.isEmpty()) {
                sb.append(String.format(Locale.ROOT, fmt, num(r.delayMs()), r.topology().label, r.strategy(),
                        r.conntrack(), n, "-", "-", "-", "-", unit, pings, load1(r), "failed: " + codes(r.failures())));
                continue;
            }
            // without delay a round trip is ~0.05 ms of ping: no unit to count in, phases in ms
            boolean rtts = r.delayMs() > 0;
            double u = rtts ? r.unit() : 1;
            StringBuilder ph = new StringBuilder(rtts ? "" : "(ms) ");
            r.phaseMedians().forEach((k, v) -> ph.append(ph.isEmpty() ? "" : " ").append(k).append(' ')
                    .append(num1(v / u)));
            sb.append(String.format(Locale.ROOT, fmt, num(r.delayMs()), r.topology().label, r.strategy(),
                    r.conntrack(), n, num1(median(t)), rtts ? num1(median(t) / u) : "-",
                    num1(t.get(0)) + "/" + num1(t.get(t.size() - 1)),
                    rtts ? num1(t.get(0) / u) + "/" + num1(t.get(t.size() - 1) / u) : "-", unit, pings, load1(r),
                    ph + (r.failures().isEmpty() ? "" : "; failed: " + codes(r.failures()))));
        }
        sb.append("\n# every handshake (ms; w = warm-up, discarded), load average (1, 5, 15 min) before -> after the series\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s %s %s %s | lab %s | ping h2->srv %s, h1->srv %s, h2->nat1 %s"
                            + " (median min max, ms) | load %s -> %s%n", num(r.delayMs()), r.topology().label,
                    r.strategy(), r.conntrack(), r.lab(), ping(r.connectorServer()), ping(r.listenerServer()),
                    ping(r.peerPeer()), r.loadBefore(), r.loadAfter()));
            r.warmup().forEach(h -> sb.append("  w ").append(handshake(h)).append('\n'));
            r.measured().forEach(h -> sb.append("    ").append(handshake(h)).append('\n'));
        }
        sb.append("\n# load average at the end: ").append(load()).append('\n');
        return sb.toString();
    }

    /** The 1-minute load average when the series started (other people's builds show here). */
    private static String load1(Row r) {
        return r.loadBefore().split(" ")[0];
    }

    private static String handshake(Handshake h) {
        if (!h.connected()) {
            return "failed: " + h.error();
        }
        StringBuilder sb = new StringBuilder(num1(h.totalMs()) + " ms, remote " + h.remote() + ":");
        h.phases().forEach((k, v) -> sb.append(' ').append(k).append(' ').append(num1(v)));
        return sb.toString();
    }

    private static String codes(List<String> errors) {
        Map<String, Integer> n = new LinkedHashMap<>();
        errors.forEach(e -> n.merge(e, 1, Integer::sum));
        StringBuilder sb = new StringBuilder();
        n.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(v).append("x ").append(k));
        return sb.toString();
    }

    private static String ping(Ping p) {
        return num1(p.median()) + " " + num1(p.min()) + " " + num1(p.max());
    }

    private static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** "10", "12.5": lab.sh takes decimals; no trailing ".0". */
    static String num(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static String num1(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }
}
