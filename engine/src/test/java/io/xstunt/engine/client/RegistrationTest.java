package io.xstunt.engine.client;

import static io.xstunt.engine.client.Registration.FIRST;
import static io.xstunt.engine.client.Registration.IDLE_ROUND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.Registration.Action;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Registration driven by hand: no sockets, a fake clock. */
class RegistrationTest {
    static final int PUBLIC = Ipv4.toInt(Ipv4.parse("198.51.100.4"));
    static final int LOCAL = Ipv4.toInt(Ipv4.parse("192.168.1.20"));
    /** The log connection's local address: LOCAL is what LogState carries. */
    static final InetSocketAddress LOCAL_END = new InetSocketAddress(Ipv4.toAddress(LOCAL), 40100);
    static final ServerInfo INFO = new ServerInfo("alice", Ipv4.toInt(Ipv4.parse("203.0.113.1")),
            Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125);
    static final Duration TIMEOUT = Duration.ofSeconds(7);
    static final long START = 1_000_000_000L;

    Registration r;
    ByHand<Action> hand;

    static ByteBuffer hello(int build, int serverVersion, int ip) {
        ByteBuffer b = ByteBuffer.allocate(LogHello.SIZE);
        new LogHello(build, serverVersion, ip).write(b);
        return b.flip();
    }

