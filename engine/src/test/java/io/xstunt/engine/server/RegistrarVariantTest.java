package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The log procedure tells the two wire variants apart by the ID field (docs/PROTOCOL.md, "Wire
 * variants"), on a fake clock: a 33rd byte, or 32 bytes without a NUL, are the reference's
 * variant at once; 32 bytes with a NUL are the published client's once the variant wait has passed
 * without a 33rd; and what the registration writes afterwards is in the client's variant.
 */
class RegistrarVariantTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final int LOCAL_IP = 0x0A000001;
    private static final long SEC = 1_000_000_000L;
    private static final long WAIT_NS = 150_000_000L;
    private static final long TOKEN = 0x1122334455667788L;
    private static final byte[] SECRET = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private static ServerConfig.Builder base() {
        return ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"))
                .handshakeTimeout(Duration.ofSeconds(2)).variantWait(Duration.ofNanos(WAIT_NS));
    }

    private static Registrations registrations(ServerConfig config, Answers answers) {
        return new Registrations(config, answers, 50 * SEC).template(new ServerInfo("", 1, 2, 5001, 5002))
                .tokens(() -> TOKEN);
    }

    /** A registrar that was sent {@code field} at once, with its greeting polled. */
    private static Registrar fed(Registrations regs, ByteBuffer field) {
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, field);
        return r;
    }

    /** The 32 bytes of the published client's field: waits; the wait passes: the published variant. */
    private static Registrar published(Registrations regs, ByteBuffer field) {
        long start = regs.now;
        Registrar r = fed(regs, field);
        assertEquals(0, field.remaining(), "held, so that the decision can read it");
        assertEquals(0, regs.sent(r).length, "nothing answered while a 33rd byte may come");
        assertEquals(start + WAIT_NS, r.deadlineNs(), "the variant wait, not the handshake timeout");
        regs.timeout(r, start + WAIT_NS - 1);
        assertEquals(Registrar.State.AWAIT_ID, r.state(), "an early wake-up changes nothing");
        regs.timeout(r, start + WAIT_NS);
        assertEquals(WireVariant.ID31, r.variant());
        return r;
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void aThirtyThirdByteWithTheFieldIsTheReferenceVariantAtOnce(Answers answers) {
        Registrations regs = registrations(base().build(), answers);
        Registrar r = fed(regs, idField("alice", false));
        regs.answer();
        assertEquals(WireVariant.ID32, r.variant());
        byte[] info = regs.sent(r);
        assertEquals(60, info.length);
        assertEquals(new ServerInfo("alice", 1, 2, 5001, 5002),
                ServerInfo.read(ByteBuffer.wrap(info), WireVariant.ID32));
        assertEquals(50 * SEC + 2 * SEC, r.deadlineNs(), "no variant wait: the handshake timeout");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void thirtyTwoBytesAndNoMoreAreThePublishedClientsField(Answers answers) {
        Registrations regs = registrations(base().build(), answers);
        Registrar r = published(regs, idField("bob", false, WireVariant.ID31));
        regs.answer();
        byte[] info = regs.sent(r);
        // written here from Client.h (MAX_ID_LEN 31): chID[32], nIP1 at 32, nIP2 36, wPort1 40, wPort2 42, 12 zero
        byte[] expected = new byte[56];
        System.arraycopy("bob".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 3);
        expected[35] = 1;
        expected[39] = 2;
        expected[40] = 0x13;
        expected[41] = (byte) 0x89;
        expected[42] = 0x13;
        expected[43] = (byte) 0x8a;
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(info));
        regs.feed(r, state(Protocol.CSTATE_IDLE, LOCAL_IP));
        assertEquals(Protocol.CSTATE_IDLE, regs.query("bob"));
        assertEquals(0, regs.sent(r).length, "an original client gets no acknowledgement");
    }

    @Test
    void theFieldMayComeInPiecesAndAThirtyThirdByteWithinTheWaitMakesItTheReferences() {
        Registrations regs = registrations(base().build(), Answers.AT_ONCE);
        Registrar r = regs.greeted(CLIENT_IP);
        ByteBuffer field = idField("carol", false);
        regs.feed(r, field.slice(0, 20));
        assertEquals(50 * SEC + 2 * SEC, r.deadlineNs(), "fewer than 32 bytes: nothing to decide yet");
        regs.feed(r, ByteBuffer.wrap(Arrays.copyOf(field.array(), 32)));
        assertEquals(50 * SEC + WAIT_NS, r.deadlineNs());
        regs.now += WAIT_NS - 1;
        regs.feed(r, field.slice(32, 1));
        assertEquals(WireVariant.ID32, r.variant());
        assertEquals("carol", ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32).id());
        regs.feed(r, state(Protocol.CSTATE_IDLE, LOCAL_IP));
        assertEquals(Protocol.CSTATE_IDLE, regs.query("carol"));
    }

    @Test
    void thirtyTwoBytesWithoutANulCannotBeThePublishedClientsField() {
        Registrations regs = registrations(base().build(), Answers.AT_ONCE);
        Registrar r = regs.greeted(CLIENT_IP);
        ByteBuffer field = idField("d".repeat(32), false);
        ByteBuffer first = field.slice(0, 32);
        regs.feed(r, first);
        assertEquals(32, first.remaining(), "left unread until the 33rd byte comes");
        assertEquals(50 * SEC + 2 * SEC, r.deadlineNs(), "no variant wait");
        regs.feed(r, field);
        assertEquals(WireVariant.ID32, r.variant());
        assertEquals("d".repeat(32), ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32).id());
    }

    @Test
    void thePublishedClientsAnnouncementsAndRecordsAreItsOwnSize() {
        Registrations regs = registrations(base().build(), Answers.AT_ONCE);
        Registrar r = published(regs, idField("bob", true, WireVariant.ID31));
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID31);
        // its Msg has no pad bytes to show a token: acknowledged and kept alive, but no token
        assertEquals(Protocol.EXT_FLAG_REG_ACK | Protocol.EXT_FLAG_FAST, info.extFlags());
        assertEquals(0L, info.token());
        assertEquals(0L, r.token());
        regs.feed(r, state(Protocol.CSTATE_IDLE, LOCAL_IP));
        assertArrayEquals(new byte[52], regs.sent(r), "the acknowledgement: an all-zero Echo of its variant");
        regs.announce(r, new Echo(0x7F000001, 45678, 3, "alice", 0x7F00000B, Protocol.ROLE_LISTENER));
        byte[] a = regs.sent(r);
        assertEquals(52, a.length);
        assertEquals('S', a[48], "chRole at 48 in the published client's Echo");
        assertEquals("alice", new String(a, 12, 5, StandardCharsets.US_ASCII));
        assertEquals(0, a[17]);
        // a peer ID of 32 bytes does not fit its 32-byte field (31 and the NUL): an empty one goes
        regs.announce(r, new Echo(0x7F000001, 45679, 4, "p".repeat(32), 0x7F00000B, Protocol.ROLE_LISTENER));
        Echo e = Echo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID31);
        assertEquals(new Echo(0x7F000001, 45679, 4, "", 0x7F00000B, Protocol.ROLE_LISTENER), e);
    }

    @Test
    void aSharedSecretIsProvenWithTheNonceThatNoTokenCarries() {
        Registrations regs = registrations(base().sharedSecret(SECRET).build(), Answers.AT_ONCE);
        Registrar r = published(regs, idField("bob", true, WireVariant.ID31));
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID31);
        assertEquals(Protocol.EXT_FLAG_REG_ACK | Protocol.EXT_FLAG_PROOF | Protocol.EXT_FLAG_FAST, info.extFlags());
        assertEquals(TOKEN, info.token(), "the nonce the proof signs");
        regs.feed(r, state(Protocol.CSTATE_IDLE, LOCAL_IP, RegistrationProof.compute(SECRET, TOKEN, "bob")));
        assertEquals(Registrar.State.IDLE, r.state());
        assertEquals(0L, r.token(), "held without a token: the public-IP rule serves it");
        assertEquals(List.of(), regs.refusals(r));
    }

    @Test
    void theHandshakeTimeoutStillBoundsAFieldThatNeverCompletes() {
        Registrations regs = registrations(base().build(), Answers.AT_ONCE);
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, ByteBuffer.wrap(new byte[31]));
        regs.timeout(r, 50 * SEC + 2 * SEC);
        assertEquals(List.of(Rejection.HANDSHAKE_TIMEOUT), regs.refusals(r));
        assertTrue(r.outbound(0).closing() != Closing.OPEN);
    }
}
