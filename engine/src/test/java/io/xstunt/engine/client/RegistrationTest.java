package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.Registration.Action;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Registration driven without sockets, on a fake clock. */
class RegistrationTest {
    static final int PUBLIC = Ipv4.toInt(Ipv4.parse("198.51.100.4"));
    static final int LOCAL = Ipv4.toInt(Ipv4.parse("192.168.1.20"));
    static final ServerInfo INFO = new ServerInfo("alice", Ipv4.toInt(Ipv4.parse("203.0.113.1")),
            Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125);
    static final Duration TIMEOUT = Duration.ofSeconds(7);

    long now = 1_000_000_000L;

    static ByteBuffer hello(int build, int serverVersion, int ip) {
        ByteBuffer b = ByteBuffer.allocate(LogHello.SIZE);
        new LogHello(build, serverVersion, ip).write(b);
        return b.flip();
    }

    static ByteBuffer info(ServerInfo i) {
        ByteBuffer b = ByteBuffer.allocate(ServerInfo.SIZE);
        i.write(b);
        return b.flip();
    }

    static byte[] idField(String id) {
        ByteBuffer b = ByteBuffer.allocate(Protocol.ID_FIELD_LEN);
        ClientId.write(b, id);
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

    Registration started(Fingerprint cached) {
        Registration r = new Registration("alice", cached, TIMEOUT);
        r.start(now);
        assertEquals(List.of(new Action.ConnectLog()), r.drainActions());
        r.onConnected(LOCAL, now);
        assertTrue(r.drainActions().isEmpty());
        return r;
    }

    static Failure failure(List<Action> actions) {
        assertInstanceOf(Action.CloseLog.class, actions.get(actions.size() - 2));
        return assertInstanceOf(Action.Failed.class, actions.get(actions.size() - 1)).error();
    }

    @Test
    void cachedFingerprintRegistersIdleAtOnce() {
        Fingerprint cached = fingerprint(1, PUBLIC, "alice", true);
        Registration r = started(cached);
        ByteBuffer h = hello(Protocol.BUILD_VERSION, 1, PUBLIC);
        ByteBuffer half = h.slice(0, 6);
        r.onBytes(half, now);
        assertEquals(0, half.position(), "a partial greeting is left in the buffer");
        r.onBytes(h, now);
        assertArrayEquals(idField("alice"), assertInstanceOf(Action.Send.class, r.drainActions().get(0)).bytes());
        assertEquals(Registration.State.AWAIT_SERVER_INFO, r.state());
        r.onBytes(info(INFO), now + 5);
        List<Action> a = r.drainActions();
        assertArrayEquals(logState(Protocol.CSTATE_IDLE, LOCAL), assertInstanceOf(Action.Send.class, a.get(0)).bytes());
        Registration.Outcome o = assertInstanceOf(Action.Registered.class, a.get(1)).outcome();
        assertTrue(o.cached());
        assertEquals(cached, o.fingerprint());
        assertEquals(PUBLIC, o.publicIp());
        assertEquals(INFO, o.serverInfo());
        assertEquals(Registration.State.REGISTERED, r.state());
        assertTrue(r.deadlineNs().isEmpty());
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
            Registration r = started(f);
            r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
            r.onBytes(info(INFO), now);
            List<Action> a = r.drainActions();
            assertArrayEquals(logState(Protocol.CSTATE_PROBE, LOCAL), assertInstanceOf(Action.Send.class, a.get(1)).bytes(),
                    f.toString());
            assertEquals(new Action.StartProbe(INFO), a.get(2));
        }
    }

