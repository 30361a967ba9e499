package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@code struct Fingerprint { INT32 nClientVer; INT32 nServerVer; CHAR chID[MAX_ID_LEN + 1]; INT32
 * nDone; INT32 nGAddr; struct { INT32 nIncrement; INT8 bPortPreserving; } TCP; }}. Reference (32):
 * nClientVer 0, nServerVer 4, chID 8..40, 3 pad, nDone 44, nGAddr 48, nIncrement 52,
 * bPortPreserving 56, 3 pad: 60. Published client (31): chID 8..39, nDone 40, nGAddr 44,
 * nIncrement 48, bPortPreserving 52, 3 pad: 56. Ours in network order; the original's as x86 dumps
 * it from memory (little-endian INT32, nGAddr an s_addr).
 */
class FingerprintTest {
    private static final WireVariant V32 = WireVariant.ID32;
    private static final WireVariant V31 = WireVariant.ID31;
    private static final Fingerprint ALICE = new Fingerprint(10, 1, "alice", true, 0xC6336409, 2, true);

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
    static final String DELTA2_31 = """
            00 00 00 0a
            00 00 00 01
            "alice" 00*27
            00 00 00 01
            c6 33 64 09
            00 00 00 02
            01  00 00 00
            """;

    /** The same fingerprint as the original's XWriteFingerprint leaves it on x86, both variants. */
    static final String X86_DELTA2 = """
            0a 00 00 00
            01 00 00 00
            "alice" 00*28  00 00 00
            01 00 00 00
            c6 33 64 09
            02 00 00 00
            01  00 00 00
            """;
    static final String X86_DELTA2_31 = """
            0a 00 00 00
            01 00 00 00
            "alice" 00*27
            01 00 00 00
            c6 33 64 09
            02 00 00 00
            01  00 00 00
            """;

    private static void roundTrip(String vector, Fingerprint f, WireVariant v) {
        Codec.roundTrip(vector, f, (x, b) -> x.write(b, v), b -> Fingerprint.read(b, v));
    }

    @Test
    void vectorsHaveTheVariantsSizes() {
        assertEquals(60, Hex.bytes(DELTA2).length);
        assertEquals(60, Hex.bytes(X86_DELTA2).length);
        assertEquals(56, Hex.bytes(DELTA2_31).length);
        assertEquals(56, Hex.bytes(X86_DELTA2_31).length);
    }

    @Test
    void roundTrip() {
        roundTrip(DELTA2, ALICE, V32);
        roundTrip(DELTA2_31, ALICE, V31);
    }

    @Test
    void theOriginalsX86DumpReadsAsTheSameFingerprint() {
        assertEquals(ALICE, Codec.decode(Hex.bytes(X86_DELTA2), b -> Fingerprint.readX86(b, V32)));
        assertEquals(ALICE, Codec.decode(Hex.bytes(X86_DELTA2_31), b -> Fingerprint.readX86(b, V31)));
    }

    @Test
    void theOriginalsIncrementIsTheDifferenceModulo65536() {
        // XAnalyzeNature adds 65536 to a negative difference: 65534 stands for -2, RANDOM stays RANDOM
        byte[] down = Hex.bytes("0a 00 00 00  01 00 00 00  \"bob\" 00*29  01 00 00 00  7f 00 00 0c  fe ff 00 00"
                + "  00 00 00 00");
        assertEquals(-2, Codec.decode(down, b -> Fingerprint.readX86(b, V31)).increment());
        byte[] random = Hex.bytes("0a 00 00 00  01 00 00 00  \"bob\" 00*29  01 00 00 00  7f 00 00 0c  00 00 00 10"
                + "  00 00 00 00");
        assertTrue(Codec.decode(random, b -> Fingerprint.readX86(b, V31)).isRandom());
        byte[] up = Hex.bytes("0a 00 00 00  01 00 00 00  \"bob\" 00*29  01 00 00 00  7f 00 00 0c  ff 7f 00 00"
                + "  00 00 00 00");
        assertEquals(32767, Codec.decode(up, b -> Fingerprint.readX86(b, V31)).increment());
    }

    @Test
    void theOriginalsPaddingAndIdGarbageAreIgnored() {
        byte[] v = Hex.bytes("0a 00 00 00  01 00 00 00  \"alice\" 00 ee*26  01 00 00 00  c6 33 64 09  02 00 00 00"
                + "  01 ee ee ee");
        assertEquals(ALICE, Codec.decode(v, b -> Fingerprint.readX86(b, V31)));
    }

    @Test
    void randomIncrementAndNotDone() {
        Fingerprint f = new Fingerprint(10, 2, "bob", false, 0x7F00000C, Protocol.RANDOM_INCREMENT, false);
        roundTrip("00 00 00 0a  00 00 00 02  \"bob\" 00*30 00 00 00  00 00 00 00  "
                + "7f 00 00 0c  10 00 00 00  00 00 00 00", f, V32);
        assertTrue(f.isRandom());
        assertFalse(f.isCone());
    }

    @Test
    void negativeIncrementRoundTrips() {
        roundTrip("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 01  "
                + "7f 00 00 0c  ff ff ff ff  00 00 00 00",
                new Fingerprint(10, 1, "bob", true, 0x7F00000C, -1, false), V32);
    }

    @Test
    void flagsOtherThanZeroOrOneAreAWireFormatError() {
        byte[] badDone = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 02  "
                + "7f 00 00 0c  00 00 00 00  00 00 00 00");
        byte[] badPreserving = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  00 00 00 01  "
                + "7f 00 00 0c  00 00 00 00  02 00 00 00");
        byte[] littleEndianDone = Hex.bytes("00 00 00 0a  00 00 00 01  \"bob\" 00*30 00 00 00  01 00 00 00  "
                + "7f 00 00 0c  00 00 00 00  00 00 00 00");
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(badDone), V32));
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(badPreserving), V32));
        assertThrows(WireFormatException.class, () -> Fingerprint.read(ByteBuffer.wrap(littleEndianDone), V32));
        assertThrows(WireFormatException.class, () -> Fingerprint.readX86(ByteBuffer.wrap(Hex.bytes(DELTA2)), V32),
                "our network-order file read as the original's has nDone 0x01000000");
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
