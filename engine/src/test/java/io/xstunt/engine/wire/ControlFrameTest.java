package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Control-channel frames: tag byte, length byte, payload. */
class ControlFrameTest {
    private static byte[] encode(ControlFrame f) {
        return Codec.encode(f.encodedLength(), f::write);
    }

    @Test
    void oneIsInt32OneLittleEndian() {
        ControlFrame one = ControlFrame.one();
        assertEquals("01 04 01 00 00 00", Hex.of(encode(one)));
        assertTrue(one.isOne());
        assertEquals(6, one.encodedLength());
    }

    @Test
    void anyFourByteOkCountsAsOne() {
        // The original checks only the length of a "one"; a big-endian sender's 00 00 00 01 passes too.
        ControlFrame f = ControlFrame.tryRead(ByteBuffer.wrap(Hex.bytes("01 04 00 00 00 01")));
        assertTrue(f.isOne());
        assertFalse(ControlFrame.tryRead(ByteBuffer.wrap(Hex.bytes("01 02 00 01"))).isOne());
        assertFalse(ControlFrame.tryRead(ByteBuffer.wrap(Hex.bytes("02 04 00 00 00 01"))).isOne());
    }

    @Test
    void addressFrameCarriesTheFourAddressBytes() {
        ControlFrame f = ControlFrame.address(0xCB007107); // 203.0.113.7
        assertEquals("01 04 cb 00 71 07", Hex.of(encode(f)));
        assertEquals(0xCB007107, Codec.decode(Hex.bytes("01 04 cb 00 71 07"), ControlFrame::tryRead).asAddress());
    }

    @Test
    void portFrameIsNetworkOrderAndUnsigned() {
        assertEquals("01 02 9c 40", Hex.of(encode(ControlFrame.port(40000))));
        assertEquals("01 02 ff ff", Hex.of(encode(ControlFrame.port(65535))));
        assertEquals(40000, Codec.decode(Hex.bytes("01 02 9c 40"), ControlFrame::tryRead).asPort());
        assertEquals(65535, Codec.decode(Hex.bytes("01 02 ff ff"), ControlFrame::tryRead).asPort());
    }

    @Test
    void addressAndPortAccessorsCheckTheFrame() {
        assertThrows(WireFormatException.class, () -> ControlFrame.port(1).asAddress());
        assertThrows(WireFormatException.class, () -> ControlFrame.address(1).asPort());
        assertThrows(WireFormatException.class, () -> ControlFrame.abort("ab").asPort());
        assertThrows(WireFormatException.class, () -> ControlFrame.abort("abcd").asAddress());
    }

    @Test
    void abortCarriesText() {
        ControlFrame f = ControlFrame.abort("no");
        assertEquals("02 02 6e 6f", Hex.of(encode(f)));
        assertEquals("no", Codec.decode(Hex.bytes("02 02 6e 6f"), ControlFrame::tryRead).text());
    }

    @Test
    void abortTextIsCutAt255Bytes() {
        ControlFrame f = ControlFrame.abort("x".repeat(300));
        assertEquals(255, f.payload().length);
        assertEquals("x".repeat(255), f.text());
        byte[] wire = encode(f);
        assertEquals(257, wire.length);
        assertEquals("02 ff 78", Hex.of(java.util.Arrays.copyOf(wire, 3)));
        ControlFrame exact = ControlFrame.abort("y".repeat(255));
        assertEquals(255, exact.payload().length);
    }

    @Test
    void ackAbortIsEmpty() {
        assertEquals("03 00", Hex.of(encode(ControlFrame.ackAbort())));
        ControlFrame f = Codec.decode(Hex.bytes("03 00"), ControlFrame::tryRead);
        assertEquals(ControlFrame.ackAbort(), f);
        assertEquals(Protocol.TAG_ACKABORT, f.tag());
    }

    @Test
    void payloadOver255IsRejectedAtConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new ControlFrame(Protocol.TAG_OK, new byte[256]));
        assertThrows(IllegalArgumentException.class, () -> new ControlFrame(4, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new ControlFrame(0, new byte[0]));
    }

    @Test
    void maximalPayloadRoundTrips() {
        byte[] payload = new byte[255];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        ControlFrame f = new ControlFrame(Protocol.TAG_OK, payload);
        byte[] wire = encode(f);
        assertEquals(0x01, wire[0]);
        assertEquals((byte) 0xff, wire[1]);
        assertEquals(f, Codec.decode(wire, ControlFrame::tryRead));
    }

    @Test
    void tryReadLeavesTheBufferUntouchedOnAPartialHeader() {
        ByteBuffer empty = ByteBuffer.allocate(0);
        assertNull(ControlFrame.tryRead(empty));
        ByteBuffer b = ByteBuffer.wrap(Hex.bytes("ee 01"));
        b.position(1);
        assertNull(ControlFrame.tryRead(b));
        assertEquals(1, b.position());
        assertEquals(2, b.limit());
    }

    @Test
    void tryReadLeavesTheBufferUntouchedOnAPartialPayload() {
        byte[] whole = Hex.bytes("01 04 01 00 00 00");
        for (int n = 0; n < whole.length; n++) {
            ByteBuffer b = ByteBuffer.wrap(java.util.Arrays.copyOf(whole, n));
            assertNull(ControlFrame.tryRead(b), "with " + n + " bytes");
            assertEquals(0, b.position(), "with " + n + " bytes");
        }
    }

    @Test
    void tryReadTakesOneFrameAtATime() {
        ByteBuffer b = ByteBuffer.wrap(Hex.bytes("01 04 01 00 00 00  01 04 7f 00 00 0c  01 02 b2 6e  03 00  02"));
        assertTrue(ControlFrame.tryRead(b).isOne());
        assertEquals(6, b.position());
        assertEquals(0x7F00000C, ControlFrame.tryRead(b).asAddress());
        assertEquals(45678, ControlFrame.tryRead(b).asPort());
        assertEquals(ControlFrame.ackAbort(), ControlFrame.tryRead(b));
        assertEquals(18, b.position());
        assertNull(ControlFrame.tryRead(b));
        assertEquals(18, b.position());
    }

    @ParameterizedTest
    @ValueSource(strings = {"00 00", "04 00", "ff 00", "00 ff 00"})
    void unknownTagIsAWireFormatError(String bytes) {
        assertThrows(WireFormatException.class, () -> ControlFrame.tryRead(ByteBuffer.wrap(Hex.bytes(bytes))));
    }

    @Test
    void equalityIsByContent() {
        assertEquals(ControlFrame.one(), ControlFrame.one());
        assertEquals(ControlFrame.one().hashCode(), ControlFrame.one().hashCode());
        assertFalse(ControlFrame.one().equals(ControlFrame.address(0x00000001)));
        assertArrayEquals(Hex.bytes("01 00 00 00"), ControlFrame.one().payload());
    }
}
