package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code struct Echo { INT32 nIP; INT16 wPort; INT16 wPadding; union Data; }} with the union's
 * largest member {@code Conn { INT32 nConnID; CHAR chPeerID[33]; INT32 nPeerIP; CHAR chRole; }}:
 * nConnID at 0, chPeerID 4..36, 3 pad, nPeerIP at 40, chRole at 44, 3 pad = 48 bytes. In the Echo:
 * nIP 0, wPort 4, wPadding 6, union 8 (nConnID 8, chPeerID 12, nPeerIP 48, chRole 52), size 56.
 */
class EchoTest {
    /** Address reply: 203.0.113.7 port 40000 (9c 40), everything else zero. */
    static final String REPLY = "cb 00 71 07  9c 40  00 00  00*48";

    /** Announcement to the initiator: control channel 127.0.0.1:45678 (b2 6e), session 1, peer "bob" at 127.0.0.12. */
    static final String ANNOUNCE_C = """
            7f 00 00 01  b2 6e  00 00
            00 00 00 01
            "bob" 00*30  00 00 00
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

    @Test
    void sizeAndOffsets() {
        assertEquals(56, Echo.SIZE);
        assertEquals(0, Echo.OFF_IP);
        assertEquals(4, Echo.OFF_PORT);
        assertEquals(6, Echo.OFF_PADDING);
        assertEquals(8, Echo.OFF_UNION);
        assertEquals(48, Echo.SIZE - Echo.OFF_UNION, "the union is 48 bytes");
        assertEquals(56, Hex.bytes(REPLY).length);
        assertEquals(56, Hex.bytes(ANNOUNCE_C).length);
        assertEquals(56, Hex.bytes(ANNOUNCE_S).length);
    }

    @Test
    void roleBytesAreAsciiCAndS() {
        assertEquals(0x43, Protocol.ROLE_INITIATOR);
        assertEquals(0x53, Protocol.ROLE_LISTENER);
    }

    @Test
    void addressReplyRoundTrip() {
        Echo e = Echo.address(0xCB007107, 40000);
        assertFalse(e.isAnnouncement());
        Codec.roundTrip(REPLY, e, Echo::write, Echo::read);
    }

    @Test
    void writeAddressMatchesWrite() {
        assertEquals(Hex.of(Hex.bytes(REPLY)), Hex.of(Codec.encode(56, b -> Echo.writeAddress(b, 0xCB007107, 40000))));
    }

    @Test
    void initiatorAnnouncementRoundTrip() {
        Echo e = new Echo(0x7F000001, 45678, 1, "bob", 0x7F00000C, Protocol.ROLE_INITIATOR);
        assertTrue(e.isAnnouncement());
        Codec.roundTrip(ANNOUNCE_C, e, Echo::write, Echo::read);
    }

    @Test
    void listenerAnnouncementRoundTrip() {
        Codec.roundTrip(ANNOUNCE_S, new Echo(0x7F000001, 45678, 1, "alice", 0x7F00000B, Protocol.ROLE_LISTENER),
                Echo::write, Echo::read);
    }

    @Test
    void sessionIdIsNetworkOrder() {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  12 34 56 78  \"bob\" 00*30 00 00 00  7f 00 00 0c  43 00 00 00");
        assertEquals(0x12345678, Codec.decode(v, Echo::read).connId());
    }

    @Test
    void peerIdOfExactly32Bytes() {
        String id = "p".repeat(32);
        Codec.roundTrip("7f 00 00 01 b2 6e 00 00  00 00 00 07  70*32 00 00 00 00  7f 00 00 0c  53 00 00 00",
                new Echo(0x7F000001, 45678, 7, id, 0x7F00000C, Protocol.ROLE_LISTENER), Echo::write, Echo::read);
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "41", "63", "73", "ff"})
    void unknownRoleIsAWireFormatError(String role) {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  00 00 00 01  \"bob\" 00*30 00 00 00  7f 00 00 0c  "
                + role + " 00 00 00");
        assertThrows(WireFormatException.class, () -> Echo.read(ByteBuffer.wrap(v)));
    }

    @Test
    void announcementWithBadPeerIdIsAWireFormatError() {
        byte[] v = Hex.bytes("7f 00 00 01 b2 6e 00 00  00 00 00 01  62*33 00 00 00  7f 00 00 0c  43 00 00 00");
        assertThrows(WireFormatException.class, () -> Echo.read(ByteBuffer.wrap(v)));
    }
}
