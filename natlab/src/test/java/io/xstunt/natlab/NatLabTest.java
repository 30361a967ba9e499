package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.xstunt.engine.client.FingerprintFile;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.natlab.Peer.Event;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #3: TCP traversal through real Linux NATs in network namespaces (natlab/lab.sh). Every
 * peer is its own JVM running the CLI with {@code --json} inside a lab host; the STUNT server
 * runs in xl-srv. "Direct" is checked: the data connection's remote address is the other side's
 * public address, and the server relayed fewer bytes on the session's control channel than the
 * (unique, random) payload that went both ways.
 */
@NatLabGate.NatLab
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NatLabTest {
    static final String FAST = "fast";
    static final String RACE = "race";
    /**
     * Ours, as the CLI runs by default between xstunt peers: FAST, with RACE (then the relay) as its
     * fallback in the same call. Every scenario that ran RACE runs it, so that the matrix proves
     * the default; RACE alone is measured by {@link HandshakeRtt}.
     */
    static final String OURS = FAST;
    static final String ORIGINAL = "original";
    private static final String SERVER = Lab.SRV_IP1 + "," + Lab.SRV_IP2;
    /** JVM start + registration (probing) of a peer, generous for 40 JVMs on 2 cores. */
    private static final Duration START = Duration.ofSeconds(60);
    /** The CLI's rendezvous bound when no --timeout is given (its --help: "--timeout SEC (12 ...)"). */
    private static final int DEFAULT_CLI_TIMEOUT_S = 12;
    /** Bigger than all control bytes of a session (44 measured): data through the server would show. */
    static final int PAYLOAD = 1200;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** The echo services' ports (the CLI's server defaults): what the probes go to. */
    private static final int ECHO_PORT1 = 8124;
    private static final int ECHO_PORT2 = 8125;

    private static boolean labUsable;
    private static long suiteStartNs;
    private static Path fingerprints;

    private final List<Peer> peers = Collections.synchronizedList(new ArrayList<>());
    private String testName;
    private Peer server;
    private int sessions;

    /** Runs only when {@link NatLabGate} found a lab that can be built. */
    @BeforeAll
    static void start() throws Exception {
        labUsable = true;
        suiteStartNs = System.nanoTime();
        fingerprints = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "natlab-fp");
        Results.reset();
    }

    @BeforeEach
    void name(TestInfo info) {
        testName = info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void cleanup() {
        synchronized (peers) {
            peers.forEach(Peer::close);
            peers.clear();
        }
        Lab.down();
    }

    /** This run's page, natlab/target/NAT-LAB.md (never docs/: natlab/report.sh copies it there). */
    @AfterAll
    static void report() throws Exception {
        if (!labUsable) {
            return;
        }
        double wallS = (System.nanoTime() - suiteStartNs) / 1e9;
        Report.write(Results.rows(), wallS);
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    @Order(1)
    @DisplayName("1: port-preserving NATs, both drop unsolicited SYNs: direct, both PORT-PRESERVING CONE (race and original)")
    void scenario1PortPreservingDropBothSides() {
        Comparison c = bothStrategies("1 preserve+drop / preserve+drop", "--nat preserve --inbound drop", 8);
        for (Event reg : List.of(c.race.lRegistered, c.race.cRegistered)) {
            assertEquals("TCP PORT-PRESERVING CONE", reg.str("fingerprint"), reg.toString());
        }
        assertOriginalFailsOnSequenceCheck(c);
    }

    @Test
    @Order(2)
    @DisplayName("2: as 1, but the listener's NAT answers unsolicited SYNs with RST: direct (race and original)")
    void scenario2OneNatAnswersRst() {
        // nat1 (the listener h1's) answers the initiator's first SYN with RST; nat2 drops.
        Comparison c = bothStrategies("2 preserve+rst / preserve+drop", "--nat preserve --inbound1 rst --inbound2 drop", 8);
        assertEquals(0, c.originalDirect(), "ORIGINAL through a RST-answering NAT: nat1's RST deletes the"
                + " initiator's unreplied conntrack entry in nat2, so the listener's SYN is dropped as unsolicited:\n"
                + c.describeOriginal());
    }

    @Test
    @Order(3)
    @DisplayName("3: both hosts behind the same NAT: ERR_SAME_NAT with the peer's private address, LAN fallback connects")
    void scenario3SameNatLanFallback() {
        Lab.up("--nat", "preserve", "--inbound", "drop");
        startServer();
        String payload = payload();
        Peer l = listen("h1", "bob", "--count", "1", "--lan-port", "7070");
        l.await("registered", START);
        Peer c = connect("h3", "carol", "bob", payload, "--lan-port", "7070");
        assertEquals(0, c.awaitExit(START), c.describe());
        Event err = c.await("error", Duration.ZERO);
        assertEquals("ERR_SAME_NAT", err.str("code"), err.toString());
        assertEquals(Lab.H1_IP, err.str("peerLocalAddress"), "the error carries the peer's LAN address");
        Event conn = c.await("connected", Duration.ZERO);
        assertEquals("lan", conn.str("via"), conn.toString());
        assertEquals(Lab.H1_IP + ":7070", conn.str("remote"));
        assertEquals(payload, received(c), "the LAN echo came back");
        Event lconn = l.await("connected", Duration.ofSeconds(10));
        assertEquals(Lab.H3_IP, host(lconn.str("remote")), "listener sees h3's LAN address: " + lconn);
        assertEquals(0, server.events("session").size(), "no rendezvous session for a same-NAT pair: "
                + server.events());
        Results.add(new Results.Row("3 same NAT (h1, h3 behind nat1)", OURS, "--nat preserve --inbound drop",
                "ERR_SAME_NAT (peer " + err.str("peerLocalAddress") + "), LAN fallback connected",
                ms(conn.num("totalMs")), "-", "-"));
    }

    @Test
    @Order(4)
    @DisplayName("4a: listener on a public address, connector behind a NAT: direct")
    void scenario4aPublicListenerNattedConnector() {
        directOnPortPreservingNats("4a listener public / connector behind nat2", "pub", "h2", Lab.PUB_IP, Lab.NAT2_IP);
    }

    @Test
    @Order(5)
    @DisplayName("4b: listener behind a NAT, connector on a public address: direct")
    void scenario4bNattedListenerPublicConnector() {
        directOnPortPreservingNats("4b listener behind nat1 / connector public", "h1", "pub", Lab.NAT1_IP, Lab.PUB_IP);
    }

    /** One RACE attempt between the given hosts through port-preserving, dropping NATs: direct. */
    private void directOnPortPreservingNats(String scenario, String listenerNs, String connectorNs,
                                            String listenerPublic, String connectorPublic) {
        String lab = "--nat preserve --inbound drop";
        Lab.up(lab.split(" "));
        startServer();
        Attempt a = attempt(listenerNs, connectorNs, OURS, 8);
        assertDirect(a, listenerPublic, connectorPublic);
        record(scenario, OURS, lab, a, 0);
    }

    @Test
    @Order(6)
    @DisplayName("5: random-port NATs both sides: RANDOM-SYMMETRIC, XConnect fails inside its timeout, peers stay usable, no server state")
    void scenario5RandomSymmetricBothSides() {
        String lab = "--nat random --inbound drop";
        Lab.up(lab.split(" "));
        startServer();
        int timeoutS = 4;
        Peer l = listen("h1", "bob", "--timeout", String.valueOf(timeoutS));
        Event lreg = l.await("registered", START);
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC", lreg.str("fingerprint"), lreg.toString());
        // Two XConnects to bob in one registration: the second runs the whole rendezvous again
        // (not ERR_MATCH), which proves that the server put both back to IDLE after the first.
        Peer c = connect("h2", "alice", "bob,bob", payload(), "--timeout", String.valueOf(timeoutS));
        Event creg = c.await("registered", START);
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC", creg.str("fingerprint"), creg.toString());
        Event e1 = c.await("error", Duration.ofSeconds(timeoutS + 10));
        Event e2 = c.await("error", 2, Duration.ofSeconds(timeoutS + 10));
        assertEquals(1, c.awaitExit(Duration.ofSeconds(10)), "exit 1 after failures");
        double first = (e1.atNs() - creg.atNs()) / 1e9;
        double second = (e2.atNs() - e1.atNs()) / 1e9;
        for (Event e : List.of(e1, e2)) {
            assertNotEquals("ERR_MATCH", e.str("code"), "both were IDLE again: " + e);
            assertTrue(e.str("message") != null && !e.str("message").isBlank(), "a clear error: " + e);
        }
        // Honoured --timeout: each XConnect ended before the CLI's default rendezvous bound would
        // have ended it (and long before the server's 30 s session timeout). Not a speed check:
        // the 8 s between the two bounds absorb any JVM or machine load.
        for (double took : List.of(first, second)) {
            assertTrue(took < DEFAULT_CLI_TIMEOUT_S, "an XConnect ended " + took + " s after it started: its --timeout "
                    + timeoutS + " s was not what ended it (the CLI's default is " + DEFAULT_CLI_TIMEOUT_S + " s)");
        }
        assertTrue(c.events("connected").isEmpty(), c.describe());
        for (int n = 1; n <= 2; n++) {
            Event s = server.await("session", n, Duration.ofSeconds(15));
            assertEquals(0, (int) s.num("sessionsInFlight"), "the server keeps no state of the failed session: " + s);
            assertEquals(2, (int) s.num("registered"), "both stay registered: " + s);
        }
        // The listener stays usable: a public peer connects to it (its own port is exact, so the
        // listener's SYN through the random NAT reaches the initiator's listening socket).
        String payload = payload();
        Peer p = connect("pub", "carol", "bob", payload, "--timeout", "8");
        assertEquals(0, p.awaitExit(START), p.describe());
        Event pc = p.await("connected", Duration.ZERO);
        assertEquals(Lab.NAT1_IP, host(pc.str("remote")), pc.toString());
        assertEquals(payload, received(p));
        Results.add(new Results.Row("5 random / random, --relay direct-only", OURS, lab,
                "failed as expected: " + code(e1) + " after " + secs(first) + " s, again " + code(e2)
                        + " after " + secs(second) + " s (timeout " + timeoutS + " s); sessions in flight after: 0;"
                        + " listener then reached from pub", "-", "-", "-"));
    }

    @Test
    @Order(7)
    @DisplayName("5r: random-port NATs both sides with the relay (the default): every pair connects, relayed at once through the server, the payload intact (20 runs)")
    void scenario5RelayedEveryTime() {
        String lab = "--nat random --inbound drop";
        Lab.up(lab.split(" "));
        startServer();
        int runs = 20;
        List<Double> totals = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Attempt a = attemptOnce("h1", "h2", OURS, 12, new String[] {"--relay", "allowed"});
            assertNotNull(a.cConnected, "run " + (i + 1) + " did not connect:\n" + a.describe());
            assertEquals("relayed", a.cConnected.str("path"), a.cConnected.toString());
            assertEquals("relayed", a.lConnected.str("path"), a.lConnected.toString());
            assertEquals("both NATs random-symmetric", a.cConnected.str("relayReason"), a.cConnected.toString());
            assertEquals(Lab.SRV_IP1, host(a.cConnected.str("remote")), "a relayed connection goes to the server");
            assertEquals(a.payload, a.received, "the payload came back through the relay");
            assertEquals("relayed", a.session.str("path"), a.session.toString());
            Map<String, Object> data = a.session.obj("relayedData");
            assertTrue(((Number) data.get("fromInitiator")).longValue() >= PAYLOAD, a.session.toString());
            assertTrue(((Number) data.get("fromListener")).longValue() >= PAYLOAD, a.session.toString());
            totals.add(a.cConnected.num("totalMs"));
        }
        List<Double> sorted = new ArrayList<>(totals);
        Collections.sort(sorted);
        Results.add(new Results.Row("5r random / random, relay (default)", OURS, lab, runs + "/" + runs
                + " relayed (both NATs random-symmetric), payload back through the server",
                "median " + ms(sorted.get(runs / 2)) + ", max " + ms(sorted.get(runs - 1)), "-", "-"));
    }

    /** The bulk transfer through the relay: the 100 MiB each way. */
    static final long BULK_BYTES = 100L << 20;
    /** Connections of the server's other clients while a relay runs at full speed (the test: functional). */
    private static final int OTHER_CONNECTS = 3;

    @Test
    @Order(7)
    @DisplayName("5r bulk: random/random, relayed at full speed: 100 MiB each way intact (SHA-256); another client registers and connects while a relay runs; the duration and byte limits end a relay with their reason on both sides")
    void scenario5RelayedBulkAndLimits() {
        String lab = "--nat random --inbound drop";
        Lab.up(lab.split(" "));
        String[] relay = {"--relay", "allowed", "--timeout", "30"};

        // 1. 100 MiB each way through the relay, no rate limit: what arrived is what was sent
        startServer("--relay-rate", "0");
        Bulk b = bulk(String.valueOf(BULK_BYTES), relay);
        assertEquals(0, b.connector.awaitExit(Duration.ofSeconds(120)), b.connector.describe());
        Event ct = b.connector.await("transfer", Duration.ZERO);
        Event lt = b.listener.await("transfer", Duration.ofSeconds(30));
        assertEquals("relayed", ct.str("path"), ct.toString());
        assertTrue(ct.bool("complete"), ct.toString());
        assertEquals(BULK_BYTES, ((Number) ct.obj("sent").get("bytes")).longValue(), ct.toString());
        assertEquals(BULK_BYTES, ((Number) lt.obj("received").get("bytes")).longValue(), lt.toString());
        assertEquals(ct.obj("sent").get("sha256"), lt.obj("received").get("sha256"), "h1 got what h2 sent");
        assertEquals(lt.obj("sent").get("sha256"), ct.obj("received").get("sha256"), "h2 got what h1 sent back");
        assertEquals(BULK_BYTES, ((Number) ct.obj("received").get("bytes")).longValue(), ct.toString());
        Event s = server.await("session", 1, Duration.ofSeconds(30));
        assertEquals(BULK_BYTES, ((Number) s.obj("relayedData").get("fromInitiator")).longValue(), s.toString());
        assertEquals(BULK_BYTES, ((Number) s.obj("relayedData").get("fromListener")).longValue(), s.toString());
        assertEquals("CLOSED_HERE", b.connector.await("relayEnded", Duration.ZERO).str("reason"));
        assertEquals("PEER_CLOSED", b.listener.await("relayEnded", Duration.ofSeconds(15)).str("reason"));
        String bulkRow = "100 MiB each way relayed, SHA-256 equal both ways, " + ct.num("mibPerS") + " MiB/s ("
                + ms(ct.num("ms")) + " ms, echo running alongside)";
        cleanup();

        // 2. a relay at full speed for its whole duration limit; meanwhile pub registers and
        //    connects (direct: pub has no NAT) several times to h3, registered before
        Lab.up(lab.split(" "));
        int limitS = 20;
        startServer("--relay-rate", "0", "--relay-max-duration", String.valueOf(limitS));
        Peer other = listen("h3", "other", "--count", String.valueOf(OTHER_CONNECTS));
        other.await("registered", START);
        b = bulk("1024GiB", relay);
        Event relayUp = b.connector.await("connected", START);
        // --sweep off: pub has no NAT, so h3's SYN reaches it directly; the birthday sweep (one random
        // NAT) would take 2.3 s a try and miss about one try in sixty, which this check is not about
        Peer caller = connect("pub", "caller", String.join(",", Collections.nCopies(OTHER_CONNECTS, "other")),
                payload(), "--sweep", "off");
        assertEquals(0, caller.awaitExit(START), caller.describe());
        List<Event> calls = caller.events("connected");
        assertEquals(OTHER_CONNECTS, calls.size(), caller.describe());
        Event cEnd = b.connector.await("relayEnded", Duration.ofSeconds(limitS + 30L));
        Event lEnd = b.listener.await("relayEnded", Duration.ofSeconds(30));
        assertEquals("DURATION_LIMIT", cEnd.str("reason"), cEnd.toString());
        assertEquals("DURATION_LIMIT", lEnd.str("reason"), lEnd.toString());
        for (Event c : calls) {
            assertEquals(Lab.NAT1_IP, host(c.str("remote")), "direct to h3's NAT: " + c);
            assertTrue(c.atNs() > relayUp.atNs() && c.atNs() < cEnd.atNs(), "connected while the relay ran: " + c);
        }
        Event cut = b.connector.await("transfer", Duration.ofSeconds(30));
        assertTrue(!cut.bool("complete") && ((Number) cut.obj("received").get("bytes")).longValue() > 0, cut.toString());
        String loadRow = "a relay at full speed until its " + limitS + " s limit (" + cut.num("mibPerS") + " MiB/s): "
                + "pub registered meanwhile and connected to h3 " + OTHER_CONNECTS + "/" + OTHER_CONNECTS
                + " times (" + String.join(", ", calls.stream().map(c -> ms(c.num("totalMs")) + " ms").toList())
                + "); DURATION_LIMIT on both sides";
        cleanup();

        // 3. the byte limit
        Lab.up(lab.split(" "));
        startServer("--relay-rate", "0", "--relay-max-bytes", String.valueOf(1 << 20));
        b = bulk("4MiB", relay);
        assertEquals(1, b.connector.awaitExit(START), "the transfer was cut: " + b.connector.describe());
        assertEquals("BYTES_LIMIT", b.connector.await("relayEnded", Duration.ZERO).str("reason"));
        assertEquals("BYTES_LIMIT", b.listener.await("relayEnded", Duration.ofSeconds(30)).str("reason"));
        long back = ((Number) b.connector.await("transfer", Duration.ZERO).obj("received").get("bytes")).longValue();
        assertTrue(back <= 1 << 20, "at most the limit came back: " + back);
        Results.add(new Results.Row("5r random / random, relay: bulk and limits", OURS, lab, bulkRow + "; " + loadRow
                + "; --relay-max-bytes 1 MiB: BYTES_LIMIT on both sides after " + back + " B back", "-", "-", "-"));
    }

    /** A relayed bulk pair: h1 listens with --sha256, h2 connects with --send-bytes {@code bytes}. */
    private Bulk bulk(String bytes, String... more) {
        List<String> l = new ArrayList<>(List.of("--count", "1", "--sha256"));
        l.addAll(List.of(more));
        Bulk b = new Bulk();
        int n = SEQ.incrementAndGet();
        b.listener = listen("h1", "bl" + n, l.toArray(String[]::new));
        b.listener.await("registered", START);
        List<String> c = new ArrayList<>(List.of("connect", "--id", "bc" + n, "--peer", "bl" + n, "--send-bytes", bytes));
        c.addAll(List.of(more));
        b.connector = client("h2", "bc" + n, c);
        return b;
    }

    /** The two ends of a bulk transfer. */
    private static final class Bulk {
        Peer listener;
        Peer connector;
    }

    @Test
    @Order(7)
    @DisplayName("6: NATs that do not preserve ports (cone, random port per local port): NOT-PORT-PRESERVING CONE, prediction works")
    void scenario6NonPreservingCone() {
        String lab = "--nat offset --inbound drop";
        Lab.up(lab.split(" "));
        startServer();
        Attempt a = attempt("h1", "h2", OURS, 8);
        assertEquals("TCP NOT-PORT-PRESERVING CONE", a.lRegistered.str("fingerprint"), a.lRegistered.toString());
        assertEquals("TCP NOT-PORT-PRESERVING CONE", a.cRegistered.str("fingerprint"), a.cRegistered.toString());
        assertDirect(a, Lab.NAT1_IP, Lab.NAT2_IP);
        int remotePort = port(a.cConnected.str("remote"));
        int listenerLocal = port(a.lConnected.str("local"));
        assertTrue(remotePort >= 20000 && remotePort <= 29999, "nat1 mapped the listener's port into its range: "
                + a.cConnected);
        assertNotEquals(listenerLocal, remotePort, "not port-preserving: " + a.lConnected + " / " + a.cConnected);
        record("6 offset (cone, not preserving) both", OURS, lab, a, 0);
    }

    @Test
    @Order(8)
    @DisplayName("7: 25 ms one-way delay and 1% loss on both NAT links: direct, handshake in round trips (race and original)")
    void scenario7DelayAndLoss() {
        Comparison c = bothStrategies("7 preserve+drop, 25 ms, 1 % loss", "--nat preserve --inbound drop --delay 25 --loss 1",
                10);
        assertOriginalFailsOnSequenceCheck(c);
    }

    @Test
    @Order(9)
    @DisplayName("be_liberal=1: scenarios 1 and 2 again with both strategies (why ORIGINAL fails on strict NATs)")
    void comparisonLiberalConntrack() {
        Comparison c = bothStrategies("1 + be_liberal", "--nat preserve --inbound drop --liberal", 8);
        // The sequence check is what broke it: without it ORIGINAL connects, directly. Not every
        // run must: ORIGINAL's own timing (its 1 s XTryConnect wait, the old socket's close) decides
        // a run on a loaded machine, and the table records each outcome. On strict tracking (above)
        // none of its runs connects, so one direct run here is the difference the check is about.
        assertTrue(c.originalDirect() >= 1, "ORIGINAL with be_liberal never connected:\n" + c.describeOriginal());
        cleanup();

        c = bothStrategies("2 + be_liberal", "--nat preserve --inbound1 rst --inbound2 drop --liberal", 8);
        assertEquals(0, c.originalDirect(), "ORIGINAL fails here even with be_liberal: the RST from nat1 deletes"
                + " the hole in nat2 (not a sequence-tracking problem):\n" + c.describeOriginal());
    }

    @Test
    @Order(10)
    @DisplayName("9: both NATs answer unsolicited SYNs with RST, 10 ms one-way delay: 20 runs, simultaneous open and retries")
    void scenario9BothRstTwentyRuns() {
        String lab = "--nat preserve --inbound rst --delay 10";
        Lab.up(lab.split(" "));
        startServer();
        int runs = 20;
        int timeoutS = 5;
        Peer l = listen("h1", "bob", "--timeout", String.valueOf(timeoutS));
        l.await("registered", START);
        String payload = payload();
        Peer c = connect("h2", "alice", String.join(",", Collections.nCopies(runs, "bob")), payload,
                "--timeout", String.valueOf(timeoutS));
        c.awaitExit(Duration.ofSeconds(runs * (timeoutS + 3L) + 60));
        List<Event> connected = c.events("connected");
        List<Event> errors = c.events("error");
        assertEquals(runs, connected.size() + errors.size(), "one outcome per run:\n" + c.describe());
        for (Event e : connected) {
            assertEquals(Lab.NAT1_IP, host(e.str("remote")), "direct: " + e);
        }
        int ok = connected.size();
        List<Double> totals = connected.stream().map(e -> e.num("totalMs")).sorted().toList();
        for (int n = 1; n <= runs; n++) {
            Event s = server.await("session", n, Duration.ofSeconds(15));
            long relayed = relayed(s);
            assertTrue(relayed < PAYLOAD, "session " + n + " relayed " + relayed + " bytes: " + s);
        }
        String median = totals.isEmpty() ? "-" : ms(totals.get(totals.size() / 2));
        Results.add(new Results.Row("9 preserve+rst / preserve+rst, 10 ms", OURS, lab,
                ok + "/" + runs + " direct" + (errors.isEmpty() ? "" : "; failures: " + codes(errors)),
                "median " + median + (totals.isEmpty() ? "" : ", max " + ms(totals.get(totals.size() - 1))),
                connected.isEmpty() ? "-" : Results.phases(connected.get(0).obj("phases"), 2 * delay(lab))
                        + " (run 1)",
                "20 / 40"));
        Report.scenario9(ok, runs);
        assertTrue(ok >= runs - 2, ok + "/" + runs + " runs connected; expected at least " + (runs - 2)
                + ":\n" + c.describe());
    }

    @Test
    @Order(11)
    @DisplayName("8: 20 pairs at once through the same two NATs: every pair connects, each to its own peer")
    void scenario8TwentyPairsAtOnce() {
        String lab = "--nat preserve --inbound drop";
        Lab.up(lab.split(" "));
        startServer();
        int pairs = 20;
        List<Peer> listeners = new ArrayList<>();
        for (int i = 1; i <= pairs; i++) {
            listeners.add(listen("h1", String.format("l%02d", i), "--count", "1", "--timeout", "30"));
        }
        for (Peer l : listeners) {
            l.await("registered", START);
        }
        List<Peer> connectors = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 1; i <= pairs; i++) {
            String p = String.format("c%02d->l%02d:", i, i) + payload();
            payloads.add(p);
            connectors.add(connect("h2", String.format("c%02d", i), String.format("l%02d", i), p, "--timeout", "30"));
        }
        List<Double> totals = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            Peer c = connectors.get(i);
            assertEquals(0, c.awaitExit(Duration.ofSeconds(120)), c.describe());
            Event conn = c.await("connected", Duration.ZERO);
            assertEquals(String.format("l%02d", i + 1), conn.str("peer"), conn.toString());
            assertEquals(Lab.NAT1_IP, host(conn.str("remote")), "direct: " + conn);
            assertEquals(payloads.get(i), received(c));
            totals.add(conn.num("totalMs"));
            Peer l = listeners.get(i);
            assertEquals(0, l.awaitExit(Duration.ofSeconds(30)), l.describe());
            assertEquals(String.format("c%02d", i + 1), l.await("connected", Duration.ZERO).str("peer"));
            StringBuilder heard = new StringBuilder();
            l.events("data").stream().filter(e -> "received".equals(e.str("direction")))
                    .forEach(e -> heard.append(e.str("text")));
            assertEquals(payloads.get(i), heard.toString(), "each listener got its own connector's bytes");
        }
        double wall = (System.nanoTime() - t0) / 1e6;
        for (int n = 1; n <= pairs; n++) {
            Event s = server.await("session", n, Duration.ofSeconds(15));
            assertTrue(relayed(s) < PAYLOAD, "session relayed only control bytes: " + s);
        }
        Collections.sort(totals);
        Results.add(new Results.Row("8 20 pairs at once (h1 x20 / h2 x20)", OURS, lab, pairs + "/" + pairs
                + " direct, each to its own peer", "median " + ms(totals.get(pairs / 2)) + ", max "
                + ms(totals.get(pairs - 1)), "all 20 connectors done " + ms(wall) + " ms after the first started",
                "0 / 0"));
    }

    /** Where h3's connections fall in h1's probe (after which of its four probes, 0-based), and what that makes of it. */
    enum Disturbance {
        NONE("undisturbed", List.of(), List.of(2, 2, 2)),
        ONCE("once (after probe 2)", List.of(1), List.of(2, 4, 2)),
        TWICE("twice (after probes 1 and 3)", List.of(0, 2), List.of(4, 2, 4));

        final String label;
        final List<Integer> afterProbes;
        final List<Integer> deltas;

        Disturbance(String label, List<Integer> afterProbes, List<Integer> deltas) {
            this.label = label;
            this.afterProbes = afterProbes;
            this.deltas = deltas;
        }
    }

    @Test
    @Order(12)
    @DisplayName("10: a sequential NAT (step 2) disturbed by h3's connections while h1 probes: XSTUNT 1.0's analysis rules and the unanimous ones side by side, a traversal with each")
    void scenario10DisturbedSequentialMapping() throws Exception {
        String lab = "--nat1 sequential --seq-step 2 --nat2 preserve --inbound drop --delay1 20";
        Lab.up(lab.split(" "));
        startServer();
        for (Disturbance d : Disturbance.values()) {
            String prober = "p" + SEQ.incrementAndGet();
            Peer probe;
            List<Disturber.NewConnection> seen;
            // h3 connects to pub's discard port: refused or not, its SYN takes nat1's next port
            try (Disturber disturber = Disturber.start(testName + "-disturb-" + prober, "nat1", Lab.H1_IP, List.of(ECHO_PORT1, ECHO_PORT2),
                    d.afterProbes, "h3", Lab.PUB_IP + ":9")) {
                probe = client("h1", prober, List.of("probe", "--id", prober));
                assertEquals(0, probe.awaitExit(START), probe.describe());
                seen = disturber.stop();
            }
            Event f = probe.await("fingerprint", Duration.ZERO);
            Map<String, Object> run = f.obj("probe");
            int localPort = ((Number) run.get("localPort")).intValue();
            List<NatAnalysis.Observation> observations = new ArrayList<>();
            for (Object a : (List<?>) run.get("seen")) {
                String addr = (String) a;
                observations.add(new NatAnalysis.Observation(Ipv4.toInt(Ipv4.parse(host(addr))), port(addr)));
            }
            List<Integer> deltas = new ArrayList<>();
            for (int i = 1; i < observations.size(); i++) {
                deltas.add(observations.get(i).publicPort() - observations.get(i - 1).publicPort());
            }
            assertEquals(d.deltas, deltas, "h3's connections fell between h1's probes as planned; nat1 saw: " + seen);
            NatAnalysis.Nature original = NatAnalysis.analyze(observations, localPort, NatAnalysis.Rules.XSTUNT_1_0);
            NatAnalysis.Nature unanimous = NatAnalysis.analyze(observations, localPort, NatAnalysis.Rules.UNANIMOUS);
            Fingerprint probed = FingerprintFile.read(fingerprintPath(prober)).orElseThrow(
                    () -> new AssertionError("the probe wrote no fingerprint file: " + probe.describe()));
            assertEquals(description(original, probed), f.str("fingerprint"), "the client reads by XSTUNT 1.0's rules");

            List<String> outcomes = new ArrayList<>();
            for (NatAnalysis.Nature nature : List.of(original, unanimous)) {
                // the prediction is what is measured: without the birthday sweep, which connects a
                // pair read as RANDOM against a port-preserving NAT all the same (scenario 11)
                Attempt a = attemptOnce("h1", "h2", OURS, 8, lid -> writeFingerprint(lid, nature, probed),
                        new String[] {"--sweep", "off"});
                assertTrue(a.lRegistered.bool("cached"), "the listener used the fingerprint written for it: "
                        + a.lRegistered);
                boolean realStep = nature.increment() == 2;
                if (realStep) {
                    assertDirect(a, Lab.NAT1_IP, Lab.NAT2_IP);
                } else {
                    assertNull(a.cConnected, "a fingerprint of increment " + nature.increment()
                            + " predicts a port nat1 does not give:\n" + a.describe());
                }
                outcomes.add(a.cConnected != null ? "**direct**, " + ms(a.cConnected.num("totalMs")) + " ms"
                        : "fails (" + code(a.cError) + ")");
            }
            Report.disturbed(new Report.DisturbedRow(d.label, lab, observations.stream()
                    .map(o -> String.valueOf(o.publicPort())).collect(java.util.stream.Collectors.joining(", ")),
                    seen.stream().filter(c -> c.source().startsWith(Lab.H3_IP + ":")
                                    && c.mappedPort() > observations.get(0).publicPort()
                                    && c.mappedPort() < observations.get(3).publicPort())
                            .map(c -> String.valueOf(c.mappedPort())).collect(java.util.stream.Collectors.joining(", ")),
                    description(original, probed), outcomes.get(0), description(unanimous, probed), outcomes.get(1)));
        }
    }

    private static String description(NatAnalysis.Nature n, Fingerprint probed) {
        return n.toFingerprint(probed.clientVersion(), probed.serverVersion(), probed.id(), probed.publicIp()).describe();
    }

    /** The file a client of ID {@code id} would have written had it read its probe as {@code nature}. */
    private void writeFingerprint(String id, NatAnalysis.Nature nature, Fingerprint probed) {
        try {
            FingerprintFile.write(fingerprintPath(id), nature.toFingerprint(probed.clientVersion(),
                    probed.serverVersion(), id, probed.publicIp()));
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot write the fingerprint file of " + id + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ one attempt

    /**
     * XSTUNT 1.0's close-and-relisten on strict conntrack: every run fails, and in every run nat2
     * dropped packets as invalid (the new listener's SYN-ACK carries an ISN conntrack never saw).
     */
    private static void assertOriginalFailsOnSequenceCheck(Comparison c) {
        assertEquals(0, c.originalDirect(), "ORIGINAL is expected to fail on strict tracking:\n" + c.describeOriginal());
        assertEquals(0, c.failedWithoutInvalid(), "ORIGINAL failed without invalid drops in nat2 " + c.invalid
                + ", so not (only) by the sequence check:\n" + c.describeOriginal());
    }

    /** ORIGINAL runs per lab in the comparison: its outcome depends on timing, so one is not enough. */
    private static final int ORIGINAL_RUNS = 3;
    /** ORIGINAL's rendezvous bound: its 1 s XTryConnect wait plus a few round trips fit well. */
    private static final int ORIGINAL_TIMEOUT_S = 5;

    /** RACE once and ORIGINAL {@link #ORIGINAL_RUNS} times on one lab. */
    record Comparison(Attempt race, List<Attempt> originals, List<Long> invalid) {
        int originalDirect() {
            return (int) originals.stream().filter(a -> a.cConnected != null).count();
        }

        /** @return the ORIGINAL runs that failed although nat2 counted no invalid packet */
        long failedWithoutInvalid() {
            long n = 0;
            for (int i = 0; i < originals.size(); i++) {
                if (originals.get(i).cConnected == null && invalid.get(i) == 0) {
                    n++;
                }
            }
            return n;
        }

        String describeOriginal() {
            StringBuilder sb = new StringBuilder();
            originals.forEach(a -> sb.append(a.describe()).append('\n'));
            return sb.toString();
        }
    }

    /**
     * Brings up {@code lab} with h1 listening (behind nat1) and h2 connecting (behind nat2), runs a
     * RACE attempt (which must be direct) and {@link #ORIGINAL_RUNS} ORIGINAL ones (every
     * connection they make must be direct too), and records both.
     */
    private Comparison bothStrategies(String scenario, String lab, int timeoutS) {
        Lab.up(lab.split(" "));
        startServer();
        Attempt race = attempt("h1", "h2", OURS, timeoutS);
        assertDirect(race, Lab.NAT1_IP, Lab.NAT2_IP);
        record(scenario, OURS, lab, race, 0);
        List<Attempt> originals = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Double> handshakes = new ArrayList<>();
        List<Long> invalids = new ArrayList<>();
        for (int i = 0; i < ORIGINAL_RUNS; i++) {
            long invalidBefore = fwdInvalid("nat2");
            Attempt a = attempt("h1", "h2", ORIGINAL, ORIGINAL_TIMEOUT_S);
            long invalid = fwdInvalid("nat2") - invalidBefore;
            originals.add(a);
            invalids.add(invalid);
            if (a.cConnected != null) {
                assertDirect(a, Lab.NAT1_IP, Lab.NAT2_IP);
                handshakes.add(a.cConnected.num("totalMs"));
            } else {
                failures.add(failure(a, invalid));
            }
        }
        Collections.sort(handshakes);
        String rtt = rtt(lab);
        java.util.Map<String, Long> distinct = failures.stream().collect(java.util.stream.Collectors.groupingBy(
                f -> f, java.util.LinkedHashMap::new, java.util.stream.Collectors.counting()));
        List<String> failed = distinct.entrySet().stream().map(e -> e.getValue() + "x " + e.getKey()).toList();
        Results.add(new Results.Row(scenario, ORIGINAL, lab, handshakes.size() + "/" + ORIGINAL_RUNS + " direct"
                + (failures.isEmpty() ? "" : "; failed: " + String.join("; ", failed)),
                handshakes.isEmpty() ? "-" : "median " + ms(handshakes.get(handshakes.size() / 2))
                        + roundTrips(lab, handshakes.get(handshakes.size() / 2)),
                handshakes.isEmpty() ? "-" : Results.phases(originals.stream().filter(a -> a.cConnected != null)
                        .findFirst().orElseThrow().cConnected.obj("phases"), 2 * delay(lab)) + " (first direct run)",
                rtt));
        return new Comparison(race, originals, invalids);
    }

    /** A listener (--count 1) and a connector with one unique payload; the outcome on both sides. */
    /** Attempts per variant of scenario 11 in the default run; natlab/sweep.sh runs 20 and more for the figures. */
    private static final int SWEEP_RUNS = Integer.getInteger("natlab.sweep.runs", 3);

    @Test
    @Order(13)
    @DisplayName("11: one random NAT against a port-preserving one, the easy side dropping, resetting or answering ICMP, the hard side listening and connecting: direct through the birthday sweep; RST on both sides: relayed at once with the reason")
    void scenario11BirthdaySweep() {
        for (String easy : List.of("drop", "rst", "icmp")) {
            String lab = "--nat1 preserve --nat2 random --inbound1 " + easy + " --inbound2 drop";
            Lab.up(lab.split(" "));
            startServer();
            for (boolean hardListens : List.of(true, false)) {
                sweepRuns(lab, easy, hardListens);
            }
            cleanup();
        }
        String lab = "--nat1 preserve --nat2 random --inbound rst";
        Lab.up(lab.split(" "));
        startServer();
        Peer l = listen("h2", "hard", "--relay", "allowed");
        l.await("registered", START);
        Peer c = connect("h1", "easy", "hard", payload(), "--relay", "allowed");
        assertEquals(0, c.awaitExit(START), c.describe());
        Event e = c.await("connected", Duration.ZERO);
        assertEquals("relayed", e.str("path"), e.toString());
        assertEquals("both NATs refuse unsolicited SYNs: no birthday sweep", e.str("relayReason"), e.toString());
        Results.add(new Results.Row("11 preserve+rst / random+rst", OURS, lab, "relayed: " + e.str("relayReason"),
                ms(e.num("totalMs")), "-", "-"));
    }

    /**
     * {@link #SWEEP_RUNS} XConnects between h1 (behind the port-preserving nat1) and h2 (behind the
     * random nat2) in one registration each, the relay allowed: each is direct through the sweep
     * (the remote is the other NAT's, the phases name the sweep, the server relayed no data), or
     * relayed because the sweep missed (reason "birthday sweep missed after N probes"); at most one
     * miss per variant (a miss has a probability of about 2 % with the default budget).
     */
    private void sweepRuns(String lab, String easy, boolean hardListens) {
        String listenerNs = hardListens ? "h2" : "h1";
        String connectorNs = hardListens ? "h1" : "h2";
        String lid = "l" + SEQ.incrementAndGet();
        Peer l = listen(listenerNs, lid, "--relay", "allowed", "--timeout", "12");
        l.await("registered", START);
        Peer c = connect(connectorNs, "c" + SEQ.incrementAndGet(), String.join(",", Collections.nCopies(SWEEP_RUNS,
                lid)), payload(), "--relay", "allowed", "--timeout", "12");
        c.awaitExit(Duration.ofSeconds(SWEEP_RUNS * 20L + 60));
        List<Event> connected = c.events("connected");
        assertEquals(SWEEP_RUNS, connected.size(), "every XConnect connects, directly or relayed:\n" + c.describe());
        int direct = 0;
        List<Double> totals = new ArrayList<>();
        for (Event e : connected) {
            if ("direct".equals(e.str("path"))) {
                direct++;
                assertEquals(hardListens ? Lab.NAT2_IP : Lab.NAT1_IP, host(e.str("remote")), "direct: " + e);
                assertTrue(e.obj("phases").containsKey("sweep"), "the sweep connected it: " + e);
                totals.add(e.num("totalMs"));
            } else {
                assertEquals("relayed", e.str("path"), e.toString());
                assertTrue(e.str("relayReason").matches("birthday sweep missed after \\d+ probes"), e.toString());
            }
        }
        for (int n = 1; n <= SWEEP_RUNS; n++) {
            Event s = server.await("session", ++sessions, Duration.ofSeconds(20));
            if ("direct".equals(s.str("path"))) {
                assertTrue(relayed(s) < PAYLOAD, "session " + n + " relayed " + relayed(s) + " bytes: " + s);
            }
        }
        Collections.sort(totals);
        String variant = "11 preserve+" + easy + " / random+drop, hard side " + (hardListens ? "listens" : "connects");
        Results.add(new Results.Row(variant, OURS, lab, direct + "/" + SWEEP_RUNS + " direct (sweep)",
                totals.isEmpty() ? "-" : "median " + ms(totals.get(totals.size() / 2)) + ", max "
                        + ms(totals.get(totals.size() - 1)), "-", "-"));
        assertTrue(direct >= SWEEP_RUNS - 1, variant + ": " + direct + "/" + SWEEP_RUNS + " direct:\n" + c.describe());
        l.close();
        c.close();
    }

    /** Attempts per variant of scenario 12 in the default run. */
    private static final int IPV6_RUNS = Integer.getInteger("natlab.ipv6.runs", 3);
    /** h1's and h2's IPv6 addresses in a lab up with --ipv6 (lab.sh). */
    static final String H1_IP6 = "2001:db8:1::10";
    static final String H2_IP6 = "2001:db8:2::10";

    @Test
    @Order(14)
    @DisplayName("12: IPv6 behind stateful firewalls (dual stack, IPv4 behind NATs): direct over IPv6 where IPv4 has no direct path (two random NATs; firewalls dropping, then resetting unsolicited SYNs, with 10 ms one-way as in scenario 9, where RSTs leave only SYNs that cross on the wire) and where it has one (port-preserving NATs: IPv6 wins the race)")
    void scenario12Ipv6() {
        for (String lab : List.of("--ipv6 --nat random --inbound drop", "--ipv6 --nat random --inbound rst --delay 10",
                "--ipv6 --nat preserve --inbound drop")) {
            Lab.up(lab.split(" "));
            startServer();
            ipv6Runs(lab);
            cleanup();
        }
    }

    @Test
    @Order(15)
    @DisplayName("12b: dual stack, IPv6 fails (nat1 drops every IPv6 TCP packet, both hosts still register their global IPv6 addresses): the IPv4 punch through port-preserving NATs wins the race, direct over IPv4, no relay")
    void scenario12bIpv4WinsWhenIpv6Fails() {
        String lab = "--ipv6 --nat preserve --inbound drop --ipv6-drop 1";
        Lab.up(lab.split(" "));
        startServer();
        ipv6Runs(lab, "ipv4", Lab.NAT1_IP);
        cleanup();
    }

    /** {@link #ipv6Runs(String, String, String)}: IPv6 must win, to h1's IPv6 address. */
    private void ipv6Runs(String lab) {
        ipv6Runs(lab, "ipv6", H1_IP6);
    }

    /**
     * {@link #IPV6_RUNS} XConnects from h2 to a listener on h1, the relay allowed: each must be
     * direct over {@code family} (the event's family, the remote is {@code remote}, h1's address of
     * that family, no data through the server), whatever the other family could have done.
     */
    private void ipv6Runs(String lab, String family, String remote) {
        String lid = "l" + SEQ.incrementAndGet();
        Peer l = listen("h1", lid, "--relay", "allowed", "--timeout", "12");
        l.await("registered", START);
        Peer c = connect("h2", "c" + SEQ.incrementAndGet(), String.join(",", Collections.nCopies(IPV6_RUNS, lid)),
                payload(), "--relay", "allowed", "--timeout", "12");
        c.awaitExit(Duration.ofSeconds(IPV6_RUNS * 20L + 60));
        List<Event> connected = c.events("connected");
        assertEquals(IPV6_RUNS, connected.size(), "every XConnect connects:\n" + c.describe());
        List<Double> totals = new ArrayList<>();
        for (Event e : connected) {
            assertEquals("direct", e.str("path"), e.toString());
            assertEquals(family, e.str("family"), e.toString());
            assertEquals(inet(remote), inet(host(e.str("remote"))), e.toString());
            totals.add(e.num("totalMs"));
        }
        for (int n = 1; n <= IPV6_RUNS; n++) {
            Event s = server.await("session", ++sessions, Duration.ofSeconds(20));
            assertTrue(relayed(s) < PAYLOAD, "session " + n + " relayed " + relayed(s) + " bytes: " + s);
        }
        Collections.sort(totals);
        Results.add(new Results.Row("12 IPv6, " + lab.replace("--ipv6 ", "").replace("--", ""), OURS, lab,
                connected.size() + "/" + IPV6_RUNS + " direct over " + (family.equals("ipv6") ? "IPv6" : "IPv4"),
                "median " + ms(totals.get(totals.size() / 2))
                        + ", max " + ms(totals.get(totals.size() - 1)), "-", "-"));
        l.close();
        c.close();
    }

    private static java.net.InetAddress inet(String literal) {
        try {
            return java.net.InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError("not an address: " + literal, e);
        }
    }

    final class Attempt {
        Peer listener;
        Peer connector;
        Event lRegistered;
        Event cRegistered;
        Event cConnected;
        Event lConnected;
        Event cError;
        Event session;
        String payload;
        String received;
        String connectorId;
        String note;

        String describe() {
            return connector.describe() + listener.describe() + "--- session: " + session;
        }
    }

    private Attempt attempt(String listenerNs, String connectorNs, String strategy, int timeoutS) {
        Attempt a = attemptOnce(listenerNs, connectorNs, strategy, timeoutS);
        if (a.cError != null && "ERR_MATCH".equals(a.cError.str("code"))
                && server.logContains("source " + a.connectorId + " is not IDLE")) {
            // XInit returns once the client has sent its IDLE state; the server has no answer for
            // it. When that segment is lost (scenario 7's 1 % loss) the XConnect right after it is
            // refused. Not a traversal outcome: recorded, and tried once more with a fresh pair.
            Attempt again = attemptOnce(listenerNs, connectorNs, strategy, timeoutS);
            again.note = "1st try: ERR_MATCH, the server had not applied the connector's IDLE yet (its LogState"
                    + " segment was lost); retried with a fresh pair";
            return again;
        }
        return a;
    }

    private Attempt attemptOnce(String listenerNs, String connectorNs, String strategy, int timeoutS) {
        return attemptOnce(listenerNs, connectorNs, strategy, timeoutS, lid -> { }, new String[0]);
    }

    private Attempt attemptOnce(String listenerNs, String connectorNs, String strategy, int timeoutS, String[] more) {
        return attemptOnce(listenerNs, connectorNs, strategy, timeoutS, lid -> { }, more);
    }

    private Attempt attemptOnce(String listenerNs, String connectorNs, String strategy, int timeoutS,
                                Consumer<String> beforeListener) {
        return attemptOnce(listenerNs, connectorNs, strategy, timeoutS, beforeListener, new String[0]);
    }

    /**
     * One attempt: a listener in {@code listenerNs}, a connector in {@code connectorNs};
     * {@code beforeListener} gets the listener's ID before it starts, {@code more} goes to both peers.
     */
    private Attempt attemptOnce(String listenerNs, String connectorNs, String strategy, int timeoutS,
                                Consumer<String> beforeListener, String[] more) {
        Attempt a = new Attempt();
        int n = SEQ.incrementAndGet();
        String lid = "l" + n;
        String cid = "c" + n;
        beforeListener.accept(lid);
        a.payload = payload();
        a.connectorId = cid;
        List<String> lArgs = new ArrayList<>(List.of("--count", "1", "--strategy", strategy, "--timeout",
                String.valueOf(timeoutS)));
        lArgs.addAll(List.of(more));
        a.listener = listen(listenerNs, lid, lArgs.toArray(new String[0]));
        a.lRegistered = a.listener.await("registered", START);
        List<String> cArgs = new ArrayList<>(List.of("--strategy", strategy, "--timeout", String.valueOf(timeoutS)));
        cArgs.addAll(List.of(more));
        a.connector = connect(connectorNs, cid, lid, a.payload, cArgs.toArray(new String[0]));
        a.cRegistered = a.connector.await("registered", START);
        int code = a.connector.awaitExit(Duration.ofSeconds(timeoutS + 30L));
        if (code == 0) {
            a.cConnected = a.connector.await("connected", Duration.ZERO);
            a.received = received(a.connector);
            assertEquals(0, a.listener.awaitExit(Duration.ofSeconds(15)), a.listener.describe());
            a.lConnected = a.listener.await("connected", Duration.ZERO);
        } else {
            a.cError = a.connector.await("error", Duration.ZERO);
            a.listener.close();
            a.lConnected = a.listener.events("connected").stream().findFirst().orElse(null);
            if ("ERR_MATCH".equals(a.cError.str("code"))) {
                return a; // refused by the server: no session
            }
        }
        a.session = server.await("session", ++sessions, Duration.ofSeconds(timeoutS + 15L));
        return a;
    }

    /** Direct: remote addresses are the other side's public address; the server relayed no data. */
    private static void assertDirect(Attempt a, String listenerPublic, String connectorPublic) {
        assertNotNull(a.cConnected, "no connection:\n" + a.describe());
        assertNull(a.cConnected.str("via"), "not a LAN connection: " + a.cConnected);
        assertEquals(listenerPublic, host(a.cConnected.str("remote")),
                "the connector's data connection goes to the listener's public address: " + a.cConnected);
        assertEquals(connectorPublic, host(a.lConnected.str("remote")),
                "the listener's data connection comes from the connector's public address: " + a.lConnected);
        assertEquals(a.payload, a.received, "the payload came back");
        long heard = a.listener.events("data").stream().filter(e -> "received".equals(e.str("direction")))
                .mapToLong(e -> (long) e.num("bytes")).sum();
        assertEquals(a.payload.length(), heard, "the listener received the payload");
        assertEquals(a.connectorId, a.session.str("initiator"), a.session.toString());
        long relayed = relayed(a.session);
        assertTrue(relayed < PAYLOAD, "the server relayed " + relayed + " bytes in this session, less than the "
                + PAYLOAD + "-byte payload that went both ways: " + a.session);
    }

    static long relayed(Event session) {
        Map<String, Object> r = session.obj("relayedBytes");
        return ((Number) r.get("fromInitiator")).longValue() + ((Number) r.get("fromListener")).longValue();
    }

    /** Records the attempt's row (outcome, handshake, phases; invalid = nat2's invalid drops in it). */
    private static void record(String scenario, String strategy, String lab, Attempt a, long invalid) {
        String rtt = rtt(lab);
        String outcome;
        String handshake = "-";
        String phases = "-";
        if (a.cConnected != null) {
            outcome = "direct (" + a.cConnected.str("remote") + " / " + a.lConnected.str("remote") + "), relayed "
                    + relayed(a.session) + " B";
            double total = a.cConnected.num("totalMs");
            handshake = ms(total) + roundTrips(lab, total);
            phases = Results.phases(a.cConnected.obj("phases"), 2 * delay(lab));
        } else {
            outcome = "failed: " + failure(a, invalid);
        }
        if (a.note != null) {
            outcome += " (" + a.note + ")";
        }
        Results.add(new Results.Row(scenario, strategy, lab, outcome, handshake, phases, rtt));
    }

    /** "ERR_X / listener ERR_Y, nat2 dropped N invalid" or "..., listener half-open". */
    private static String failure(Attempt a, long invalid) {
        return code(a.cError) + (a.listener.events("error").isEmpty() ? ""
                : " / listener " + codes(a.listener.events("error"))) + (invalid > 0 ? ", nat2 dropped "
                + invalid + " invalid" : "") + (a.lConnected != null ? ", listener half-open (its connect"
                + " completed, the initiator never accepted)" : "");
    }

    private static String roundTrips(String lab, double totalMs) {
        double d = delay(lab);
        return d == 0 ? "" : String.format(" ms (%.1f peer-srv RTTs)", totalMs / (2 * d));
    }

    private static double delay(String lab) {
        String[] t = lab.split(" ");
        for (int i = 0; i + 1 < t.length; i++) {
            if (t[i].equals("--delay")) {
                return Double.parseDouble(t[i + 1]);
            }
        }
        return 0;
    }

    /** The lab's RTTs: peer-server crosses one delayed link, peer-peer two. */
    private static String rtt(String lab) {
        double d = delay(lab);
        return ms(2 * d) + " / " + ms(4 * d);
    }

    // ------------------------------------------------------------------ peers

    private void startServer(String... extra) {
        List<String> args = new ArrayList<>(List.of("server", "--ip1", Lab.SRV_IP1, "--ip2", Lab.SRV_IP2,
                "--session-timeout", "30"));
        args.addAll(List.of(extra));
        server = start("srv", "server-" + testName + "-" + SEQ.incrementAndGet(), args);
        server.await("server", START);
        sessions = 0;
    }

    private Peer listen(String ns, String id, String... extra) {
        List<String> args = new ArrayList<>(List.of("listen", "--id", id));
        args.addAll(List.of(extra));
        return client(ns, id, args);
    }

    private Peer connect(String ns, String id, String peer, String message, String... extra) {
        List<String> args = new ArrayList<>(List.of("connect", "--id", id, "--peer", peer, "--message", message));
        args.addAll(List.of(extra));
        return client(ns, id, args);
    }

    private Peer client(String ns, String id, List<String> args) {
        List<String> all = traversalOnly(args);
        // a fresh fingerprint file per peer and test: a cached one would hide the NAT under test
        all.addAll(List.of("--server", SERVER, "--fingerprint", fingerprintPath(id).toString()));
        return start(ns, id, all);
    }

    /**
     * @return {@code args} of a CLI peer command with {@code --relay direct-only} added to a
     *     {@code listen} or {@code connect} that names no --relay of its own: the scenarios measure
     *     the traversal, so a pair that cannot punch must fail, not be relayed ({@code probe} and
     *     {@code server} take no --relay)
     */
    static List<String> traversalOnly(List<String> args) {
        List<String> all = new ArrayList<>(args);
        if (List.of("listen", "connect").contains(all.get(0)) && !all.contains("--relay")) {
            all.addAll(List.of("--relay", "direct-only"));
        }
        return all;
    }

    private Path fingerprintPath(String id) {
        return fingerprints.resolve(testName + "-" + id + ".fp");
    }

    private Peer start(String ns, String name, List<String> args) {
        Peer p = Peer.start(ns, testName + "-" + name, args);
        peers.add(p);
        return p;
    }

    // ------------------------------------------------------------------ small things

    /** A unique random payload of {@link #PAYLOAD} characters. */
    static String payload() {
        String abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        StringBuilder sb = new StringBuilder(PAYLOAD);
        for (int i = 0; i < PAYLOAD; i++) {
            sb.append(abc.charAt(RANDOM.nextInt(abc.length())));
        }
        return sb.toString();
    }

    /** @return the text the connector got back (its "received" data events joined) */
    private static String received(Peer c) {
        StringBuilder sb = new StringBuilder();
        c.events("data").stream().filter(e -> "received".equals(e.str("direction"))).forEach(e -> sb.append(e.str("text")));
        return sb.toString();
    }

    /** nat's count of packets dropped as conntrack-invalid in its forward chain. */
    private static long fwdInvalid(String nat) {
        Lab.Result r = Lab.run(List.of("ip", "netns", "exec", "xl-" + nat, "nft", "list", "counter", "inet", "xlnat",
                "fwd_invalid"), 10);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("packets (\\d+)").matcher(r.output());
        if (r.code() != 0 || !m.find()) {
            fail("cannot read fwd_invalid of " + nat + ": " + r.output());
        }
        return Long.parseLong(m.group(1));
    }

    /** @return an error event's code, with the asymmetric phase's failing step: "ERR_ASYMCLIENT(ERR_ASYM_TIMEOUT)" */
    private static String code(Event error) {
        String cause = error.str("cause");
        return error.str("code") + (cause == null ? "" : "(" + cause + ")");
    }

    private static String codes(List<Event> errors) {
        return String.join(", ", errors.stream().map(NatLabTest::code).toList());
    }

    static String host(String address) {
        return address.substring(0, address.lastIndexOf(':'));
    }

    static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    static String ms(double v) {
        return String.format("%.1f", v);
    }

    static String secs(double v) {
        return String.format("%.1f", v);
    }
}
