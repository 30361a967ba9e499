package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code struct Msg { INT32 nType; union { struct { CHAR chSrcID[MAX_ID_LEN + 1]; CHAR
 * chDstID[MAX_ID_LEN + 1]; } Connection; CHAR chID[MAX_ID_LEN + 1]; } Data; }}. Reference (32):
 * nType 0, chSrcID (and chID) 4..36, chDstID 37..69, 2 pad bytes: 72. Published client (31):
 * chSrcID 4..35, chDstID 36..67, no pad: 68.
 */
class MsgTest {
    private static final WireVariant V32 = WireVariant.ID32;
    private static final WireVariant V31 = WireVariant.ID31;

    /** MSG_CONNECT (10001 = 0x2711) from "alice" to "bob". */
    static final String CONNECT = """
            00 00 27 11
            "alice" 00*28
            "bob" 00*30
            00 00
            """;
    static final String CONNECT_31 = """
            00 00 27 11
            "alice" 00*27
            "bob" 00*29
            """;
    static final String DEREGISTER = "00 00 27 12  \"alice\" 00*28  00*33  00 00";
    static final String DEREGISTER_31 = "00 00 27 12  \"alice\" 00*27  00*32";
    static final String QUERY = "00 00 27 13  \"bob\" 00*30  00*33  00 00";
    static final String QUERY_31 = "00 00 27 13  \"bob\" 00*29  00*32";

    private static void roundTrip(String vector, Msg m, WireVariant v) {
        Codec.roundTrip(vector, m, (x, b) -> x.write(b, v), b -> Msg.read(b, v));
    }

    @Test
    void vectorsHaveTheVariantsSizes() {
        for (String v : new String[] {CONNECT, DEREGISTER, QUERY}) {
            assertEquals(72, Hex.bytes(v).length);
        }
        for (String v : new String[] {CONNECT_31, DEREGISTER_31, QUERY_31}) {
            assertEquals(68, Hex.bytes(v).length);
        }
    }

    @Test
    void aTokenGoesAfterTheStructWithXtInThePadBytes() {
        roundTrip("00 00 27 11  \"alice\" 00*28  \"bob\" 00*30  58 54  01 02 03 04 05 06 07 08",
                Msg.connect("alice", "bob").withToken(0x0102030405060708L), V32);
        roundTrip("00 00 27 12  \"alice\" 00*28  00*33  58 54  ff 00 00 00 00 00 00 01",
                Msg.deregister("alice").withToken(0xff00000000000001L), V32);
        assertEquals(80, Msg.connect("a", "b").withToken(7).encodedSize(V32));
        assertEquals(72, Msg.encodedSizeAt(ByteBuffer.wrap(Hex.bytes(CONNECT)), V32));
        assertEquals(80, Msg.encodedSizeAt(ByteBuffer.wrap(Hex.bytes(CONNECT.replace("00 00\n", "58 54\n"))), V32));
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(Hex.bytes(
                DEREGISTER.substring(0, DEREGISTER.length() - 5) + "58 54  00*8")), V32), "a zero token is malformed");
    }

    @Test
    void thePublishedVariantHasNoPadBytesSoNoToken() {
        assertEquals(68, Msg.encodedSizeAt(ByteBuffer.wrap(Hex.bytes(CONNECT_31 + " 58 54 01*8")), V31));
        assertThrows(IllegalStateException.class,
                () -> Msg.connect("a", "b").withToken(7).write(ByteBuffer.allocate(80), V31));
    }

    @Test
    void connectRoundTrip() {
        Msg m = Msg.connect("alice", "bob");
        assertEquals(new Msg(10001, "alice", "bob"), m);
        roundTrip(CONNECT, m, V32);
        roundTrip(CONNECT_31, m, V31);
    }

    @Test
    void deregisterRoundTrip() {
        Msg m = Msg.deregister("alice");
        assertEquals(new Msg(10002, "alice", ""), m);
        roundTrip(DEREGISTER, m, V32);
        roundTrip(DEREGISTER_31, m, V31);
    }

    @Test
    void queryRoundTrip() {
        Msg m = Msg.query("bob");
        assertEquals(new Msg(10003, "bob", ""), m);
        roundTrip(QUERY, m, V32);
        roundTrip(QUERY_31, m, V31);
    }

    @Test
    void singleIdMessagesIgnoreTheRestOfTheUnion() {
        // An original client may leave stack garbage after chID; only chID counts.
        assertEquals(Msg.query("bob"), Codec.decode(Hex.bytes("00 00 27 13  \"bob\" 00*30  ee*33  ee ee"),
                b -> Msg.read(b, V32)));
        assertEquals(Msg.query("bob"), Codec.decode(Hex.bytes("00 00 27 13  \"bob\" 00 ee*28  ee*32"),
                b -> Msg.read(b, V31)));
    }

    @Test
    void connectWithMaximalIds() {
        roundTrip("00 00 27 11  61*32 00  62*32 00  00 00", Msg.connect("a".repeat(32), "b".repeat(32)), V32);
        roundTrip("00 00 27 11  61*31 00  62*31 00", Msg.connect("a".repeat(31), "b".repeat(31)), V31);
    }

    @ParameterizedTest
    @ValueSource(strings = {"00 00 00 00", "00 00 27 10", "00 00 27 14", "11 27 00 00", "ff ff ff ff"})
    void unknownTypeIsAWireFormatError(String type) {
        byte[] v = Hex.bytes(type + " \"alice\" 00*28  \"bob\" 00*30  00 00");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v), V32));
        byte[] v31 = Hex.bytes(type + " \"alice\" 00*27  \"bob\" 00*29");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v31), V31));
    }

    @Test
    void badDestinationIdIsAWireFormatError() {
        byte[] v = Hex.bytes("00 00 27 11  \"alice\" 00*28  62*33  00 00");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v), V32));
        byte[] v31 = Hex.bytes("00 00 27 11  \"alice\" 00*27  62*32");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v31), V31));
    }
}
