package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code struct Echo { INT32 nIP; INT16 wPort; INT16 wPadding; union Data; }} with the union's
 * largest member {@code Conn { INT32 nConnID; CHAR chPeerID[MAX_ID_LEN + 1]; INT32 nPeerIP; CHAR
 * chRole; }}. Reference (32): nConnID 8, chPeerID 12..44, 3 pad, nPeerIP 48, chRole 52, 3 pad =
 * 56. Published client (31): nConnID 8, chPeerID 12..43, nPeerIP 44, chRole 48, 3 pad = 52.
 */
class EchoTest {
    private static final WireVariant V32 = WireVariant.ID32;
    private static final WireVariant V31 = WireVariant.ID31;

    /** Address reply: 203.0.113.7 port 40000 (9c 40), everything else zero. */
    static final String REPLY = "cb 00 71 07  9c 40  00 00  00*48";
    static final String REPLY_31 = "cb 00 71 07  9c 40  00 00  00*44";

    /** Announcement to the initiator: control channel 127.0.0.1:45678 (b2 6e), session 1, peer "bob" at 127.0.0.12. */
    static final String ANNOUNCE_C = """
            7f 00 00 01  b2 6e  00 00
            00 00 00 01
            "bob" 00*30  00 00 00
            7f 00 00 0c
            43  00 00 00
            """;
    static final String ANNOUNCE_C_31 = """
            7f 00 00 01  b2 6e  00 00
            00 00 00 01
            "bob" 00*29
            7f 00 00 0c
            43  00 00 00
            """;

    /** Announcement to the listener: same session seen from "bob": peer "alice" at 127.0.0.11, role 'S'. */
    static final String ANNOUNCE_S = """
            7f 00 00 01  b2 6e  00 00
            00 00 00 01
            "alice" 00*28  00 00 00
            7f 00 00 0b
            53  00 00 00
            """;
    static final String ANNOUNCE_S_31 = """
            7f 00 00 01  b2 6e  00 00
            00 00 00 01
            "alice" 00*27
            7f 00 00 0b
            53  00 00 00
            """;

    @Test
    void vectorsHaveTheVariantsSizes() {
        for (String v : new String[] {REPLY, ANNOUNCE_C, ANNOUNCE_S}) {
            assertEquals(56, Hex.bytes(v).length);
        }
        for (String v : new String[] {REPLY_31, ANNOUNCE_C_31, ANNOUNCE_S_31}) {
            assertEquals(52, Hex.bytes(v).length);
        }
    }

    @Test
    void roleBytesAreAsciiCAndS() {
        assertEquals(0x43, Protocol.ROLE_INITIATOR);
        assertEquals(0x53, Protocol.ROLE_LISTENER);
    }

    @Test
    void addressReplyRoundTrip() {
        Echo e = Echo.address(0xCB007107, 40000);
        assertFalse(e.hasNoAddress());
        Codec.roundTrip(REPLY, e, (x, b) -> x.write(b, V32), b -> Echo.read(b, V32));
        Codec.roundTrip(REPLY_31, e, (x, b) -> x.write(b, V31), b -> Echo.read(b, V31));
    }

    @Test
    void writeAddressMatchesWrite() {
        assertEquals(Hex.of(Hex.bytes(REPLY)),
                Hex.of(Codec.encode(56, b -> Echo.writeAddress(b, V32, 0xCB007107, 40000))));
        assertEquals(Hex.of(Hex.bytes(REPLY_31)),
                Hex.of(Codec.encode(52, b -> Echo.writeAddress(b, V31, 0xCB007107, 40000))));
    }

    @Test
    void theEchoServicesReplyIsTheReferenceVariantsAddressRecord() {
        ByteBuffer reply = Echo.addressReply(0xCB007107, 40000);
        assertEquals(0, reply.position());
        byte[] bytes = new byte[reply.remaining()];
        reply.get(bytes);
        assertEquals(Hex.of(Hex.bytes(REPLY)), Hex.of(bytes));
    }

    @Test
    void theAllZeroRecordHasNoAddress() {
        assertTrue(Codec.decode(Hex.bytes("00*56"), b -> Echo.read(b, V32)).hasNoAddress());
        assertTrue(Codec.decode(Hex.bytes("00*52"), b -> Echo.read(b, V31)).hasNoAddress());
    }

