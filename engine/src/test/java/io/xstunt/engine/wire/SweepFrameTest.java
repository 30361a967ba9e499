package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The birthday sweep's bytes, as docs/PROTOCOL.md ("Birthday sweep") shows them. */
class SweepFrameTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void framesAreTheDocumentedBytes() {
        assertEquals("50 08 03 01 01 00 04 00 01 f4", HEX.formatHex(SweepFrame.offer(
                new SweepFrame.Offer(true, true, 256, 1024, 500)).encode()));
        assertEquals("50 08 00 01 00 10 00 20 00 0a", HEX.formatHex(SweepFrame.offer(
                new SweepFrame.Offer(false, false, 16, 32, 10)).encode()));
        assertEquals("51 01 02", HEX.formatHex(SweepFrame.signal(SweepFrame.SIGNAL_PROBE_FIRST).encode()));
    }

    @Test
    void framesReadBackWholeOrNotAtAll() {
        SweepFrame.Offer o = new SweepFrame.Offer(true, false, 4096, 65535, 1);
        byte[] b = SweepFrame.offer(o).encode();
        ByteBuffer partial = ByteBuffer.wrap(b, 0, b.length - 1);
        assertNull(SweepFrame.tryRead(partial));
        assertEquals(0, partial.position(), "a partial frame is left as it is");
        assertEquals(o, SweepFrame.tryRead(ByteBuffer.wrap(b)).offer());
        assertEquals(3, SweepFrame.tryRead(ByteBuffer.wrap(SweepFrame.signal(3).encode())).code());
        assertTrue(SweepFrame.startsSweepFrame(ByteBuffer.wrap(new byte[] {0x51})));
        assertFalse(SweepFrame.startsSweepFrame(ByteBuffer.wrap(new byte[] {0x41})));
        assertThrows(WireFormatException.class, () -> SweepFrame.tryRead(ByteBuffer.wrap(new byte[] {1, 0})));
        assertThrows(WireFormatException.class, () -> new SweepFrame(SweepFrame.TAG_OFFER, new byte[3]).offer());
        assertThrows(WireFormatException.class, () -> new SweepFrame(SweepFrame.TAG_SIGNAL, new byte[0]).code());
        assertThrows(IllegalArgumentException.class, () -> new SweepFrame(0x41, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SweepFrame.Offer(true, true, 70000, 1, 1));
        assertFalse(RelayFrame.isRelayTag(SweepFrame.TAG_OFFER), "the server must not consume them");
    }
}