    @Test
    void probeThenRegisterAgainAsIdle() {
        Registration r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION, 3, PUBLIC), now);
        r.onBytes(info(INFO), now);
        List<Action> a = r.drainActions();
        assertArrayEquals(logState(Protocol.CSTATE_PROBE, LOCAL), assertInstanceOf(Action.Send.class, a.get(1)).bytes());
        assertEquals(new Action.StartProbe(INFO), a.get(2));
        assertEquals(Registration.State.PROBING, r.state());
        assertTrue(r.deadlineNs().isEmpty(), "the probe bounds itself");

        now += 200_000_000L;
        NatAnalysis.Nature nature = new NatAnalysis.Nature(PUBLIC, 2, false);
        r.onProbeDone(nature, List.of("probe 1.0 saw x"), 1_700_000_000_123L, now);
        a = r.drainActions();
        String line1 = new String(assertInstanceOf(Action.Send.class, a.get(0)).bytes(), StandardCharsets.UTF_8);
        assertEquals("1700000000.123:EchoProbe:1:probe 1.0 saw x\n", line1);
        String line2 = new String(assertInstanceOf(Action.Send.class, a.get(1)).bytes(), StandardCharsets.UTF_8);
        assertTrue(line2.matches("1700000000\\.123:EchoProbe:2:.*TCP NOT-PORT-PRESERVING DELTA-2-SYMMETRIC\n"), line2);
        Fingerprint stored = assertInstanceOf(Action.StoreFingerprint.class, a.get(2)).fingerprint();
        assertEquals(new Fingerprint(Protocol.BUILD_VERSION, 3, "alice", true, PUBLIC, 2, false), stored);
        assertEquals(List.of(new Action.CloseLog(), new Action.ConnectLog()), a.subList(3, 5));

        r.onConnected(LOCAL, now);
        r.onBytes(hello(Protocol.BUILD_VERSION, 3, PUBLIC), now);
        assertArrayEquals(idField("alice"), assertInstanceOf(Action.Send.class, r.drainActions().get(0)).bytes());
        r.onBytes(info(INFO), now);
        a = r.drainActions();
        assertArrayEquals(logState(Protocol.CSTATE_IDLE, LOCAL), assertInstanceOf(Action.Send.class, a.get(0)).bytes());
        Registration.Outcome o = assertInstanceOf(Action.Registered.class, a.get(1)).outcome();
        assertFalse(o.cached());
        assertEquals(stored, o.fingerprint());
        assertEquals(Duration.ofMillis(200), o.phases().get("probe"));
    }

    @Test
    void versionMismatchIsErrVersion() {
        Registration r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION + 1, 1, PUBLIC), now);
        assertEquals(ErrorStat.ERR_VERSION, failure(r.drainActions()).code());
        assertEquals(Registration.State.FAILED, r.state());
        assertTrue(r.deadlineNs().isEmpty());
    }

    @Test
    void emptyIdInServerInfoIsDuplicate() {
        Registration r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
        r.drainActions();
        r.onBytes(info(new ServerInfo("", INFO.ip1(), INFO.ip2(), 8124, 8125)), now);
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, failure(r.drainActions()).code());
    }

    @Test
    void malformedServerInfoIsErrReceive() {
        Registration r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
        r.drainActions();
        ByteBuffer garbage = ByteBuffer.allocate(ServerInfo.SIZE);
        for (int i = 0; i < ServerInfo.SIZE; i++) {
            garbage.put(i, (byte) 'x'); // no NUL in the ID field
        }
        r.onBytes(garbage, now);
        assertEquals(ErrorStat.ERR_RECEIVE, failure(r.drainActions()).code());
    }

    @Test
    void everyWaitForTheServerTimesOut() {
        // no greeting
        Registration r = started(null);
        long deadline = r.deadlineNs().orElseThrow();
        assertEquals(now + TIMEOUT.toNanos(), deadline);
        r.onTimeout(deadline - 1);
        assertTrue(r.drainActions().isEmpty(), "not before the deadline");
        r.onTimeout(deadline);
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(r.drainActions()).code());

        // no ServerInfo
        r = started(null);
        now += 1000;
        r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
        r.drainActions();
        r.onTimeout(r.deadlineNs().orElseThrow());
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(r.drainActions()).code());

        // connect never completes
        r = new Registration("alice", null, TIMEOUT);
        r.start(now);
        r.drainActions();
        r.onTimeout(now + TIMEOUT.toNanos());
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(r.drainActions()).code());
    }

    @Test
    void connectFailureCloseAndProbeFailureAreReported() {
        Registration r = new Registration("alice", null, TIMEOUT);
        r.start(now);
        r.drainActions();
        r.onConnectFailed("refused");
        assertEquals(ErrorStat.ERR_CONNECT, failure(r.drainActions()).code());

        r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
        r.drainActions();
        r.onClosed(null);
        assertEquals(ErrorStat.ERR_RECEIVE, failure(r.drainActions()).code());

        r = started(null);
        r.onBytes(hello(Protocol.BUILD_VERSION, 1, PUBLIC), now);
        r.onBytes(info(INFO), now);
        r.drainActions();
        Failure probe = new Failure(ErrorStat.ERR_PROBE, 0, "no echo");
        r.onProbeFailed(probe);
        assertEquals(probe, failure(r.drainActions()));
    }
}
