package io.xstunt.engine.simlab;

import static io.xstunt.engine.client.PunchStrategy.FAST;
import static io.xstunt.engine.client.PunchStrategy.ORIGINAL;
import static io.xstunt.engine.client.PunchStrategy.RACE;
import static io.xstunt.engine.sim.InboundPolicy.DROP;
import static io.xstunt.engine.sim.InboundPolicy.ICMP;
import static io.xstunt.engine.sim.InboundPolicy.ICMP_ADMIN;
import static io.xstunt.engine.sim.InboundPolicy.RST;
import static io.xstunt.engine.sim.NatMapping.OFFSET;
import static io.xstunt.engine.sim.NatMapping.PRESERVE;
import static io.xstunt.engine.sim.NatMapping.RANDOM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import io.xstunt.engine.sim.NatRouter;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * natlab's NAT matrix ({@code natlab/.../NatLabTest}, every row of docs/NAT-LAB.md) on the
 * simulated internet, in every build: the real {@code StuntServer} on srv and real
 * {@code StuntClient}s on the lab's hosts, NATs with Linux conntrack's behaviour, one virtual
 * clock. Each table row is (scenario, strategy, expected outcome) and runs {@link #RUNS} attempts
 * on one lab, each with a fresh listener and connector, as natlab's ORIGINAL rows do. "Direct" is
 * natlab's definition, checked: each side's connection goes to the other side's public address
 * (and the port its NAT maps to), a unique payload went there and back, and the server relayed
 * only control bytes in the session. A failure is asserted with its error codes, the moment it
 * came (XConnect's deadline, exactly, in virtual time) and its cause as the NATs counted it.
 *
 * <p>Rows beyond natlab ({@link #beyondNatLab}) are the simulator's predictions for what natlab
 * has not run; {@code target/sim-nat-matrix.md} holds the outcomes of a run.
 */
@Timeout(60)
class NatMatrixTest {
    /** Attempts per row, each with a fresh pair (natlab's ORIGINAL_RUNS). */
    static final int RUNS = 3;
    /** ORIGINAL's rendezvous bound (natlab's ORIGINAL_TIMEOUT_S): its 1 s XTryConnect wait plus round trips fit well. */
    static final Duration ORIGINAL_TIMEOUT = Duration.ofSeconds(5);
    /** One seed for the table: every run replays event for event. */
    static final long SEED = 1;
    /** The CLI's {@code --lan-port} in natlab's scenario 3. */
    private static final int LAN_PORT = 7070;
    private static final MatrixReport REPORT = new MatrixReport("sim-nat-matrix.md",
            "NAT matrix on the simulated internet (NatMatrixTest)");

    // ------------------------------------------------------------------ scenarios (docs/NAT-LAB.md's names)

    static final Scenario S1 = Scenario.of("1 preserve+drop / preserve+drop", b -> b.nat(PRESERVE).inbound(DROP));
    static final Scenario S2 = Scenario.of("2 preserve+rst / preserve+drop",
            b -> b.nat(PRESERVE).inbound1(RST).inbound2(DROP));
    static final Scenario S4A = Scenario.of("4a listener public / connector behind nat2",
            b -> b.nat(PRESERVE).inbound(DROP)).sites(Site.PUB, Site.H2);
    static final Scenario S4B = Scenario.of("4b listener behind nat1 / connector public",
            b -> b.nat(PRESERVE).inbound(DROP)).sites(Site.H1, Site.PUB);
    static final Scenario S5 = Scenario.of("5 random / random", b -> b.nat(RANDOM).inbound(DROP));
    static final Scenario S6 = Scenario.of("6 offset (cone, not preserving) both", b -> b.nat(OFFSET).inbound(DROP));
    static final Scenario S7 = Scenario.of("7 preserve+drop, 25 ms, 1 % loss", b -> b.nat(PRESERVE).inbound(DROP).loss(1))
            .delay(Duration.ofMillis(25)).raceTimeout(Duration.ofSeconds(10));
    static final Scenario S1_LIBERAL = Scenario.of("1 + be_liberal", b -> b.nat(PRESERVE).inbound(DROP).liberal());
    static final Scenario S2_LIBERAL = Scenario.of("2 + be_liberal",
            b -> b.nat(PRESERVE).inbound1(RST).inbound2(DROP).liberal());
    static final Scenario S9 = Scenario.of("9 preserve+rst / preserve+rst, 10 ms", b -> b.nat(PRESERVE).inbound(RST))
            .delay(Duration.ofMillis(10)).raceTimeout(Duration.ofSeconds(5));

    /** What a row expects, with NAT-LAB.md's reason. */
    enum Expect {
        /** A direct connection: remote addresses are the public ones, the server relayed only control bytes. */
        DIRECT("direct"),
        /**
         * ORIGINAL on strict conntrack: the initiator's new listening socket answers the listener's
         * SYN with an ISN conntrack never saw; its NAT drops that SYN-ACK as invalid, XConnect
         * times out.
         */
        SEQUENCE_CHECK("fails: ERR_ASYM_TIMEOUT, the new socket's SYN-ACK is invalid to the initiator's NAT"),
        /**
         * A RST came back for the initiator's one SYN (from the listener's NAT or host):
         * conntrack deletes an unreplied entry on a RST, so the initiator's NAT drops the
         * listener's SYN as unsolicited. No invalid packet.
         */
        HOLE_RESET("fails: ERR_ASYM_TIMEOUT, a RST deleted the initiator's hole"),
        /**
         * ORIGINAL's listener connects once; a RST-answering initiator's NAT refuses it: ERR_CONNECT
         * in its asymmetric phase, and the initiator reads its ABORT in place of the connection.
         */
        REFUSED("fails: ERR_ASYMCLIENT(ERR_RECEIVE) / listener ERR_ASYMSERVER(ERR_CONNECT), the listener's one"
                + " connect is refused"),
        /** A random-port NAT: the predicted port is wrong, no SYN matches a hole; XConnect times out. */
        UNPREDICTABLE("fails: ERR_ASYM_TIMEOUT, a random NAT's port cannot be predicted");

        private final String label;

        Expect(String label) {
            this.label = label;
        }
    }

    /** One line of the table. */
    record Row(Scenario scenario, PunchStrategy strategy, Expect expect) {
        Duration timeout() {
            return strategy != ORIGINAL ? scenario.raceTimeout() : ORIGINAL_TIMEOUT;
        }

        @Override
        public String toString() {
            return scenario.name() + ", " + strategy + ": " + expect.label;
        }
    }

    static Row row(Scenario s, PunchStrategy strategy, Expect expect) {
        return new Row(s, strategy, expect);
    }

    // ------------------------------------------------------------------ the tables

    /** Every row of docs/NAT-LAB.md that is one attempt per lab (3, 5, 8 and 9 have their own tests below). */
    static Stream<Row> natLabRows() {
        return Stream.of(
                row(S1, RACE, Expect.DIRECT),
                row(S1, ORIGINAL, Expect.SEQUENCE_CHECK),
                row(S2, RACE, Expect.DIRECT),
                row(S2, ORIGINAL, Expect.HOLE_RESET),
                row(S4A, RACE, Expect.DIRECT),
                row(S4B, RACE, Expect.DIRECT),
                row(S6, RACE, Expect.DIRECT),
                row(S7, RACE, Expect.DIRECT),
                row(S7, ORIGINAL, Expect.SEQUENCE_CHECK),
                row(S1_LIBERAL, RACE, Expect.DIRECT),
                row(S1_LIBERAL, ORIGINAL, Expect.DIRECT),
                row(S2_LIBERAL, RACE, Expect.DIRECT),
                row(S2_LIBERAL, ORIGINAL, Expect.HOLE_RESET));
    }

    /**
     * FAST (the default between our peers) wherever RACE connects: by its go where both NATs keep
     * the port, by RACE after the server declined it where one does not (6), and where RACE cannot
     * (a random NAT) FAST cannot either.
     */
    static Stream<Row> fastRows() {
        return Stream.of(
                row(S1, FAST, Expect.DIRECT),
                row(S2, FAST, Expect.DIRECT),
                row(S4A, FAST, Expect.DIRECT),
                row(S4B, FAST, Expect.DIRECT),
                row(S6, FAST, Expect.DIRECT),
                row(S7, FAST, Expect.DIRECT),
                row(S9, FAST, Expect.DIRECT),
                row(S1_LIBERAL, FAST, Expect.DIRECT),
                row(S2_LIBERAL, FAST, Expect.DIRECT),
                row(Scenario.of("preserve+icmp / preserve+icmp", b -> b.nat(PRESERVE).inbound(ICMP)), FAST,
                        Expect.DIRECT),
                row(Scenario.of("random / preserve", b -> b.nat1(RANDOM).nat2(PRESERVE)), FAST, Expect.UNPREDICTABLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fastRows")
    @DisplayName("FAST wherever RACE connects")
    void fastRow(Row row) {
        runRow(row);
    }

    /** What natlab has not run ("not run" in NAT-LAB.md, and the inbound policies its suite leaves out): the simulator's predictions. */
    static Stream<Row> beyondNatLab() {
        Scenario icmp = Scenario.of("preserve+icmp / preserve+icmp", b -> b.nat(PRESERVE).inbound(ICMP));
        Scenario icmpAdmin = Scenario.of("preserve+icmp-admin / preserve+icmp-admin",
                b -> b.nat(PRESERVE).inbound(ICMP_ADMIN));
        Duration tenMs = Duration.ofMillis(10);
        return Stream.of(
                // a public listener's kernel answers XTryConnect's SYN with a RST, which deletes nat2's hole
                row(S4A, ORIGINAL, Expect.HOLE_RESET),
                // a public initiator has no NAT to track the new socket's ISN
                row(S4B, ORIGINAL, Expect.DIRECT),
                row(S6, ORIGINAL, Expect.SEQUENCE_CHECK),
                row(S9, ORIGINAL, Expect.REFUSED),
                row(S5, ORIGINAL, Expect.UNPREDICTABLE),
                row(Scenario.of("random / preserve", b -> b.nat1(RANDOM).nat2(PRESERVE)), RACE, Expect.UNPREDICTABLE),
                row(Scenario.of("preserve / random", b -> b.nat1(PRESERVE).nat2(RANDOM)), RACE, Expect.UNPREDICTABLE),
                // ICMP leaves the unreplied entry alone (unlike a RST): the hole stays open
                row(icmp, RACE, Expect.DIRECT),
                row(icmp.delay(tenMs), RACE, Expect.DIRECT),
                row(icmpAdmin, RACE, Expect.DIRECT),
                // ...and the refusal comes back at once, so the new socket's ISN is still inside the
                // window the first SYN opened (Linux ISNs advance one per 64 ns: ~4 ms of slack)
                row(icmp, ORIGINAL, Expect.DIRECT),
                row(icmpAdmin, ORIGINAL, Expect.DIRECT),
                // ...but not after a round trip of 40 ms
                row(icmp.delay(tenMs), ORIGINAL, Expect.SEQUENCE_CHECK));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("natLabRows")
    @DisplayName("natlab's rows")
    void natLabRow(Row row) {
        runRow(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("beyondNatLab")
    @DisplayName("beyond natlab: the simulator's predictions")
    void beyondNatLabRow(Row row) {
        runRow(row);
    }

    /** {@link #RUNS} attempts of {@code row} on one lab, each checked against the row's expectation. */
    private static void runRow(Row row) {
        long t0 = System.nanoTime();
        Scenario s = row.scenario();
        NatLab lab = s.lab(SEED);
        StuntLab stunt = StuntLab.start(lab, SEED);
        List<Attempt> attempts = new ArrayList<>();
        for (int run = 1; run <= RUNS; run++) {
            Attempt a = stunt.attempt(s.listener().in(lab), s.connector().in(lab), row.strategy(), row.timeout());
            attempts.add(a);
            String why = row + ", run " + run + ":\n" + a.describe();
            assertEquals(s.listener().fingerprint(lab), a.listener().fingerprint(), "listener's fingerprint; " + why);
            assertEquals(s.connector().fingerprint(lab), a.connector().fingerprint(), "connector's fingerprint; " + why);
            switch (row.expect()) {
                case DIRECT -> assertDirect(s, lab, a, why);
                case SEQUENCE_CHECK -> {
                    assertTimedOut(row, a, why);
                    assertTrue(s.connector().counts(a).invalid() > 0, "the initiator's NAT dropped the SYN-ACK of"
                            + " the new listening socket as invalid; " + why);
                }
                case HOLE_RESET -> {
                    assertTimedOut(row, a, why);
                    Attempt.NatCounts initiatorsNat = s.connector().counts(a);
                    assertEquals(0, initiatorsNat.invalid(), "no sequence problem; " + why);
                    assertTrue(initiatorsNat.unsolicited() > 0, "the initiator's NAT dropped the listener's SYN as"
                            + " unsolicited: its hole was gone; " + why);
                }
                case REFUSED -> {
                    assertNull(a.connector().connection(), why);
                    assertEquals(ErrorStat.ERR_ASYMCLIENT, a.connector().code(), why);
                    assertEquals(ErrorStat.ERR_RECEIVE, a.connector().step(), "the listener's ABORT; " + why);
                    assertEquals(ErrorStat.ERR_ASYMSERVER, a.listener().code(), why);
                    assertEquals(ErrorStat.ERR_CONNECT, a.listener().step(), why);
                    assertTrue(a.handshake().compareTo(row.timeout()) < 0, "refused before the deadline; " + why);
                }
                case UNPREDICTABLE -> {
                    assertTimedOut(row, a, why);
                    assertEquals(0, a.nat1().invalid() + a.nat2().invalid(), why);
                }
            }
            assertServerHoldsNothing(stunt, why);
        }
        report(row, attempts, (System.nanoTime() - t0) / 1e6);
    }

    /** natlab's assertDirect, and the ports each NAT maps to. */
    static void assertDirect(Scenario s, NatLab lab, Attempt a, String why) {
        assertTrue(a.connected(), "no connection on both sides; " + why);
        assertEquals(s.listener().publicIp(), a.connector().remote().getAddress().getHostAddress(),
                "the connector's data connection goes to the listener's public address; " + why);
        assertEquals(s.connector().publicIp(), a.listener().remote().getAddress().getHostAddress(),
                "the listener's data connection comes from the connector's public address; " + why);
        assertMappedPort(s.listener().nat(lab), a.listener().local().getPort(), a.connector().remote().getPort(), why);
        assertMappedPort(s.connector().nat(lab), a.connector().local().getPort(), a.listener().remote().getPort(), why);
        assertNotNull(a.echoed(), why);
        assertTrue(a.echoed().complete(), "the payload went there and came back; " + why);
        if (!a.connector().connection().phases().containsKey("request")) {
            // FAST opens no session on the server (no control channel): only RACE and ORIGINAL have one
            assertNotNull(a.session(), "the server finished the session; " + why);
            assertEquals(a.connector().id(), a.session().initiatorId(), why);
            assertEquals(a.listener().id(), a.session().listenerId(), why);
        }
        assertTrue(a.relayed() < StuntLab.PAYLOAD, "the server relayed " + a.relayed() + " bytes, less than the "
                + StuntLab.PAYLOAD + "-byte payload that went both ways; " + why);
    }

    /**
     * The peer reaches {@code local} at {@code seen}: the same port through a port-preserving NAT
     * (or none), a port of the offset range otherwise (natlab's scenario 6).
     */
    private static void assertMappedPort(NatRouter nat, int local, int seen, String why) {
        NatMapping m = nat == null ? NatMapping.PRESERVE : nat.config().mapping();
        if (m == NatMapping.OFFSET) {
            assertTrue(seen >= nat.config().offsetLow() && seen <= nat.config().offsetHigh(),
                    "an offset NAT maps " + local + " into its range, seen " + seen + "; " + why);
            assertNotEquals(local, seen, "not preserving; " + why);
        } else {
            assertEquals(local, seen, "a port-preserving NAT keeps the port; " + why);
        }
    }

    /**
     * XConnect failed in its asymmetric phase with ERR_ASYM_TIMEOUT (ERR_ASYMCLIENT with that
     * detail) at its deadline, exactly, and the listener failed too (ERR_ASYMSERVER): its own
     * deadline (ERR_TIMEOUT) is later than the initiator's by the comm round trip and the
     * announcement, and the initiator's ABORT needs one relayed hop, so with any delay on the NAT
     * links the ABORT comes first (read in place of the direct connection: ERR_RECEIVE); without
     * delay both deadlines are the same instant and the listener's own timer fires first. natlab saw
     * both (its timing varies).
     */
    private static void assertTimedOut(Row row, Attempt a, String why) {
        assertNull(a.connector().connection(), "connected, but expected: " + row.expect().label + "; " + why);
        assertEquals(ErrorStat.ERR_ASYMCLIENT, a.connector().code(), why);
        assertEquals(ErrorStat.ERR_ASYM_TIMEOUT, a.connector().step(), why);
        assertEquals(row.timeout(), a.handshake(), "XConnect fails at its deadline; " + why);
        assertNull(a.listener().connection(), "the listener did not connect either; " + why);
        assertEquals(ErrorStat.ERR_ASYMSERVER, a.listener().code(), why);
        ErrorStat listener = row.scenario().delay().isZero() ? ErrorStat.ERR_TIMEOUT : ErrorStat.ERR_RECEIVE;
        assertEquals(listener, a.listener().step(), why);
        assertNotNull(a.session(), "the server ended the session; " + why);
        assertTrue(a.relayed() < StuntLab.PAYLOAD, why);
    }

    /**
     * After an attempt (both deregistered): no session in flight, no registration left. MSG_DEREGISTER
     * has no answer (XDeRegister returns once it is sent), so the server is given the time its
     * bytes take to arrive.
     */
    static void assertServerHoldsNothing(StuntLab stunt, String why) {
        assertEquals(0, stunt.server().sessionsInFlight(), "sessions left in flight; " + why);
        stunt.net().runUntil("the server to forget both IDs (" + stunt.server().registeredCount() + " left); " + why,
                () -> stunt.server().registeredCount() == 0, Duration.ofSeconds(5));
    }

    // ------------------------------------------------------------------ natlab's other scenarios

    @Test
    @DisplayName("3: both hosts behind the same NAT: ERR_SAME_NAT with the peer's private address, LAN fallback connects")
    void scenario3SameNatLanFallback() {
        long t0 = System.nanoTime();
        NatLab lab = NatLab.builder().seed(SEED).nat(PRESERVE).inbound(DROP).build();
        StuntLab stunt = StuntLab.start(lab, SEED);
        StuntClient bob = stunt.register(lab.h1(), "bob", RACE, Scenario.RACE_TIMEOUT);
        LanEcho lan = LanEcho.listen(lab.net(), lab.h1(), LAN_PORT);
        StuntClient carol = stunt.register(lab.h3(), "carol", RACE, Scenario.RACE_TIMEOUT);
        Throwable t = stunt.net().awaitFailure("XConnect carol -> bob", carol.connect("bob", Scenario.RACE_TIMEOUT),
                Scenario.RACE_TIMEOUT.plusSeconds(5));
        Failure f = assertFailure(t);
        assertEquals(ErrorStat.ERR_SAME_NAT, f.code(), f.toString());
        assertEquals(NatLab.H1_IP, f.peerLocalAddress().getHostAddress(), "the error carries the peer's LAN address");
        // the CLI's --lan-port: connect to the peer's LAN address directly
        ByteChannel toBob = LanEcho.connect(lab.net(), lab.h3(), new InetSocketAddress(f.peerLocalAddress(), LAN_PORT));
        StuntLab.Echoed echoed = StuntLab.echo(toBob, lan.accepted(), stunt.payload());
        assertTrue(echoed.complete(), "the LAN echo came back: " + echoed);
        assertEquals(NatLab.H3_IP, lan.remote().getAddress().getHostAddress(), "the listener sees h3's LAN address");
        assertEquals(List.of(), stunt.sessions(), "no rendezvous session for a same-NAT pair");
        assertEquals(0, stunt.server().sessionsInFlight());
        assertEquals(2, stunt.server().registeredCount(), "both stay registered: " + bob.id() + ", " + carol.id());
        REPORT.add("3 same NAT (h1, h3 behind nat1)", "race", lab.options(), "ERR_SAME_NAT (peer "
                + f.peerLocalAddress().getHostAddress() + "), LAN fallback connected", "-", "-", ms(t0));
    }

    @Test
    @DisplayName("5: random-port NATs: RANDOM-SYMMETRIC, XConnect fails at its timeout twice, no server state, a public peer still reaches the listener")
    void scenario5RandomSymmetricBothSides() {
        long t0 = System.nanoTime();
        Duration timeout = Duration.ofSeconds(4);
        NatLab lab = S5.lab(SEED);
        StuntLab stunt = StuntLab.start(lab, SEED);
        StuntClient bob = stunt.register(lab.h1(), "bob", RACE, timeout);
        StuntClient alice = stunt.register(lab.h2(), "alice", RACE, timeout);
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC", bob.fingerprint().describe());
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC", alice.fingerprint().describe());
        List<String> codes = new ArrayList<>();
        // two XConnects in one registration: the second runs the whole rendezvous again (not
        // ERR_MATCH), which proves that the server put both back to IDLE after the first
        for (int n = 1; n <= 2; n++) {
            long start = stunt.net().nowNs();
            Failure f = assertFailure(stunt.net().awaitFailure("XConnect " + n + " alice -> bob",
                    alice.connect("bob", timeout), timeout.plusSeconds(5)));
            Duration took = Duration.ofNanos(stunt.net().nowNs() - start);
            assertEquals(ErrorStat.ERR_ASYMCLIENT, f.code(), "XConnect " + n + ": " + f);
            assertEquals(ErrorStat.ERR_ASYM_TIMEOUT, f.asymmetricCause(), "XConnect " + n + ": " + f);
            assertEquals(timeout, took, "XConnect " + n + " fails at its timeout");
            final int sessions = n;
            stunt.net().runUntil("session " + n + " to end", () -> stunt.sessions().size() == sessions,
                    StuntLab.SESSION_TIMEOUT);
            assertEquals(0, stunt.server().sessionsInFlight(), "the server keeps no state of the failed session");
            assertEquals(2, stunt.server().registeredCount(), "both stay registered");
            codes.add(f.code() + "(" + f.asymmetricCause() + ")");
        }
        // the listener stays usable: a public peer connects to it
        StuntClient carol = stunt.register(lab.pub(), "carol", RACE, Scenario.RACE_TIMEOUT);
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        bob.onIncoming(incoming::complete, incoming::completeExceptionally);
        Rendezvous r = stunt.net().await("XConnect carol -> bob", carol.connect("bob", Scenario.RACE_TIMEOUT),
                Scenario.RACE_TIMEOUT.plusSeconds(5));
        Rendezvous atBob = stunt.net().await("bob's incoming connection", incoming, Duration.ofSeconds(5));
        assertEquals(NatLab.NAT1_IP, r.peerAddress().getAddress().getHostAddress(), r.toString());
        assertEquals(NatLab.PUB_IP, atBob.peerAddress().getAddress().getHostAddress(), atBob.toString());
        assertTrue(StuntLab.echo(r.channel(), atBob.channel(), stunt.payload()).complete());
        REPORT.add(S5.name(), "race", lab.options(), "failed as expected: " + codes.get(0) + " after " + timeout.toSeconds()
                + " s, again " + codes.get(1) + " after " + timeout.toSeconds() + " s (timeout " + timeout.toSeconds()
                + " s); sessions in flight after: 0; listener then reached from pub", "-", "-", ms(t0));
    }

    @ParameterizedTest(name = "delay {0} ms")
    @ValueSource(ints = {0, 10})
    @DisplayName("8: 20 pairs at once through the same two NATs: every pair direct, each to its own peer")
    void scenario8TwentyPairsAtOnce(int delayMs) {
        long t0 = System.nanoTime();
        int pairs = 20;
        Duration timeout = Duration.ofSeconds(30);
        Duration delay = Duration.ofMillis(delayMs);
        NatLab lab = NatLab.builder().seed(SEED).nat(PRESERVE).inbound(DROP).delay(delay).build();
        StuntLab stunt = StuntLab.start(lab, SEED);
        List<CompletableFuture<StuntClient>> registering = new ArrayList<>();
        for (int i = 1; i <= pairs; i++) {
            registering.add(StuntClient.register(lab.h1().network(), StuntLab.clientConfig(RACE, timeout),
                    String.format(Locale.ROOT, "l%02d", i)));
            registering.add(StuntClient.register(lab.h2().network(), StuntLab.clientConfig(RACE, timeout),
                    String.format(Locale.ROOT, "c%02d", i)));
        }
        stunt.net().await("40 registrations at once", CompletableFuture.allOf(registering.toArray(
                CompletableFuture[]::new)), StuntLab.REGISTRATION);
        List<CompletableFuture<Rendezvous>> incoming = new ArrayList<>();
        List<CompletableFuture<Rendezvous>> connects = new ArrayList<>();
        long[] doneNs = new long[pairs];
        long startNs = stunt.net().nowNs();
        for (int i = 0; i < pairs; i++) {
            CompletableFuture<Rendezvous> in = new CompletableFuture<>();
            registering.get(2 * i).join().onIncoming(in::complete, in::completeExceptionally);
            incoming.add(in);
        }
        for (int i = 0; i < pairs; i++) {
            int k = i;
            CompletableFuture<Rendezvous> c = registering.get(2 * i + 1).join()
                    .connect(String.format(Locale.ROOT, "l%02d", i + 1), timeout);
            c.whenComplete((r, e) -> doneNs[k] = stunt.net().nowNs());
            connects.add(c);
        }
        stunt.net().await("20 XConnects at once", CompletableFuture.allOf(connects.toArray(CompletableFuture[]::new)),
                timeout.plusSeconds(5));
        stunt.net().await("20 incoming connections", CompletableFuture.allOf(incoming.toArray(
                CompletableFuture[]::new)), Duration.ofSeconds(5));
        List<Duration> handshakes = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            String l = String.format(Locale.ROOT, "l%02d", i + 1);
            String c = String.format(Locale.ROOT, "c%02d", i + 1);
            Rendezvous atC = connects.get(i).join();
            Rendezvous atL = incoming.get(i).join();
            assertEquals(l, atC.peerId(), "each connector to its own peer");
            assertEquals(c, atL.peerId(), "each listener from its own peer");
            assertEquals(NatLab.NAT1_IP, atC.peerAddress().getAddress().getHostAddress(), "direct: " + atC);
            assertEquals(NatLab.NAT2_IP, atL.peerAddress().getAddress().getHostAddress(), "direct: " + atL);
            String payload = c + "->" + l + ":" + stunt.payload();
            assertTrue(StuntLab.echo(atC.channel(), atL.channel(), payload).complete(), "each listener got its"
                    + " own connector's bytes: " + c);
            handshakes.add(Duration.ofNanos(doneNs[i] - startNs));
        }
        stunt.net().runUntil("20 sessions to end", () -> stunt.sessions().size() == pairs, StuntLab.SESSION_TIMEOUT);
        for (SessionSummary s : stunt.sessions()) {
            assertTrue(s.bytesFromInitiator() + s.bytesFromListener() < StuntLab.PAYLOAD, "only control bytes: " + s);
        }
        // in virtual time the server's CPU is free: concurrency costs no round trip, each
        // handshake is the protocol's 8 peer-server round trips (0 without delay)
        Duration eight = delay.multipliedBy(2 * 8);
        for (int i = 0; i < pairs; i++) {
            assertEquals(eight, handshakes.get(i), "pair " + (i + 1) + "'s handshake");
        }
        REPORT.add("8 20 pairs at once (h1 x20 / h2 x20)", "race", lab.options(), pairs + "/" + pairs
                + " direct, each to its own peer", "each " + eight.toMillis() + " ms", "-", ms(t0));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    @DisplayName("9: both NATs answer unsolicited SYNs with RST, 10 ms: 20 XConnects in one registration, all direct, the SYNs cross each time")
    void scenario9BothRstTwentyRuns(long seed) {
        long t0 = System.nanoTime();
        BothRstRuns r = bothRstRuns(S9.lab(seed), seed);
        assertEquals(List.of(), r.failures(), "20 of 20 direct");
        // without jitter the two SYNs leave at the grid origin together and cross between the
        // NATs: neither NAT ever sees a SYN before its own side's went out, so none is refused,
        // and each handshake is the protocol's 8 peer-server round trips
        assertEquals(0, r.refused(), "a NAT refused a SYN");
        Duration eight = S9.peerServerRtt().multipliedBy(8);
        assertEquals(Collections.nCopies(BothRstRuns.RUNS, eight), r.handshakes(), "8 peer-server round trips each");
        REPORT.add(S9.name() + " (seed " + seed + ")", "race", r.options(), r.direct() + "/" + BothRstRuns.RUNS
                + " direct, no SYN refused", "each " + eight.toMillis() + " ms (8.0 RTTs)", "-", ms(t0));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    @DisplayName("9 with 1 % loss: the retry grid after refused SYNs; natlab's bar, at least 18 of 20 direct")
    void scenario9WithLoss(long seed) {
        long t0 = System.nanoTime();
        BothRstRuns r = bothRstRuns(S9.options().apply(NatLab.builder().seed(seed).delay(S9.delay()).loss(1)).build(),
                seed);
        assertTrue(r.direct() >= BothRstRuns.RUNS - 2, r.direct() + "/" + BothRstRuns.RUNS + " direct: " + r.failures());
        for (String f : r.failures()) {
            // the known limit: a segment of a control connect or of the clock sync lost and resent
            // makes the initiator's round-trip sample an RTO too long, its grid late and sparse,
            // and two RST-answering NATs may then close each other's holes until the deadline
            assertTrue(f.startsWith(ErrorStat.ERR_ASYM_TIMEOUT.name()), f);
        }
        List<Duration> sorted = r.handshakes().stream().sorted().toList();
        REPORT.add(S9.name() + ", 1 % loss (seed " + seed + ")", "race", r.options(), r.direct() + "/" + BothRstRuns.RUNS
                + " direct, " + r.refused() + " SYNs refused" + (r.failures().isEmpty() ? "" : "; " + r.failures()),
                "median " + sorted.get(sorted.size() / 2).toMillis() + ", max " + sorted.get(sorted.size() - 1).toMillis()
                        + " ms", "-", ms(t0));
    }

    /**
     * natlab's scenario 9 on one lab: one registration each, {@link #RUNS} XConnects in turn
     * (the CLI's {@code connect --peer bob,bob,...}), every connection that comes up checked
     * direct, with its payload.
     *
     * @param handshakes the direct runs' XConnect durations, virtual
     * @param failures the other runs' "CODE: message"
     * @param refused SYNs the NATs refused (RST) during the runs
     */
    record BothRstRuns(String options, List<Duration> handshakes, List<String> failures, long refused) {
        static final int RUNS = 20;

        int direct() {
            return handshakes.size();
        }
    }

    private static BothRstRuns bothRstRuns(NatLab lab, long seed) {
        Duration timeout = S9.raceTimeout();
        StuntLab stunt = StuntLab.start(lab, seed);
        StuntClient bob = stunt.register(lab.h1(), "bob", RACE, timeout);
        StuntClient alice = stunt.register(lab.h2(), "alice", RACE, timeout);
        long refusedBefore = lab.nat1().inboundTcp() + lab.nat2().inboundTcp();
        List<Duration> handshakes = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (int run = 1; run <= BothRstRuns.RUNS; run++) {
            CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
            bob.onIncoming(incoming::complete, incoming::completeExceptionally);
            long start = stunt.net().nowNs();
            CompletableFuture<Rendezvous> call = alice.connect("bob", timeout);
            stunt.net().runUntil("XConnect " + run + " alice -> bob (" + lab.options() + ")", call::isDone,
                    timeout.plusSeconds(5));
            Duration took = Duration.ofNanos(stunt.net().nowNs() - start);
            if (call.isCompletedExceptionally()) {
                Failure f = assertFailure(stunt.net().awaitFailure("XConnect " + run, call, Duration.ZERO));
                failures.add(f.asymmetricCause() + ": " + f.reason());
            } else {
                Rendezvous r = call.join();
                Rendezvous atBob = stunt.net().await("bob's connection " + run, incoming, Duration.ofSeconds(5));
                assertEquals(NatLab.NAT1_IP, r.peerAddress().getAddress().getHostAddress(), "direct: " + r);
                assertEquals(NatLab.NAT2_IP, atBob.peerAddress().getAddress().getHostAddress(), "direct: " + atBob);
                assertTrue(StuntLab.echo(r.channel(), atBob.channel(), stunt.payload()).complete(), "run " + run);
                r.closeQuietly();
                atBob.closeQuietly();
                handshakes.add(took);
            }
            final int sessions = run;
            stunt.net().runUntil("session " + run + " to end", () -> stunt.sessions().size() == sessions,
                    StuntLab.SESSION_TIMEOUT);
            SessionSummary session = stunt.sessions().get(run - 1);
            assertTrue(session.bytesFromInitiator() + session.bytesFromListener() < StuntLab.PAYLOAD, session.toString());
        }
        return new BothRstRuns(lab.options(), handshakes, failures,
                lab.nat1().inboundTcp() + lab.nat2().inboundTcp() - refusedBefore);
    }

    // ------------------------------------------------------------------ small things

    static Failure assertFailure(Throwable t) {
        if (t instanceof Failure f) {
            return f;
        }
        throw new AssertionError("not an engine failure: " + t, t);
    }

    private static void report(Row row, List<Attempt> attempts, double realMs) {
        Scenario s = row.scenario();
        long direct = attempts.stream().filter(Attempt::connected).count();
        List<String> outcomes = attempts.stream().map(Attempt::outcome).distinct().toList();
        String outcome = direct + "/" + attempts.size() + " direct" + (direct == attempts.size() ? "" : "; "
                + String.join("; ", outcomes.stream().filter(o -> o.startsWith("failed")).toList()));
        Attempt first = attempts.get(0);
        String handshake = attempts.stream().map(a -> a.handshake().toMillis() + (s.delay().isZero() ? ""
                : String.format(Locale.ROOT, " (%.1f)", a.roundTrips(s.peerServerRtt())))).distinct()
                .reduce((x, y) -> x + ", " + y).orElse("-") + " ms";
        String phases = first.connector().connection() == null ? "-" : first.connector().connection().phases()
                .entrySet().stream().map(e -> e.getKey() + " " + e.getValue().toMillis()).reduce((x, y) -> x + ", " + y)
                .orElse("-");
        REPORT.add(s.name() + (row.scenario().listener() == Site.H1 && s.connector() == Site.H2 ? "" : " ("
                + s.listener() + " listens, " + s.connector() + " connects)"), row.strategy().name().toLowerCase(Locale.ROOT),
                first.options(), outcome, handshake, phases, realMs);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    @AfterAll
    static void writeReport() {
        REPORT.write();
    }
}
