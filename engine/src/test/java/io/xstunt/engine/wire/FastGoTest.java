package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FAST's go record: its bytes, both wire variants, and what it refuses. */
class FastGoTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @ParameterizedTest
    @EnumSource(WireVariant.class)
    void goIsAnEchoSizedRecordMarkedInItsPadding(WireVariant variant) {
        // 203.0.113.2:40000, session 7, wait 1 ms, period 127 ms, to the initiator, peer "bob"
        FastGo go = new FastGo(0xcb007102, 40000, 7, 1_000_000, 127_000_000, true, "bob");
        ByteBuffer b = go.encode(variant);
        assertEquals(variant.echoSize(), b.remaining());
        assertEquals("cb 00 71 02 9c 40 46 47 00 00 00 07 00 20 0f 81 43 00 00 00 62 6f 62 00",
                HEX.formatHex(b.array(), 0, 24));
        for (int i = 24; i < variant.echoSize(); i++) {
            assertEquals(0, b.get(i), "byte " + i);
        }
        assertTrue(FastGo.at(b));
        assertFalse(FastGo.at(ByteBuffer.allocate(variant.echoSize())), "a keepalive is no go");
        assertFalse(RelayNotice.at(b), "nor is a go a relay notice");
        FastGo back = FastGo.read(b, variant);
        assertEquals(variant.echoSize(), b.position(), "the whole record is read");
        // times travel in 32 us units, rounded up: 1 ms is 32 units (1.024 ms), 127 ms is 3969 (127.008 ms)
        assertEquals(new FastGo(0xcb007102, 40000, 7, 1_024_000, 127_008_000, true, "bob"), back);
    }

    @Test
    void theLongestIdOfEachVariantFits() {
        for (WireVariant v : WireVariant.values()) {
            String id = "x".repeat(v.maxIdLen());
            FastGo go = new FastGo(1, 2, 3, 0, FastGo.TIME_UNIT_NS, false, id);
            assertEquals(id, FastGo.read(go.encode(v), v).peerId(), v.name());
        }
    }

    @Test
    void refusesWhatTheWireCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> new FastGo(1, 0, 1, 0, 1, true, "a"));
        assertThrows(IllegalArgumentException.class, () -> new FastGo(1, 65536, 1, 0, 1, true, "a"));
        assertThrows(IllegalArgumentException.class, () -> new FastGo(1, 2, 1, -1, 1, true, "a"));
        assertThrows(IllegalArgumentException.class, () -> new FastGo(1, 2, 1, FastGo.MAX_TIME_NS + 1, 1, true, "a"));
        assertThrows(IllegalArgumentException.class, () -> new FastGo(1, 2, 1, 0, 0, true, "a"));
    }

    @Test
    void aBrokenRecordIsAWireFormatError() {
        WireVariant v = WireVariant.ID32;
        ByteBuffer noRole = new FastGo(1, 2, 3, 0, FastGo.TIME_UNIT_NS, true, "a").encode(v);
        noRole.put(16, (byte) 0);
        assertThrows(WireFormatException.class, () -> FastGo.read(noRole, v));
        ByteBuffer portZero = new FastGo(1, 2, 3, 0, FastGo.TIME_UNIT_NS, true, "a").encode(v);
        portZero.putShort(4, (short) 0);
        assertThrows(WireFormatException.class, () -> FastGo.read(portZero, v));
        ByteBuffer noNul = new FastGo(1, 2, 3, 0, FastGo.TIME_UNIT_NS, true, "a").encode(v);
        for (int i = 20; i < v.echoSize(); i++) {
            noNul.put(i, (byte) 'x');
        }
        assertThrows(WireFormatException.class, () -> FastGo.read(noNul, v));
    }
}
