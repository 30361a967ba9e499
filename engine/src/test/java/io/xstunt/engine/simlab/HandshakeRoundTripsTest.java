package io.xstunt.engine.simlab;

import static io.xstunt.engine.client.PunchStrategy.FAST;
import static io.xstunt.engine.client.PunchStrategy.ORIGINAL;
import static io.xstunt.engine.client.PunchStrategy.RACE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.PunchRace;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.sim.InboundPolicy;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import io.xstunt.engine.wire.ControlFrame;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The handshake in round trips, exact in virtual time: what natlab's {@code rtt.sh} can only
 * measure (docs/PERFORMANCE.md section 5: RACE 8.1-8.3 peer-server RTTs in nat-links, 7.1-7.3 in
 * equal-paths, ORIGINAL 1 s + 13.5 / 11.6). Here the CPU costs nothing, so each phase is a whole
 * number of network hops, and the asserts are the protocol's own count, derived hop by hop in
 * {@link #racePhases} and {@link #originalPhases}. Never an assert about real time.
 *
 * <p>Unit: the peer-server round trip (2D). natlab's two topologies, both with that unit:
 * {@code nat-links} ({@code --delay D}: a relayed hop peer-server-peer is 1 unit, a peer-peer
 * one-way 1 unit) and {@code equal-paths} ({@code --delay D/2 --delay-srv D/2}: relayed hop 1,
 * peer-peer one-way 0.5).
 */
@Timeout(60)
class HandshakeRoundTripsTest {
    private static final long SEED = 1;
    private static final MatrixReport REPORT = new MatrixReport("sim-handshake-rtt.md",
            "Handshake in round trips on the simulated internet (HandshakeRoundTripsTest)");

    /** natlab's rtt.sh topologies. */
    enum Topology {
        /** {@code --delay D}: the delay on both NAT links. */
        NAT_LINKS(d -> b -> b.delay(d)),
        /** {@code --delay D/2 --delay-srv D/2}: every path the same length. */
        EQUAL_PATHS(d -> b -> b.delay(d.dividedBy(2)).delaySrv(d.dividedBy(2)));

        private final java.util.function.Function<Duration, UnaryOperator<NatLab.Builder>> options;

        Topology(java.util.function.Function<Duration, UnaryOperator<NatLab.Builder>> options) {
            this.options = options;
        }

        NatLab lab(Duration oneWay, boolean liberal) {
            NatLab.Builder b = NatLab.builder().seed(SEED).nat(NatMapping.PRESERVE).inbound(InboundPolicy.DROP);
            if (liberal) {
                b.liberal();
            }
            return options.apply(oneWay).apply(b).build();
        }

        /** @return a peer-peer one-way in units (a relayed hop is 1 unit in both) */
        double peerPeer() {
            return this == NAT_LINKS ? 1 : 0.5;
        }
    }

    /**
     * RACE, phase by phase (docs/PROTOCOL.md, "pipelined"): comm 2 (TCP connect to the comm
     * service, MSG_CONNECT and its answer); announce 0 (it comes with the answer); control 1 (the
     * control-port connect); sync 2 (OK(one) relayed to the listener, its OK(one) and address
     * relayed back); predict 2 (TCP connect to the echo service, then its answer after the
     * accept: alongside control and sync, so not added); exchange 0 (the initiator has both
     * addresses at the sync's end); punch: "ready" relayed (1), the two SYNs cross (a peer-peer
     * one-way), the SYN-ACKs of the simultaneous open come back (another). 8 in nat-links, 7 in
     * equal-paths.
     */
    static Map<String, Double> racePhases(Topology t) {
        return phases(2, 0, 1, 2, 2, 0, 1 + 2 * t.peerPeer());
    }

    /**
     * ORIGINAL (the original's sequential timing): comm 2, announce 0, control 1; sync 3 (OK(one)
     * relayed there and back, measured as 2, then the second OK(one) and the half-round-trip pause,
     * 1); predict 2, only now (both sides start it at the pause's end); exchange 3: its clock
     * starts at the sync's end, so it holds the prediction (2) and the addresses relayed, crossing
     * (1); punch 1 s (XTryConnect's SYN is dropped by the listener's NAT, so the whole wait), then
     * "ready" relayed (1), the listener's SYN to the new listening socket (a peer-peer one-way),
     * its SYN-ACK back (another) and the ACK that completes the initiator's accept (another).
     */
    static Map<String, Double> originalPhases(Topology t) {
        return phases(2, 0, 1, 3, 2, 3, 1 + 3 * t.peerPeer());
    }

    @ParameterizedTest(name = "{0}, one-way {1} ms")
    @DisplayName("RACE: 8 peer-server round trips in nat-links, 7 in equal-paths, whatever the delay")
    @CsvSource({"NAT_LINKS, 5", "NAT_LINKS, 10", "NAT_LINKS, 25", "NAT_LINKS, 50",
        "EQUAL_PATHS, 10", "EQUAL_PATHS, 25", "EQUAL_PATHS, 50"})
    void raceRoundTrips(Topology topology, int oneWayMs) {
        Duration unit = Duration.ofMillis(2L * oneWayMs);
        Attempt a = directAttempt(topology.lab(Duration.ofMillis(oneWayMs), false), RACE);
        assertEquals(racePhases(topology), units(a, unit, Duration.ZERO), "the connector's phases in round trips: "
                + a.describe());
        // comm + control + sync + punch (the prediction runs alongside control and sync)
        assertEquals(scaled(unit, topology == Topology.NAT_LINKS ? 8 : 7), a.handshake(), "RACE's XConnect: "
                + a.describe());
        record(topology, oneWayMs, a, unit);
    }

    @ParameterizedTest(name = "{0}, one-way {1} ms")
    @DisplayName("ORIGINAL (be_liberal): its 1 s XTryConnect wait plus 13 round trips in nat-links, 11.5 in equal-paths")
    @CsvSource({"NAT_LINKS, 10", "NAT_LINKS, 25", "NAT_LINKS, 50", "EQUAL_PATHS, 10",
        "EQUAL_PATHS, 50"})
    void originalRoundTrips(Topology topology, int oneWayMs) {
        Duration unit = Duration.ofMillis(2L * oneWayMs);
        // strict conntrack drops ORIGINAL's SYN-ACK (NatMatrixTest): its timing is measured on liberal, as rtt.sh does
        Attempt a = directAttempt(topology.lab(Duration.ofMillis(oneWayMs), true), ORIGINAL);
        assertEquals(originalPhases(topology), units(a, unit, PunchRace.TRY_CONNECT_WAIT), "phases in round trips,"
                + " the punch without the 1 s wait: " + a.describe());
        // comm + control + sync + exchange + punch (the prediction is inside the exchange's clock)
        assertEquals(PunchRace.TRY_CONNECT_WAIT.plus(scaled(unit, topology == Topology.NAT_LINKS ? 13 : 11.5)),
                a.handshake(), a.describe());
        record(topology, oneWayMs, a, unit);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(PunchStrategy.class)
    @DisplayName("Without delay: RACE takes no time at all, ORIGINAL exactly its XTryConnect wait (natlab's floor: 5.2 and 1007.7 ms of CPU)")
    void floor(PunchStrategy strategy) {
        Attempt a = directAttempt(Topology.NAT_LINKS.lab(Duration.ZERO, strategy == ORIGINAL), strategy);
        assertEquals(strategy == ORIGINAL ? PunchRace.TRY_CONNECT_WAIT : Duration.ZERO, a.handshake(), a.describe());
        REPORT.add("floor", strategy.name().toLowerCase(Locale.ROOT), a.options(), a.outcome(),
                a.handshake().toMillis() + " ms", "-", Double.NaN);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = PunchStrategy.class, names = {"RACE", "ORIGINAL"}) // FAST has no control channel
    @DisplayName("The wire sequence is the same for both strategies: the server relays the same control frames")
    void controlBytes(PunchStrategy strategy) {
        Attempt a = directAttempt(Topology.NAT_LINKS.lab(Duration.ofMillis(10), strategy == ORIGINAL), strategy);
        int one = ControlFrame.one().encodedLength();
        int address = ControlFrame.address(0).encodedLength();
        int port = ControlFrame.port(0).encodedLength();
        // initiator: OK(one) twice (sync), its address and port, OK(one) "ready"; listener: OK(one), address, port
        assertEquals(3 * one + address + port, a.session().bytesFromInitiator(), a.session().toString());
        assertEquals(one + address + port, a.session().bytesFromListener(), a.session().toString());
    }

    @ParameterizedTest(name = "listener {0} ms, initiator {1} ms from the server")
    @CsvSource({"0, 5", "4, 5", "10, 5", "16, 5", "30, 5", "76, 5", "20, 0", "5, 30"})
    @DisplayName("RACE through two RST-answering NATs when the peers' links differ: the SYNs cross at the first attempt")
    void raceGridWithUnequalLinks(int listenerMs, int initiatorMs) {
        NatLab lab = NatLab.builder().seed(SEED).nat(NatMapping.PRESERVE).inbound(InboundPolicy.RST)
                .delay1(Duration.ofMillis(listenerMs)).delay2(Duration.ofMillis(initiatorMs)).build();
        Attempt a = directAttempt(lab, RACE);
        // a SYN that reaches a NAT before that NAT's own side's SYN left is refused, and the RST
        // deletes the sender's hole: the grid's origin must be the same instant on both sides
        assertEquals(0, a.nat1().unsolicited() + a.nat2().unsolicited(), "a NAT refused a SYN: " + a.describe());
        // so the punch is its three hops: "ready" relayed, the SYNs crossing, the SYN-ACKs, each
        // across both NAT links (the server's link has no delay)
        Duration hop = Duration.ofMillis(listenerMs + initiatorMs);
        assertEquals(hop.multipliedBy(3), a.connector().connection().phases().get("punch"), a.describe());
        REPORT.add("RST both, listener link " + listenerMs + " ms, initiator " + initiatorMs + " ms", "race",
                a.options(), a.outcome(), a.handshake().toMillis() + " ms", phasesMs(a), Double.NaN);
    }

    /**
     * FAST (docs/PROTOCOL.md "FAST"): request 1 (the request line reaches the server, the go comes
     * back; the listener's go, equally far, arrives at the same instant), announcement 0 (equal
     * round trips: no offset), firstSyn 0, connected: the two SYNs cross (a peer-peer one-way) and
     * the SYN-ACKs of the simultaneous open come back (another). 3 in nat-links, 2 in equal-paths:
     * the limit of issue 15.
     */
    static Map<String, Double> fastPhases(Topology t) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("request", 1.0);
        m.put("announcement", 0.0);
        m.put("firstSyn", 0.0);
        m.put("connected", 2 * t.peerPeer());
        return m;
    }

    @ParameterizedTest(name = "{0}, one-way {1} ms")
    @DisplayName("FAST: 3 peer-server round trips in nat-links, 2 in equal-paths, whatever the delay")
    @CsvSource({"NAT_LINKS, 5", "NAT_LINKS, 10", "NAT_LINKS, 25", "NAT_LINKS, 50",
        "EQUAL_PATHS, 10", "EQUAL_PATHS, 25", "EQUAL_PATHS, 50"})
    void fastRoundTrips(Topology topology, int oneWayMs) {
        Duration unit = Duration.ofMillis(2L * oneWayMs);
        Attempt a = directAttempt(topology.lab(Duration.ofMillis(oneWayMs), false), FAST);
        assertEquals(fastPhases(topology), units(a, unit, Duration.ZERO), "the connector's phases in round trips: "
                + a.describe());
        assertEquals(scaled(unit, topology == Topology.NAT_LINKS ? 3 : 2), a.handshake(), "FAST's XConnect: "
                + a.describe());
        record(topology, oneWayMs, a, unit);
    }

    @ParameterizedTest(name = "listener {0} ms, initiator {1} ms from the server")
    @CsvSource({"5, 40", "40, 5", "0, 10", "10, 0", "25, 25"})
    @DisplayName("FAST through two RST-answering NATs when the peers' links differ: the nearer waits, the SYNs cross")
    void fastWithUnequalLinks(int listenerMs, int initiatorMs) {
        NatLab lab = NatLab.builder().seed(SEED).nat(NatMapping.PRESERVE).inbound(InboundPolicy.RST)
                .delay1(Duration.ofMillis(listenerMs)).delay2(Duration.ofMillis(initiatorMs)).build();
        Attempt a = directAttempt(lab, FAST);
        assertEquals(0, a.nat1().unsolicited() + a.nat2().unsolicited(), "a NAT refused a SYN: " + a.describe());
        // the go reaches the initiator one round trip r_i after its request, the listener (r_i + r_l) / 2
        // after it; the nearer waits half the difference, so both SYNs leave at the later of the two;
        // then they cross (one hop across both NAT links) and the SYN-ACKs come back (another)
        long ri = 2L * initiatorMs;
        long rl = 2L * listenerMs;
        Duration hop = Duration.ofMillis(listenerMs + initiatorMs);
        Duration expected = Duration.ofMillis(Math.max(ri, (ri + rl) / 2)).plus(hop.multipliedBy(2));
        Duration rounding = Duration.ofNanos(io.xstunt.engine.wire.FastGo.TIME_UNIT_NS); // the go's offset unit
        Duration took = a.handshake().minus(expected);
        assertTrue(!took.isNegative() && took.compareTo(rounding) <= 0, "expected " + expected + ", took "
                + a.handshake() + ": " + a.describe());
        REPORT.add("FAST, RST both, listener link " + listenerMs + " ms, initiator " + initiatorMs + " ms", "fast",
                a.options(), a.outcome(), a.handshake().toMillis() + " ms", phasesMs(a), Double.NaN);
    }

    // ------------------------------------------------------------------ helpers

    /** One attempt, h1 listening, h2 connecting, natlab's timeouts; it must be direct. */
    private static Attempt directAttempt(NatLab lab, PunchStrategy strategy) {
        StuntLab stunt = StuntLab.start(lab, SEED);
        Duration timeout = strategy != ORIGINAL ? Scenario.RACE_TIMEOUT : NatMatrixTest.ORIGINAL_TIMEOUT;
        Attempt a = stunt.attempt(lab.h1(), lab.h2(), strategy, timeout);
        Scenario s = Scenario.of("round trips", b -> b);
        NatMatrixTest.assertDirect(s, lab, a, a.describe());
        return a;
    }

    /** @return the connector's phases in units, the punch less {@code punchWait} */
    private static Map<String, Double> units(Attempt a, Duration unit, Duration punchWait) {
        Map<String, Double> m = new LinkedHashMap<>();
        a.connector().connection().phases().forEach((name, d) -> m.put(name,
                (double) (name.equals("punch") ? d.minus(punchWait) : d).toNanos() / unit.toNanos()));
        return m;
    }

    private static Map<String, Double> phases(double comm, double announce, double control, double sync,
                                               double predict, double exchange, double punch) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("comm", comm);
        m.put("announce", announce);
        m.put("control", control);
        m.put("sync", sync);
        m.put("predict", predict);
        m.put("exchange", exchange);
        m.put("punch", punch);
        return m;
    }

    private static Duration scaled(Duration unit, double units) {
        return Duration.ofNanos(Math.round(unit.toNanos() * units));
    }

    private static void record(Topology t, int oneWayMs, Attempt a, Duration unit) {
        REPORT.add(t.name().toLowerCase(Locale.ROOT).replace('_', '-') + ", D = " + oneWayMs + " ms",
                a.strategy().name().toLowerCase(Locale.ROOT), a.options(), a.outcome(),
                String.format(Locale.ROOT, "%d ms (%.1f RTTs)", a.handshake().toMillis(), a.roundTrips(unit)),
                phasesMs(a), Double.NaN);
    }

    private static String phasesMs(Attempt a) {
        return a.connector().connection().phases().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().toMillis()).reduce((x, y) -> x + ", " + y).orElse("-");
    }

    @AfterAll
    static void writeReport() {
        REPORT.write();
    }
}
