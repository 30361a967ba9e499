package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The log procedure's xstunt extensions on a fake clock: tokens, keepalive, idle timeout, proof. */
class LogSessionExtensionTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final long SEC = 1_000_000_000L;
    private static final byte[] SECRET = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long TOKEN = 0x1122334455667788L;

    private final Registry registry = new Registry();
    private long now = 50 * SEC;

    private static ServerConfig config(ServerConfig.Builder b) {
        return b.handshakeTimeout(Duration.ofSeconds(2)).idleTimeout(Duration.ofSeconds(30)).build();
    }

    private static ServerConfig.Builder base() {
        return ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"));
    }

    private LogSession open(ServerConfig config) {
        LogSession s = new LogSession(registry, config, new ServerInfo("", 1, 2, 5001, 5002), CLIENT_IP,
                (id, line) -> { }, () -> TOKEN);
        s.onOpen(now);
        sent(s);
        return s;
    }

    private static byte[] sent(LogSession s) {
        return LogSessionTest.sent(s);
    }

    private static ByteBuffer idField(String id, boolean ask) {
        ByteBuffer b = ByteBuffer.allocate(Protocol.ID_FIELD_LEN);
        ClientId.write(b, id);
        if (ask) {
            b.put(Protocol.EXT_REQUEST_OFFSET, Protocol.EXT_REQUEST);
        }
        return b.flip();
    }

    private static ByteBuffer state(byte[] proof) {
        ByteBuffer b = ByteBuffer.allocate(LogState.SIZE + (proof == null ? 0 : proof.length));
        new LogState(Protocol.CSTATE_IDLE, 0x0A000001).write(b);
        if (proof != null) {
            b.put(proof);
        }
        return b.flip();
    }

    @Test
    void anExtendedClientGetsATokenAndAKeepaliveAndIsFreedWhenSilent() {
        LogSession s = open(config(base()));
        s.onBytes(idField("alice", true), now);
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(sent(s)));
        assertEquals(new ServerInfo("alice", 1, 2, 5001, 5002, Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK,
                10, TOKEN), info);
        s.onBytes(state(null), now);
        assertEquals(LogSession.State.IDLE, s.state());
        assertArrayEquals(new byte[Echo.SIZE], sent(s), "the registration's acknowledgement");
        long start = now;
        assertEquals(start + 10 * SEC, s.output().deadlineNs(), "the server's own keepalive comes first");
        s.onTimeout(start + 10 * SEC);
        assertArrayEquals(new byte[Echo.SIZE], sent(s), "an all-zero record");
        assertEquals(start + 20 * SEC, s.output().deadlineNs());
        now = start + 15 * SEC;
        s.onBytes(ByteBuffer.wrap(new byte[] {'\n'}), now); // the client's keepalive
        s.onTimeout(start + 20 * SEC);
        sent(s);
        s.onTimeout(start + 30 * SEC);
        sent(s);
        s.onTimeout(start + 40 * SEC);
        assertEquals(Echo.SIZE, sent(s).length, "records every 10 s");
        assertEquals(ProcedureOutput.Closing.OPEN, s.output().closing(), "alive: 30 s since its last byte not yet");
        assertEquals(now + 30 * SEC, s.output().deadlineNs(), "the idle expiry comes before the next record");
        s.onTimeout(now + 30 * SEC);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.IDLE_TIMEOUT, s.output().pollRejection());
        s.onClosed(now + 30 * SEC);
        assertEquals(-1, registry.query("alice"), "the ID is freed");
    }

    @Test
    void anOriginalClientGetsTheOriginalBytesAndNoIdleDeadlineByDefault() {
        LogSession s = open(config(base()));
        s.onBytes(idField("bob", false), now);
        assertEquals(new ServerInfo("bob", 1, 2, 5001, 5002), ServerInfo.read(ByteBuffer.wrap(sent(s))));
        s.onBytes(state(null), now);
        assertFalse(s.output().hasDeadline());
        assertEquals(0, s.token());
        assertEquals(0, sent(s).length, "no acknowledgement: an original client reads nothing after ServerInfo");
    }

    @Test
    void theAcknowledgementIsWrittenOnlyOnceIdleIsAppliedAndOnlyToAnExtendedClient() {
        LogSession s = open(config(base()));
        s.onBytes(idField("alice", true), now);
        sent(s);
        ByteBuffer st = state(null);
        st.limit(LogState.SIZE - 1);
        s.onBytes(st, now);
        assertEquals(0, sent(s).length, "nothing before the whole LogState");
        assertEquals(Protocol.CSTATE_PROBE, registry.query("alice"), "registered, state not yet reported");
        st.limit(LogState.SIZE);
        s.onBytes(st, now);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("alice"), "IDLE applied when the record is queued");
        assertArrayEquals(new byte[Echo.SIZE], sent(s));

        LogSession probe = open(config(base()));
        probe.onBytes(idField("carol", true), now);
        sent(probe);
        ByteBuffer ps = ByteBuffer.allocate(LogState.SIZE);
        new LogState(Protocol.CSTATE_PROBE, 0x0A000001).write(ps);
        probe.onBytes(ps.flip(), now);
        assertEquals(0, sent(probe).length, "a PROBE registration is not acknowledged");

        LogSession original = open(config(base()));
        original.onBytes(idField("bob", false), now);
        sent(original);
        original.onBytes(state(null), now);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("bob"));
        assertEquals(0, sent(original).length, "an original client gets no record");
    }

    @Test
    void aThirtyTwoByteIdCannotAskAndIsServedTheOriginalWay() {
        LogSession s = open(config(base()));
        s.onBytes(idField("x".repeat(32), false), now);
        assertEquals(0, ServerInfo.read(ByteBuffer.wrap(sent(s))).extFlags());
    }

    @Test
    void withASecretTheIdIsClaimedOnlyAfterTheRightProof() {
        ServerConfig cfg = config(base().sharedSecret(SECRET));
        LogSession s = open(cfg);
        s.onBytes(idField("alice", true), now);
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(sent(s)));
        assertTrue(info.proofRequired() && info.hasToken());
        assertEquals(-1, registry.query("alice"), "not held before the proof");
        ByteBuffer in = state(RegistrationProof.compute(SECRET, TOKEN, "alice"));
        in.limit(in.limit() - 1);
        s.onBytes(in, now);
        assertEquals(LogSession.State.AWAIT_STATE, s.state(), "waits for the whole proof");
        in.limit(in.capacity());
        s.onBytes(in, now);
        assertEquals(LogSession.State.IDLE, s.state());
        assertEquals(Protocol.CSTATE_IDLE, registry.query("alice"));

        LogSession bad = open(cfg);
        bad.onBytes(idField("bob", true), now);
        sent(bad);
        byte[] proof = RegistrationProof.compute(SECRET, TOKEN, "bob");
        proof[0] ^= 1;
        bad.onBytes(state(proof), now);
        assertEquals(ProcedureOutput.Closing.NOW, bad.output().closing());
        assertEquals(Rejection.AUTH_FAILED, bad.output().pollRejection());
        assertEquals(-1, registry.query("bob"));

        LogSession orig = open(cfg);
        orig.onBytes(idField("carol", false), now);
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(sent(orig))).id(), "refused like a taken ID");
        assertEquals(Rejection.AUTH_FAILED, orig.output().pollRejection());
    }

    @Test
    void announcementsStopAtTheUnwrittenLimit() {
        LogSession s = open(config(base().maxPendingAnnouncements(2)));
        s.onBytes(idField("alice", false), now);
        s.onBytes(state(null), now);
        sent(s);
        Echo e = new Echo(1, 4000, 1, "bob", 3, Protocol.ROLE_LISTENER);
        assertTrue(s.canAnnounce());
        s.announce(e);
        assertTrue(s.canAnnounce(), "one unwritten");
        s.announce(e);
        assertFalse(s.canAnnounce(), "two unwritten: the limit");
        sent(s); // written to the socket (no connection here: nothing pending there)
        assertTrue(s.canAnnounce());
    }
}
