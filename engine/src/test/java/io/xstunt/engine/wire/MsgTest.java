package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code struct Msg { INT32 nType; union { struct { CHAR chSrcID[33]; CHAR chDstID[33]; } Connection;
 * CHAR chID[33]; } Data; }}: nType 0, chSrcID (and chID) 4..36, chDstID 37..69, 2 pad bytes: 72.
 */
class MsgTest {
    /** MSG_CONNECT (10001 = 0x2711) from "alice" to "bob". */
    static final String CONNECT = """
            00 00 27 11
            "alice" 00*28
            "bob" 00*30
            00 00
            """;
    static final String DEREGISTER = "00 00 27 12  \"alice\" 00*28  00*33  00 00";
    static final String QUERY = "00 00 27 13  \"bob\" 00*30  00*33  00 00";

    @Test
    void sizeAndOffsets() {
        assertEquals(72, Msg.SIZE);
        assertEquals(0, Msg.OFF_TYPE);
        assertEquals(4, Msg.OFF_UNION);
        assertEquals(72, Hex.bytes(CONNECT).length);
        assertEquals(72, Hex.bytes(DEREGISTER).length);
        assertEquals(72, Hex.bytes(QUERY).length);
    }

    @Test
    void aTokenGoesAfterTheStructWithXtInThePadBytes() {
        Codec.roundTrip("00 00 27 11  \"alice\" 00*28  \"bob\" 00*30  58 54  01 02 03 04 05 06 07 08",
                Msg.connect("alice", "bob").withToken(0x0102030405060708L), Msg::write, Msg::read);
        Codec.roundTrip("00 00 27 12  \"alice\" 00*28  00*33  58 54  ff 00 00 00 00 00 00 01",
                Msg.deregister("alice").withToken(0xff00000000000001L), Msg::write, Msg::read);
        assertEquals(80, Msg.connect("a", "b").withToken(7).encodedSize());
        assertEquals(72, Msg.encodedSizeAt(ByteBuffer.wrap(Hex.bytes(CONNECT))));
        assertEquals(80, Msg.encodedSizeAt(ByteBuffer.wrap(Hex.bytes(CONNECT.replace("00 00\n", "58 54\n")))));
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(Hex.bytes(
                DEREGISTER.substring(0, DEREGISTER.length() - 5) + "58 54  00*8"))), "a zero token is malformed");
    }

    @Test
    void connectRoundTrip() {
        Msg m = Msg.connect("alice", "bob");
        assertEquals(new Msg(10001, "alice", "bob"), m);
        Codec.roundTrip(CONNECT, m, Msg::write, Msg::read);
    }

    @Test
    void deregisterRoundTrip() {
        Msg m = Msg.deregister("alice");
        assertEquals(new Msg(10002, "alice", ""), m);
        Codec.roundTrip(DEREGISTER, m, Msg::write, Msg::read);
    }

    @Test
    void queryRoundTrip() {
        Msg m = Msg.query("bob");
        assertEquals(new Msg(10003, "bob", ""), m);
        Codec.roundTrip(QUERY, m, Msg::write, Msg::read);
    }

    @Test
    void singleIdMessagesIgnoreTheRestOfTheUnion() {
        // An original client may leave stack garbage after chID; only chID counts.
        byte[] v = Hex.bytes("00 00 27 13  \"bob\" 00*30  ee*33  ee ee");
        assertEquals(Msg.query("bob"), Codec.decode(v, Msg::read));
    }

    @Test
    void connectWithMaximalIds() {
        String a = "a".repeat(32);
        String b = "b".repeat(32);
        Codec.roundTrip("00 00 27 11  61*32 00  62*32 00  00 00", Msg.connect(a, b), Msg::write, Msg::read);
    }

    @ParameterizedTest
    @ValueSource(strings = {"00 00 00 00", "00 00 27 10", "00 00 27 14", "11 27 00 00", "ff ff ff ff"})
    void unknownTypeIsAWireFormatError(String type) {
        byte[] v = Hex.bytes(type + " \"alice\" 00*28  \"bob\" 00*30  00 00");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v)));
    }

    @Test
    void badDestinationIdIsAWireFormatError() {
        byte[] v = Hex.bytes("00 00 27 11  \"alice\" 00*28  62*33  00 00");
        assertThrows(WireFormatException.class, () -> Msg.read(ByteBuffer.wrap(v)));
    }
}
