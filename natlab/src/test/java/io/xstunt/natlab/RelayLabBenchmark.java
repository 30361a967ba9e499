package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.natlab.Peer.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12's figures through the NAT lab's real NATs, on demand ({@code natlab/relay-bench.sh};
 * the name does not match surefire's default includes, so the default test run never starts it).
 * Each figure is reported, never asserted; what is asserted is only that the runs did what they
 * measure (every connect came up, the relay ran meanwhile, the offer was direct).
 *
 * <ul>
 *   <li>{@link #otherClientsHandshakeIdleAndWhileRelaying}: random/random; pub registers and
 *       XConnects to h3 (direct: pub has no NAT) {@code -Dnatlab.relay.connects=N} times (default
 *       60) per round, in rounds that alternate between an idle server and one relaying h1/h2 at
 *       full speed (no rate limit), in the same run; each round's pub is a fresh process, whose
 *       registration is timed too. p50/p99 of each and the ratio.</li>
 *   <li>{@link #backToDirectAfterNat2TurnsPreserving}: nat1 preserves ports, nat2 is random, so
 *       h1/h2 are relayed after their punch fails; nat2 then turns port-preserving
 *       ({@code lab.sh nat 2 preserve}) while they are relayed, and the time until the direct
 *       offer is measured on both sides.</li>
 * </ul>
 */
@NatLabGate.NatLab
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class RelayLabBenchmark {
    private static final String SERVER = Lab.SRV_IP1 + "," + Lab.SRV_IP2;
    private static final Duration START = Duration.ofSeconds(90);
    private static final Path OUT = Path.of(System.getProperty("natlab.relay.out", "target/natlab-relay.txt"));

    private final List<Peer> peers = new ArrayList<>();
    private final List<String> report = new ArrayList<>();
    private Path fingerprints;
    private String test;
    private int seq;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        test = info.getTestMethod().orElseThrow().getName();
        fingerprints = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "relay-fp");
    }

    @AfterEach
    void tearDown() throws IOException {
        peers.forEach(Peer::close);
        peers.clear();
        Lab.down();
        Files.createDirectories(OUT.toAbsolutePath().getParent());
        Files.write(OUT, report, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        report.forEach(System.out::println);
    }

    @Test
    void otherClientsHandshakeIdleAndWhileRelaying() {
        int connects = Integer.getInteger("natlab.relay.connects", 60);
        int rounds = Integer.getInteger("natlab.relay.rounds", 4);
        String lab = "--nat random --inbound drop";
        Lab.up(lab.split(" "));
        server("--relay-rate", "0");
        Peer other = client("h3", "other", List.of("listen", "--id", "other", "--relay", "direct-only"));
        other.await("registered", START);
        List<Double> idle = new ArrayList<>();
        List<Double> busy = new ArrayList<>();
        List<Double> idleReg = new ArrayList<>();
        List<Double> busyReg = new ArrayList<>();
        List<String> rates = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            boolean relaying = round % 2 == 1;
            Peer[] bulk = null;
            if (relaying) {
                bulk = bulk("1024GiB");
                bulk[1].await("connected", START);
            }
            String id = "caller" + round;
            Peer caller = client("pub", id, List.of("connect", "--id", id, "--peer",
                    String.join(",", Collections.nCopies(connects, "other")), "--relay", "direct-only"));
            assertEquals(0, caller.awaitExit(Duration.ofSeconds(60 + connects)), caller.describe());
            List<Event> calls = caller.events("connected");
            assertEquals(connects, calls.size(), caller.describe());
            (relaying ? busy : idle).addAll(calls.stream().map(e -> e.num("totalMs")).toList());
            Event reg = caller.await("registered", Duration.ZERO);
            (relaying ? busyReg : idleReg).add(((Number) reg.obj("phases").get("total")).doubleValue());
            if (relaying) {
                assertTrue(bulk[1].events("transfer").isEmpty(), "the relay ran through the whole round");
                bulk[1].close(); // the connector vanishes: the relay ends
                Event end = bulk[0].await("transfer", Duration.ofSeconds(30));
                rates.add(end.num("mibPerS") + " MiB/s");
            }
        }
        report.add("# RelayLabBenchmark.otherClientsHandshakeIdleAndWhileRelaying, " + java.time.Instant.now()
                + ", commit " + Lab.commit() + ", load average " + loadAverage());
        report.add("lab: " + lab + "; server --relay-rate 0; pub XConnects to h3 (direct) " + connects
                + " times per round, " + rounds + " rounds alternating idle / relay at full speed (h1<->h2, echo both"
                + " ways; the listener's receive rate: " + String.join(", ", rates) + ")");
        report.add(line("XConnect, server idle", idle));
        report.add(line("XConnect, relay at full speed", busy));
        report.add(String.format(Locale.ROOT, "p99 ratio relay/idle: %.2f; p50 ratio: %.2f",
                pct(busy, 99) / pct(idle, 99), pct(busy, 50) / pct(idle, 50)));
        report.add("registration (XInit, probing) of pub, ms: idle " + idleReg + ", relay at full speed " + busyReg);
    }

    @Test
    void backToDirectAfterNat2TurnsPreserving() {
        int waitS = Integer.getInteger("natlab.relay.direct.wait", 100);
        String lab = "--nat1 preserve --nat2 random --inbound drop";
        Lab.up(lab.split(" "));
        server();
        String[] wait = {"--relay", "allowed", "--timeout", String.valueOf(waitS + 30)};
        Peer l = client("h1", "l", withAll(List.of("listen", "--id", "l", "--count", "1"), wait));
        l.await("registered", START);
        Peer c = client("h2", "c", withAll(List.of("connect", "--id", "c", "--peer", "l", "--wait-direct",
                String.valueOf(waitS)), wait));
        Event relayed = c.await("connected", START);
        assertEquals("relayed", relayed.str("path"), relayed.toString());
        Lab.Result r = Lab.run(List.of("bash", Lab.script().toString(), "nat", "2", "preserve"), 30);
        long switchedNs = System.nanoTime();
        assertEquals(0, r.code(), r.output());
        Event offer = c.await("directOffer", Duration.ofSeconds(waitS + 30L));
        report.add("# RelayLabBenchmark.backToDirectAfterNat2TurnsPreserving, " + java.time.Instant.now()
                + ", commit " + Lab.commit() + ", load average " + loadAverage());
        report.add("lab: " + lab + ", then `lab.sh nat 2 preserve` " + ms((switchedNs - relayed.atNs()) / 1e6)
                + " ms after the relayed connection came up (" + relayed.str("relayReason") + ")");
        if (offer.bool("offered")) {
            Event lOffer = l.await("directOffer", Duration.ofSeconds(30));
            report.add("direct offer on the connector " + ms((offer.atNs() - switchedNs) / 1e6) + " ms after nat2 turned"
                    + " port-preserving (" + ms(offer.num("afterMs")) + " ms after the relay came up), remote "
                    + offer.str("remote") + "; on the listener " + ms((lOffer.atNs() - switchedNs) / 1e6) + " ms, remote "
                    + lOffer.str("remote"));
            assertEquals(Lab.NAT1_IP, NatLabTest.host(offer.str("remote")), "direct to nat1: " + offer);
        } else {
            report.add("no direct offer within " + waitS + " s of the relay (the connector's log: "
                    + Peer.LOGS.resolve(test + "-c.log") + ")");
        }
        assertEquals(0, c.awaitExit(Duration.ofSeconds(60)), c.describe());
    }

    // ------------------------------------------------------------------ peers

    private Peer[] bulk(String bytes) {
        int n = ++seq;
        Peer l = client("h1", "bl" + n, List.of("listen", "--id", "bl" + n, "--count", "1", "--sha256", "--relay",
                "allowed", "--timeout", "60"));
        l.await("registered", START);
        Peer c = client("h2", "bc" + n, List.of("connect", "--id", "bc" + n, "--peer", "bl" + n, "--send-bytes", bytes,
                "--relay", "allowed", "--timeout", "60"));
        return new Peer[] {l, c};
    }

    private Peer server(String... extra) {
        List<String> args = new ArrayList<>(List.of("server", "--ip1", Lab.SRV_IP1, "--ip2", Lab.SRV_IP2));
        args.addAll(List.of(extra));
        Peer s = start("srv", "server", args);
        s.await("server", START);
        return s;
    }

    private Peer client(String ns, String id, List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--server", SERVER, "--fingerprint", fingerprints.resolve(id + ".fp").toString()));
        return start(ns, id, all);
    }

    private Peer start(String ns, String name, List<String> args) {
        Peer p = Peer.start(ns, test + "-" + name, args);
        peers.add(p);
        return p;
    }

    private static List<String> withAll(List<String> a, String[] more) {
        List<String> l = new ArrayList<>(a);
        l.addAll(List.of(more));
        return l;
    }

    // ------------------------------------------------------------------ figures

    private static String line(String what, List<Double> ms) {
        return String.format(Locale.ROOT, "%s: n %d, p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", what, ms.size(),
                pct(ms, 50), pct(ms, 90), pct(ms, 99), pct(ms, 100));
    }

    /** @return the nearest-rank percentile {@code p} of {@code values} */
    static double pct(List<Double> values, int p) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.size());
        return s.get(Math.max(0, rank - 1));
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
