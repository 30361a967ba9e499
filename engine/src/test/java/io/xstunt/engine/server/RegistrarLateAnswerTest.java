package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A registrar while the registry's answer to its claim is on its way: the bytes that arrive
 * meanwhile, a close before the answer, an answer that never comes.
 */
class RegistrarLateAnswerTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final int LOCAL_IP = Ipv4.toInt(Ipv4.parse("192.168.1.20"));
    private static final long SEC = 1_000_000_000L;
    private static final byte[] SECRET = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long TOKEN = 77L;

    private final List<String> lines = new ArrayList<>();

    private Registrations registrations(ServerConfig.Builder b, Answers answers) {
        ServerConfig config = b.handshakeTimeout(Duration.ofSeconds(2)).maxLogLine(100).build();
        return new Registrations(config, answers, 5 * SEC).tokens(() -> TOKEN)
                .sink((id, line) -> lines.add(id + "|" + line));
    }

    private static ServerConfig.Builder base() {
        return ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"));
    }

    /** A registry that answers only when told. */
    private Registrations slow() {
        Registrations regs = registrations(base(), Answers.LATER);
        regs.holdAnswers();
        return regs;
    }

    private static byte[] concat(ByteBuffer... parts) {
        ByteBuffer all = ByteBuffer.allocate(256);
        for (ByteBuffer p : parts) {
            all.put(p);
        }
        byte[] b = new byte[all.flip().remaining()];
        all.get(b);
        return b;
    }

    @Test
    void bytesThatArriveBeforeTheAnswerAreReadWhenItComes() {
        Registrations regs = slow();
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, idField("alice"));
        assertEquals(Registrar.State.AWAIT_CLAIM, r.state());
        assertEquals(1, regs.unanswered());
        assertEquals(0, regs.sent(r).length, "no ServerInfo before the registry's answer");
        ByteBuffer st = state(Protocol.CSTATE_IDLE, LOCAL_IP); // a client that does not wait for its ServerInfo
        regs.feed(r, st);
        assertFalse(st.hasRemaining(), "kept by the registrar");
        assertEquals(Registrar.State.AWAIT_CLAIM, r.state());

        regs.answer();
        assertEquals("alice", ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32).id());
        assertEquals(Registrar.State.IDLE, r.state(), "the kept LogState read once the answer came");
        regs.answer();
        assertEquals(Protocol.CSTATE_IDLE, regs.query("alice"));
    }

    @Test
    void atMostLogStateItsProofAndFastsCapabilityAreKept() {
        Registrations regs = slow();
        Registrar r = regs.open(CLIENT_IP);
        regs.feed(r, idField("bob"));
        int most = LogState.SIZE + Protocol.PROOF_LEN + io.xstunt.engine.wire.FastLine.CAPABILITY_MAX;
        regs.feed(r, new byte[most]);
        assertEquals(Closing.OPEN, r.outbound(0).closing(), "LogState, a proof and a FAST capability line fit");
        assertEquals(List.of(), regs.refusals(r));
        ByteBuffer more = ByteBuffer.wrap(new byte[1]);
        regs.feed(r, more);
        assertEquals(Closing.NOW, r.outbound(0).closing(), "one byte more does not");
        assertEquals(List.of(Rejection.UNEXPECTED_DATA), regs.refusals(r));
        assertFalse(more.hasRemaining());

        regs.close(r);
        assertEquals(List.of(), regs.refusals(r), "no TRUNCATED besides");
        regs.answer();
        assertEquals(0, regs.registered(), "the ID claimed meanwhile is released");
        assertEquals(0, regs.sent(r).length);
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void aLogStateBegunInTheIdsReadIsReadWhole(Answers answers) {
        Registrations regs = registrations(base(), answers);
        Registrar r = regs.greeted(CLIENT_IP);
        ByteBuffer st = state(Protocol.CSTATE_IDLE, LOCAL_IP);
        regs.feed(r, concat(idField("carol"), st.slice(0, 3)));
        assertEquals("carol", ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32).id());
        ByteBuffer rest = st.slice(3, LogState.SIZE - 3);
        regs.feed(r, rest);
        assertFalse(rest.hasRemaining());
        assertEquals(Registrar.State.IDLE, r.state(), "the LogState's first bytes were kept");
        assertEquals(Protocol.CSTATE_IDLE, regs.query("carol"));
        assertEquals(List.of(), regs.refusals(r));
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void aLogLineBegunBeforeTheAnswerEndsAfterIt(Answers answers) {
        Registrations regs = registrations(base(), answers);
        Registrar r = regs.open(CLIENT_IP);
        regs.feed(r, concat(idField("dora"), state(Protocol.CSTATE_PROBE, LOCAL_IP),
                ByteBuffer.wrap("1.0:a".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(Registrar.State.PROBE, r.state());
        assertEquals(List.of(), lines, "the line has not ended yet");
        regs.feed(r, ":b.c:1:x\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("dora|1.0:a:b.c:1:x"), lines);
    }

    @Test
    void anAnswerAfterTheCloseReleasesTheClaimedId() {
        Registrations regs = slow();
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, idField("erin"));
        regs.close(r);
        assertEquals(List.of(Rejection.TRUNCATED), regs.refusals(r));
        regs.answer();
        assertEquals(0, regs.registered(), "claimed by the answer, released at once");
        assertArrayEquals(new byte[0], regs.sent(r), "nothing is sent on a closed connection");
        assertEquals(Registrar.State.CLOSED, r.state());
    }

    @Test
    void aRefusalAfterTheCloseChangesNothing() {
        Registrations regs = slow();
        Registrar holder = regs.open(CLIENT_IP);
        regs.feed(holder, idField("fay"));
        regs.answer();
        regs.feed(holder, state(Protocol.CSTATE_IDLE, LOCAL_IP));
        regs.answer();
        Registrar other = regs.open(CLIENT_IP + 1);
        regs.feed(other, idField("fay"));
        regs.close(other);
        regs.answer();
        assertEquals(Protocol.CSTATE_IDLE, regs.query("fay"), "the holder keeps its ID");
        assertEquals(1, regs.registered());
    }

    @Test
    void withASecretAnUnprovenCheckHoldsNothingAndAProvenClaimIsReleased() {
        Registrations regs = registrations(base().sharedSecret(SECRET), Answers.LATER);
        regs.holdAnswers();
        Registrar unproven = regs.open(CLIENT_IP);
        regs.feed(unproven, idField("gus", true));
        regs.close(unproven);
        regs.answer();
        assertEquals(0, regs.registered(), "a check claims nothing, so nothing is released");

        Registrar proven = regs.open(CLIENT_IP);
        regs.feed(proven, idField("gus", true));
        regs.answer();
        regs.feed(proven, state(Protocol.CSTATE_IDLE, LOCAL_IP, RegistrationProof.compute(SECRET, TOKEN, "gus")));
        assertEquals(Registrar.State.AWAIT_CLAIM, proven.state(), "proven: now claimed");
        regs.close(proven);
        regs.answer();
        assertEquals(0, regs.registered(), "claimed after the close, released at once");
    }

    @Test
    void aRegistryThatNeverAnswersIsBoundedByTheHandshakeTimeout() {
        Registrations regs = slow();
        Registrar r = regs.open(CLIENT_IP);
        long start = regs.now;
        regs.feed(r, idField("hal"));
        regs.timeout(r, start + 2 * SEC);
        assertEquals(Closing.NOW, r.outbound(0).closing());
        assertEquals(List.of(Rejection.HANDSHAKE_TIMEOUT), regs.refusals(r));
    }
}
