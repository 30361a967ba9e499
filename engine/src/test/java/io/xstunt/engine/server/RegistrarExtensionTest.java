package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The log procedure's xstunt extensions on a fake clock: tokens, keepalive, idle timeout, proof;
 * with the registry's answers at once and later.
 */
class RegistrarExtensionTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final int LOCAL_IP = 0x0A000001;
    private static final long SEC = 1_000_000_000L;
    private static final byte[] SECRET = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long TOKEN = 0x1122334455667788L;

    private static ServerConfig config(ServerConfig.Builder b) {
        return b.handshakeTimeout(Duration.ofSeconds(2)).idleTimeout(Duration.ofSeconds(30)).build();
    }

    private static ServerConfig.Builder base() {
        return ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"));
    }

    private static Registrations registrations(ServerConfig config, Answers answers) {
        return new Registrations(config, answers, 50 * SEC).template(new ServerInfo("", 1, 2, 5001, 5002))
                .tokens(() -> TOKEN);
    }

    private static ByteBuffer idle() {
        return state(Protocol.CSTATE_IDLE, LOCAL_IP);
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void anExtendedClientGetsATokenAndAKeepaliveAndIsFreedWhenSilent(Answers answers) {
        Registrations regs = registrations(config(base()), answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("alice", true));
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(s)), WireVariant.ID32);
        assertEquals(new ServerInfo("alice", 1, 2, 5001, 5002,
                Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK | Protocol.EXT_FLAG_FAST, 10, TOKEN), info);
        assertEquals(TOKEN, s.token());
        regs.feed(s, idle());
        assertEquals(Registrar.State.IDLE, s.state());
        assertArrayEquals(new byte[WireVariant.ID32.echoSize()], regs.sent(s), "the registration's acknowledgement");
        long start = regs.now;
        assertEquals(start + 10 * SEC, s.deadlineNs(), "the server's own keepalive comes first");
        regs.timeout(s, start + 10 * SEC);
        assertArrayEquals(new byte[WireVariant.ID32.echoSize()], regs.sent(s), "an all-zero record");
        assertEquals(start + 20 * SEC, s.deadlineNs());
        regs.now = start + 15 * SEC;
        regs.feed(s, new byte[] {'\n'}); // the client's keepalive
        long alive = regs.now;
        regs.timeout(s, start + 20 * SEC);
        regs.sent(s);
        regs.timeout(s, start + 30 * SEC);
        regs.sent(s);
        regs.timeout(s, start + 40 * SEC);
        assertEquals(WireVariant.ID32.echoSize(), regs.sent(s).length, "records every 10 s");
        assertEquals(Closing.OPEN, s.outbound(0).closing(), "alive: 30 s since its last byte not yet");
        assertEquals(alive + 30 * SEC, s.deadlineNs(), "the idle expiry comes before the next record");
        regs.timeout(s, alive + 30 * SEC);
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertEquals(List.of(Rejection.IDLE_TIMEOUT), regs.refusals(s));
        regs.close(s);
        assertEquals(-1, regs.query("alice"), "the ID is freed");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void anOriginalClientGetsTheOriginalBytesAndNoIdleDeadlineByDefault(Answers answers) {
        Registrations regs = registrations(config(base()), answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("bob", false));
        assertEquals(new ServerInfo("bob", 1, 2, 5001, 5002), ServerInfo.read(ByteBuffer.wrap(regs.sent(s)),
                WireVariant.ID32));
        regs.feed(s, idle());
        assertEquals(Registrar.State.IDLE, s.state());
        assertFalse(s.hasDeadline());
        assertEquals(0, s.token());
        assertEquals(0, regs.sent(s).length, "no acknowledgement: an original client reads nothing after ServerInfo");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void theAcknowledgementIsWrittenOnlyOnceIdleIsAppliedAndOnlyToAnExtendedClient(Answers answers) {
        Registrations regs = registrations(config(base()), answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("alice", true));
        regs.sent(s);
        ByteBuffer st = idle();
        st.limit(LogState.SIZE - 1);
        regs.feed(s, st);
        assertEquals(0, regs.sent(s).length, "nothing before the whole LogState");
        assertEquals(Protocol.CSTATE_PROBE, regs.query("alice"), "registered, state not yet reported");
        st.limit(LogState.SIZE);
        regs.feed(s, st);
        assertEquals(Protocol.CSTATE_IDLE, regs.query("alice"), "IDLE applied when the record is queued");
        assertArrayEquals(new byte[WireVariant.ID32.echoSize()], regs.sent(s));

        Registrar probe = regs.greeted(CLIENT_IP);
        regs.feed(probe, idField("carol", true));
        regs.sent(probe);
        regs.feed(probe, state(Protocol.CSTATE_PROBE, LOCAL_IP));
        assertEquals(Registrar.State.PROBE, probe.state());
        assertEquals(0, regs.sent(probe).length, "a PROBE registration is not acknowledged");

        Registrar original = regs.greeted(CLIENT_IP);
        regs.feed(original, idField("bob", false));
        regs.sent(original);
        regs.feed(original, idle());
        assertEquals(Protocol.CSTATE_IDLE, regs.query("bob"));
        assertEquals(0, regs.sent(original).length, "an original client gets no record");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void aThirtyTwoByteIdCannotAskAndIsServedTheOriginalWay(Answers answers) {
        Registrations regs = registrations(config(base()), answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("x".repeat(32), false));
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(s)), WireVariant.ID32);
        assertEquals("x".repeat(32), info.id());
        assertEquals(0, info.extFlags());
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void withASecretTheIdIsClaimedOnlyAfterTheRightProof(Answers answers) {
        Registrations regs = registrations(config(base().sharedSecret(SECRET)), answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("alice", true));
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(s)), WireVariant.ID32);
        assertTrue(info.proofRequired() && info.hasToken());
        assertEquals(-1, regs.query("alice"), "not held before the proof");
        ByteBuffer in = state(Protocol.CSTATE_IDLE, LOCAL_IP, RegistrationProof.compute(SECRET, TOKEN, "alice"));
        in.limit(in.limit() - 1);
        regs.feed(s, in);
        assertEquals(Registrar.State.AWAIT_STATE, s.state(), "waits for the whole proof");
        assertEquals(-1, regs.query("alice"));
        in.limit(in.capacity());
        regs.feed(s, in);
        assertEquals(Registrar.State.IDLE, s.state());
        assertEquals(Protocol.CSTATE_IDLE, regs.query("alice"));

        Registrar bad = regs.greeted(CLIENT_IP);
        regs.feed(bad, idField("bob", true));
        regs.sent(bad);
        byte[] proof = RegistrationProof.compute(SECRET, TOKEN, "bob");
        proof[0] ^= 1;
        regs.feed(bad, state(Protocol.CSTATE_IDLE, LOCAL_IP, proof));
        assertEquals(Closing.NOW, bad.outbound(0).closing());
        assertEquals(List.of(Rejection.AUTH_FAILED), regs.refusals(bad));
        assertEquals(-1, regs.query("bob"));

        Registrar orig = regs.greeted(CLIENT_IP);
        regs.feed(orig, idField("carol", false));
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(regs.sent(orig)), WireVariant.ID32).id(),
                "refused like a taken ID");
        assertEquals(List.of(Rejection.AUTH_FAILED), regs.refusals(orig));
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void anIdTakenWhileTheProofWasOnItsWayClosesTheConnection(Answers answers) {
        Registrations regs = registrations(config(base().sharedSecret(SECRET)), answers);
        Registrar first = regs.greeted(CLIENT_IP);
        regs.feed(first, idField("alice", true));
        regs.sent(first);
        Registrar second = regs.greeted(CLIENT_IP);
        regs.feed(second, idField("alice", true));
        assertEquals("alice", ServerInfo.read(ByteBuffer.wrap(regs.sent(second)), WireVariant.ID32).id(),
                "free while unproven");
        regs.feed(first, state(Protocol.CSTATE_IDLE, LOCAL_IP, RegistrationProof.compute(SECRET, TOKEN, "alice")));
        assertEquals(Registrar.State.IDLE, first.state());
        regs.feed(second, state(Protocol.CSTATE_IDLE, LOCAL_IP, RegistrationProof.compute(SECRET, TOKEN, "alice")));
        assertEquals(Closing.NOW, second.outbound(0).closing());
        assertEquals(List.of(Rejection.DUPLICATE_ID), regs.refusals(second));
        regs.close(second);
        assertEquals(Protocol.CSTATE_IDLE, regs.query("alice"), "the first holder keeps it");
    }
}