    @Test
    void initiatorAnnouncementRoundTrip() {
        Echo e = new Echo(0x7F000001, 45678, 1, "bob", 0x7F00000C, Protocol.ROLE_INITIATOR);
        Codec.roundTrip(ANNOUNCE_C, e, (x, b) -> x.write(b, V32), b -> Echo.read(b, V32));
        Codec.roundTrip(ANNOUNCE_C_31, e, (x, b) -> x.write(b, V31), b -> Echo.read(b, V31));
    }

    @Test
    void listenerAnnouncementRoundTrip() {
        Echo e = new Echo(0x7F000001, 45678, 1, "alice", 0x7F00000B, Protocol.ROLE_LISTENER);
        Codec.roundTrip(ANNOUNCE_S, e, (x, b) -> x.write(b, V32), b -> Echo.read(b, V32));
        Codec.roundTrip(ANNOUNCE_S_31, e, (x, b) -> x.write(b, V31), b -> Echo.read(b, V31));
    }

    @Test
    void sessionIdIsNetworkOrder() {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  12 34 56 78  \"bob\" 00*30 00 00 00  7f 00 00 0c  43 00 00 00");
        assertEquals(0x12345678, Codec.decode(v, b -> Echo.read(b, V32)).connId());
    }

    @Test
    void peerIdOfTheVariantsFullLength() {
        Codec.roundTrip("7f 00 00 01 b2 6e 00 00  00 00 00 07  70*32 00 00 00 00  7f 00 00 0c  53 00 00 00",
                new Echo(0x7F000001, 45678, 7, "p".repeat(32), 0x7F00000C, Protocol.ROLE_LISTENER),
                (x, b) -> x.write(b, V32), b -> Echo.read(b, V32));
        Codec.roundTrip("7f 00 00 01 b2 6e 00 00  00 00 00 07  70*31 00  7f 00 00 0c  53 00 00 00",
                new Echo(0x7F000001, 45678, 7, "p".repeat(31), 0x7F00000C, Protocol.ROLE_LISTENER),
                (x, b) -> x.write(b, V31), b -> Echo.read(b, V31));
    }

    /** The original client reads only nIP and wPort: any role byte is read as it came, never refused. */
    @ParameterizedTest
    @ValueSource(strings = {"01", "41", "63", "73", "ff"})
    void anyRoleByteIsKept(String role) {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  00 00 00 01  \"bob\" 00*30 00 00 00  7f 00 00 0c  "
                + role + " 00 00 00");
        Echo e = Codec.decode(v, b -> Echo.read(b, V32));
        assertEquals((byte) Integer.parseInt(role, 16), e.role());
        assertEquals("bob", e.peerId());
        assertEquals(45678, e.port());
    }

    @Test
    void aPeerIdThatIsNoValidFieldReadsAsEmptyAndSaysSo() {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  00 00 00 01  62*33 00 00 00  7f 00 00 0c  43 00 00 00");
        Echo e = Codec.decode(v, b -> Echo.read(b, V32));
        assertEquals("", e.peerId());
        assertFalse(e.peerIdValid());
        assertEquals(0x7F000001, e.ip(), "the control address is all the original reads");
        byte[] v31 = Hex.bytes("7f 00 00 01 b2 6e 00 00  00 00 00 01  c3 28 00*30  7f 00 00 0c  53 00 00 00");
        assertFalse(Codec.decode(v31, b -> Echo.read(b, V31)).peerIdValid());
    }

    @Test
    void aRecordWithRoleZeroKeepsItsUnion() {
        // an announcement from a server that writes no role: the peer is still there to read
        Codec.roundTrip("7f 00 00 01 b2 6e 00 00  00 00 00 09  \"bob\" 00*30 00 00 00  7f 00 00 0c  00 00 00 00",
                new Echo(0x7F000001, 45678, 9, "bob", 0x7F00000C, (byte) 0), (x, b) -> x.write(b, V32),
                b -> Echo.read(b, V32));
    }

    @Test
    void readingNeedsOnlyTheVariantsSize() {
        ByteBuffer b = ByteBuffer.wrap(Hex.bytes(ANNOUNCE_C_31));
        Echo.read(b, V31);
        assertEquals(52, b.position());
    }
}