    static ByteBuffer info(ServerInfo i) {
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.serverInfoSize());
        i.write(b, WireVariant.ID32);
        return b.flip();
    }

    static byte[] idField(String id) {
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.idFieldSize());
        ClientId.write(b, id, WireVariant.ID32);
        return b.array();
    }

    static byte[] logState(int state, int ip) {
        ByteBuffer b = ByteBuffer.allocate(LogState.SIZE);
        new LogState(state, ip).write(b);
        return b.array();
    }

    static Fingerprint fingerprint(int serverVersion, int publicIp, String id, boolean done) {
        return new Fingerprint(Protocol.BUILD_VERSION, serverVersion, id, done, publicIp, 0, true);
    }

    /** Starts {@code registration}: it asks for the first log connection, which comes up. */
    static ByHand<Action> connected(Registration registration) {
        ByHand<Action> h = new ByHand<>(registration, START);
        assertEquals(new Action.ConnectLog(FIRST), h.feed(registration::start).only(Action.ConnectLog.class));
        assertEquals(START + TIMEOUT.toNanos(), h.deadline().orElseThrow(), "the connect is bounded too");
        assertTrue(h.connected(FIRST, LOCAL_END).quiet(), "the server speaks first");
        return h;
    }

    void start(Fingerprint cached) {
        r = new Registration("alice", cached, TIMEOUT);
        hand = connected(r);
    }

    /** @return the failure the input ended in: every log connection closes at once, then the outcome */
    static Failure failure(Outputs<Action> o) {
        assertEquals(Closing.NOW, o.closing(FIRST), o.toString());
        assertEquals(Closing.NOW, o.closing(IDLE_ROUND), o.toString());
        return o.last(Action.Failed.class).error();
    }

    @Test
    void cachedFingerprintRegistersIdleAtOnce() {
        Fingerprint cached = fingerprint(1, PUBLIC, "alice", true);
        start(cached);
        ByteBuffer h = hello(Protocol.BUILD_VERSION, 1, PUBLIC);
        ByteBuffer half = h.slice(0, 6);
        assertTrue(hand.bytes(FIRST, half).quiet());
        assertEquals(0, half.position(), "a partial greeting is left in the buffer");
        Outputs<Action> o = hand.bytes(FIRST, h);
        assertArrayEquals(idField("alice"), o.sentBytes(FIRST));
        assertTrue(o.actions().isEmpty());
        assertEquals(Registration.State.AWAIT_SERVER_INFO, r.state());
        hand.advance(5);
        o = hand.bytes(FIRST, info(INFO));
        assertArrayEquals(logState(Protocol.CSTATE_IDLE, LOCAL), o.sentBytes(FIRST));
        Registration.Outcome outcome = o.only(Action.Registered.class).outcome();
        assertTrue(outcome.cached());
        assertNull(outcome.probeRun(), "no probe ran");
        assertEquals(cached, outcome.fingerprint());
        assertEquals(PUBLIC, outcome.publicIp());
        assertEquals(LOCAL, outcome.localIp());
        assertEquals(INFO, outcome.serverInfo());
        assertEquals(Registration.State.REGISTERED, r.state());
        assertEquals(FIRST, r.connection());
        assertEquals(Closing.OPEN, o.closing(FIRST), "the registered log connection stays open for its owner");
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void staleCachedFingerprintsAreProbedAgain() {
        Fingerprint[] stale = {
            fingerprint(2, PUBLIC, "alice", true), // server version changed
            fingerprint(1, PUBLIC + 1, "alice", true), // public IP changed
            fingerprint(1, PUBLIC, "bob", true), // another ID
            fingerprint(1, PUBLIC, "alice", false), // not done
            new Fingerprint(9, 1, "alice", true, PUBLIC, 0, true), // another client build
        };
        for (Fingerprint f : stale) {
            start(f);
            hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
            Outputs<Action> o = hand.bytes(FIRST, info(INFO));
            assertArrayEquals(logState(Protocol.CSTATE_PROBE, LOCAL), o.sentBytes(FIRST), f.toString());
            assertEquals(new Action.StartProbe(INFO), o.only(Action.StartProbe.class));
        }
    }

    @Test
    void probeThenRegisterAgainAsIdleOnTheSecondConnection() {
        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 3, PUBLIC));
        Outputs<Action> o = hand.bytes(FIRST, info(INFO));
        assertArrayEquals(logState(Protocol.CSTATE_PROBE, LOCAL), o.sentBytes(FIRST));
        assertEquals(new Action.StartProbe(INFO), o.only(Action.StartProbe.class));
        assertEquals(Registration.State.PROBING, r.state());
        assertTrue(hand.deadline().isEmpty(), "the probe bounds itself");

        hand.advance(200_000_000L);
        // the echoes disagreed and most saw another IP: the fingerprint keeps the server's view (XProbe)
        NatAnalysis.Nature nature = new NatAnalysis.Nature(PUBLIC + 1, 2, false, false);
        NatAnalysis.ProbeRun run = new NatAnalysis.ProbeRun(40000, List.of(new NatAnalysis.Observation(PUBLIC + 1, 1000),
                new NatAnalysis.Observation(PUBLIC + 1, 1002), new NatAnalysis.Observation(PUBLIC, 1004),
                new NatAnalysis.Observation(PUBLIC + 1, 1006)));
        o = hand.feed(n -> r.handleProbeDone(run, nature, List.of("probe 1.0 saw x"), 1_700_000_000_123L, n));
        List<byte[]> lines = o.sent(FIRST);
        assertEquals(2, lines.size(), o.toString());
        assertEquals("1700000000.123:EchoProbe:1:probe 1.0 saw x\n", new String(lines.get(0), StandardCharsets.UTF_8));
        String line2 = new String(lines.get(1), StandardCharsets.UTF_8);
        assertTrue(line2.matches("1700000000\\.123:EchoProbe:2:.*TCP NOT-PORT-PRESERVING DELTA-2-SYMMETRIC\n"), line2);
        assertEquals(Closing.AFTER_FLUSH, o.closing(FIRST), "the PROBE connection closes after its log lines");
        assertEquals(2, o.actions().size(), o.toString());
        Fingerprint stored = assertInstanceOf(Action.StoreFingerprint.class, o.actions().get(0)).fingerprint();
        assertEquals(new Fingerprint(Protocol.BUILD_VERSION, 3, "alice", true, PUBLIC, 2, false), stored);
        assertEquals(new Action.ConnectLog(IDLE_ROUND), o.actions().get(1));
        assertEquals(IDLE_ROUND, r.connection());
        assertEquals(Registration.State.CONNECTING, r.state());
        assertEquals(hand.now() + TIMEOUT.toNanos(), hand.deadline().orElseThrow());

        assertTrue(hand.closed(FIRST, null).quiet(), "the PROBE connection's own close is expected");
        assertTrue(hand.connected(IDLE_ROUND, LOCAL_END).quiet());
        assertArrayEquals(idField("alice"), hand.bytes(IDLE_ROUND, hello(Protocol.BUILD_VERSION, 3, PUBLIC))
                .sentBytes(IDLE_ROUND));
        o = hand.bytes(IDLE_ROUND, info(INFO));
        assertArrayEquals(logState(Protocol.CSTATE_IDLE, LOCAL), o.sentBytes(IDLE_ROUND));
        assertEquals(0, o.sent(FIRST).size());
        Registration.Outcome outcome = o.only(Action.Registered.class).outcome();
        assertFalse(outcome.cached());
        assertEquals(stored, outcome.fingerprint());
        assertEquals(run, outcome.probeRun());
        assertEquals(Duration.ofMillis(200), outcome.phases().get("probe"));
        assertEquals(Closing.OPEN, o.closing(IDLE_ROUND));
    }

    @Test
    void versionMismatchIsErrVersion() {
        start(null);
        assertEquals(ErrorStat.ERR_VERSION,
                failure(hand.bytes(FIRST, hello(Protocol.BUILD_VERSION + 1, 1, PUBLIC))).code());
        assertEquals(Registration.State.FAILED, r.state());
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void emptyIdInServerInfoIsDuplicateAndAnotherIdIsErrReceive() {
        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID,
                failure(hand.bytes(FIRST, info(new ServerInfo("", INFO.ip1(), INFO.ip2(), 8124, 8125)))).code());

        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        assertEquals(ErrorStat.ERR_RECEIVE,
                failure(hand.bytes(FIRST, info(new ServerInfo("bob", INFO.ip1(), INFO.ip2(), 8124, 8125)))).code());
    }

    @Test
    void malformedServerInfoIsErrReceive() {
        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        ByteBuffer garbage = ByteBuffer.allocate(WireVariant.ID32.serverInfoSize());
        for (int i = 0; i < WireVariant.ID32.serverInfoSize(); i++) {
            garbage.put(i, (byte) 'x'); // no NUL in the ID field
        }
        assertEquals(ErrorStat.ERR_RECEIVE, failure(hand.bytes(FIRST, garbage)).code());
    }

    @Test
    void everyWaitForTheServerTimesOut() {
        // no greeting
        start(null);
        assertEquals(START + TIMEOUT.toNanos(), hand.deadline().orElseThrow());
        assertTrue(hand.justBeforeDeadline().quiet(), "not before the deadline");
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(hand.atDeadline()).code());

        // no ServerInfo
        start(null);
        hand.advance(1000);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        assertEquals(START + 1000 + TIMEOUT.toNanos(), hand.deadline().orElseThrow(), "each wait is bounded anew");
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(hand.atDeadline()).code());

        // the connect never completes
        r = new Registration("alice", null, TIMEOUT);
        hand = new ByHand<>(r, START);
        hand.feed(r::start);
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(hand.atDeadline()).code());
    }

    @Test
    void connectFailureCloseAndProbeFailureAreReported() {
        r = new Registration("alice", null, TIMEOUT);
        hand = new ByHand<>(r, START);
        hand.feed(r::start);
        assertEquals(ErrorStat.ERR_CONNECT, failure(hand.connectFailed(FIRST, "refused")).code());

        r = new Registration("alice", null, TIMEOUT);
        hand = new ByHand<>(r, START);
        hand.feed(r::start);
        assertEquals(ErrorStat.ERR_CONNECT, failure(hand.closed(FIRST, "Connection refused")).code(),
                "a connect that fails is reported as a close before the connection was up");

        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        assertEquals(ErrorStat.ERR_RECEIVE, failure(hand.closed(FIRST, null)).code());

        start(null);
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        hand.bytes(FIRST, info(INFO));
        Failure probe = new Failure(ErrorStat.ERR_PROBE, 0, "no echo");
        assertSame(probe, failure(hand.feed(n -> r.handleProbeFailed(probe))));
        assertTrue(hand.closed(FIRST, null).quiet(), "one outcome only");
    }

    @Test
    void abortEndsItOnceAndNotAfterTheOutcome() {
        start(null);
        Failure closing = new Failure(ErrorStat.ERR_FAIL, 0, "registration aborted");
        assertSame(closing, failure(hand.feed(n -> r.abort(closing))));
        assertTrue(hand.feed(n -> r.abort(closing)).quiet());

        start(fingerprint(1, PUBLIC, "alice", true));
        hand.bytes(FIRST, hello(Protocol.BUILD_VERSION, 1, PUBLIC));
        hand.bytes(FIRST, info(INFO));
        assertEquals(Registration.State.REGISTERED, r.state());
        assertTrue(hand.feed(n -> r.abort(closing)).quiet(), "a registered client's connection is its owner's");
    }
}
