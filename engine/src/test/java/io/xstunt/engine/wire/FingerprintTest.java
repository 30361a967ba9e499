package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@code struct Fingerprint { INT32 nClientVer; INT32 nServerVer; CHAR chID[33]; INT32 nDone;
 * INT32 nGAddr; struct { INT32 nIncrement; INT8 bPortPreserving; } Connection; }}: nClientVer 0,
 * nServerVer 4, chID 8..40, 3 pad, nDone 44, nGAddr 48, nIncrement 52, bPortPreserving 56, 3 pad: 60.
 */
class FingerprintTest {
    /** build 10, server 1, "alice", done, 198.51.100.9, delta 2, port-preserving. */
    static final String DELTA2 = """
            00 00 00 0a
            00 00 00 01
            "alice" 00*28  00 00 00
            00 00 00 01
            c6 33 64 09
            00 00 00 02
            01  00 00 00
            """;

    @Test
    void sizeAndOffsets() {
        assertEquals(60, Fingerprint.SIZE);
        assertEquals(0, Fingerprint.OFF_CLIENT_VER);
        assertEquals(4, Fingerprint.OFF_SERVER_VER);
        assertEquals(8, Fingerprint.OFF_ID);
        assertEquals(44, Fingerprint.OFF_DONE);
        assertEquals(48, Fingerprint.OFF_GADDR);
        assertEquals(52, Fingerprint.OFF_CONNECTION);
        assertEquals(60, Hex.bytes(DELTA2).length);
    }

    @Test
    void roundTrip() {
        Codec.roundTrip(DELTA2, new Fingerprint(10, 1, "alice", true, 0xC6336409, 2, true),
                Fingerprint::write, Fingerprint::read);
    }

    @Test
    void randomIncrementAndNotDone() {
        Fingerprint f = new Fingerprint(10, 2, "bob", false, 0x7F00000C, Protocol.RANDOM_INCREMENT, false);
        Codec.roundTrip("00 00 00 0a  00 00 00 02  \"bob\" 00*30 00 00 00  00 00 00 00  "
                + "7f 00 00 0c  10 00 00 00  00 00 00 00", f, Fingerprint::write, Fingerprint::read);
        assertTrue(f.isRandom());
        assertFalse(f.isCone());
    }

    @Test
    void negativeIncrementRoundTrips() {
        Codec.roundTrip("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 01  "
                + "7f 00 00 0c  ff ff ff ff  00 00 00 00",
                new Fingerprint(10, 1, "bob", true, 0x7F00000C, -1, false), Fingerprint::write, Fingerprint::read);
    }

    @Test
    void flagsOtherThanZeroOrOneAreAWireFormatError() {
        byte[] badDone = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 02  "
                + "7f 00 00 0c  00 00 00 00  00 00 00 00");
        byte[] badPreserving = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 01  "
                + "7f 00 00 0c  00 00 00 00  02 00 00 00");
        byte[] littleEndianDone = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  01 00 00 00  "
                + "7f 00 00 0c  00 00 00 00  00 00 00 00");
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(badDone)));
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(badPreserving)));
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(littleEndianDone)));
    }

    @Test
    void describeCone() {
        assertEquals("TCP PORT-PRESERVING CONE", new Fingerprint(10, 1, "a", true, 1, 0, true).describe());
        assertEquals("TCP NOT-PORT-PRESERVING CONE", new Fingerprint(10, 1, "a", true, 1, 0, false).describe());
        assertTrue(new Fingerprint(10, 1, "a", true, 1, 0, false).isCone());
    }

    @Test
    void describeDelta() {
        assertEquals("TCP NOT-PORT-PRESERVING DELTA-2-SYMMETRIC",
                new Fingerprint(10, 1, "a", true, 1, 2, false).describe());
        assertEquals("TCP PORT-PRESERVING DELTA-1-SYMMETRIC",
                new Fingerprint(10, 1, "a", true, 1, 1, true).describe());
        assertFalse(new Fingerprint(10, 1, "a", true, 1, 2, false).isCone());
        assertFalse(new Fingerprint(10, 1, "a", true, 1, 2, false).isRandom());
    }

    @Test
    void describeRandom() {
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC",
                new Fingerprint(10, 1, "a", true, 1, 0x10000000, false).describe());
    }
}
