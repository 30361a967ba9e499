package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The relay extension's bytes, as docs/PROTOCOL.md ("Relay") shows them. */
class RelayFrameTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void framesAreTheDocumentedBytes() {
        assertEquals("41 02 01 01", HEX.formatHex(RelayFrame.hello(RelayFrame.Mode.RELAY_ALLOWED, true, 0).encode()));
        assertEquals("41 06 00 00 00 00 00 07",
                HEX.formatHex(RelayFrame.hello(RelayFrame.Mode.DIRECT_ONLY, false, 7).encode()));
        assertEquals("42 04 03 0c 00 0c", HEX.formatHex(RelayFrame.gaveUp(RelayFrame.TAG_REQUEST,
                RelayFrame.Reason.PUNCH_TIMED_OUT, 12).encode()));
        assertEquals("42 04 05 ff 04 00", HEX.formatHex(RelayFrame.gaveUp(RelayFrame.TAG_REQUEST,
                RelayFrame.Reason.SWEEP_MISSED, 1024).encode()), "the byte is capped, the UINT16 is the count");
        assertEquals("45 14 03 0c 00 0c 00 00 00 02 00 00 00 00 00 01 51 80 01 00 00 00",
                HEX.formatHex(RelayFrame.start(RelayFrame.Reason.PUNCH_TIMED_OUT, 12,
                        new RelayFrame.Limits(8L << 30, 86400, 16 << 20)).encode()));
        assertEquals("44 00", HEX.formatHex(RelayFrame.empty(RelayFrame.TAG_READY).encode()));
    }

    @Test
    void framesReadBackWholeOrNotAtAll() {
        byte[] start = RelayFrame.start(RelayFrame.Reason.BOTH_RANDOM, 0, new RelayFrame.Limits(5, 6, 7)).encode();
        ByteBuffer partial = ByteBuffer.wrap(start, 0, start.length - 1);
        assertNull(RelayFrame.tryRead(partial));
        assertEquals(0, partial.position(), "a partial frame is left as it is");
        RelayFrame f = RelayFrame.tryRead(ByteBuffer.wrap(start));
        assertEquals(new RelayFrame.Limits(5, 6, 7), f.limits());
        assertEquals("both NATs random-symmetric", f.reason().describe(f.attempts()));
        assertEquals("punch timed out after 3 tries", RelayFrame.Reason.PUNCH_TIMED_OUT.describe(3));
        assertEquals("birthday sweep missed after 1024 probes", RelayFrame.Reason.SWEEP_MISSED.describe(1024));
        RelayFrame wide = RelayFrame.tryRead(ByteBuffer.wrap(RelayFrame.start(RelayFrame.Reason.SWEEP_MISSED, 1000,
                new RelayFrame.Limits(0, 0, 0)).encode()));
        assertEquals(1000, wide.attempts(), "START's count past 255");
        assertEquals(RelayFrame.Reason.SWEEP_MISSED, wide.reason());
        RelayFrame old = new RelayFrame(RelayFrame.TAG_REQUEST, new byte[] {3, 7});
        assertEquals(7, old.attempts(), "a REQUEST of two bytes (before the sweep) reads its one byte");
        RelayFrame h = RelayFrame.tryRead(ByteBuffer.wrap(RelayFrame.hello(RelayFrame.Mode.RELAY_ONLY, false, 9)
                .encode()));
        assertEquals(RelayFrame.Mode.RELAY_ONLY, h.mode());
        assertFalse(h.randomNat());
        assertEquals(9, h.session());
        assertThrows(WireFormatException.class, () -> RelayFrame.tryRead(ByteBuffer.wrap(new byte[] {1, 0})));
        assertThrows(WireFormatException.class, () -> new RelayFrame(RelayFrame.TAG_HELLO, new byte[1]).limits());
        assertTrue(RelayFrame.startsRelayFrame(ByteBuffer.wrap(new byte[] {0x44})));
        assertFalse(RelayFrame.startsRelayFrame(ByteBuffer.wrap(new byte[] {1})));
    }

    @ParameterizedTest
    @EnumSource(WireVariant.class)
    void noticeIsAnAllZeroRecordToAnOlderClientAndReadsBack(WireVariant variant) {
        ByteBuffer b = new RelayNotice(3, RelayNotice.End.BYTES_LIMIT, 100, 200).encode(variant);
        assertEquals(variant.echoSize(), b.remaining());
        assertEquals("00 00 00 00 00 00 52 45 00 00 00 03 03 00 00 00 00 00 00 00 00 00 00 64"
                + " 00 00 00 00 00 00 00 c8", HEX.formatHex(b.array(), 0, 32));
        Echo asOld = Echo.read(b.duplicate(), variant);
        assertTrue(asOld.hasNoAddress(), "an older client takes it for a keepalive");
        assertTrue(RelayNotice.at(b));
        assertFalse(RelayNotice.at(ByteBuffer.allocate(variant.echoSize())), "a keepalive is no notice");
        assertEquals(new RelayNotice(3, RelayNotice.End.BYTES_LIMIT, 100, 200), RelayNotice.read(b, variant));
        assertEquals(variant.echoSize(), b.position(), "the whole record is read");
    }

    @ParameterizedTest
    @EnumSource(WireVariant.class)
    void announcementFlagsSitInThePaddingAnOriginalClientNeverReads(WireVariant variant) {
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize());
        new Echo(1, 2, 3, "bob", 4, Protocol.ROLE_LISTENER).write(b, variant);
        RelayFrame.writeAnnouncementFlags(b, 0, RelayFrame.ANNOUNCE_RELAY);
        b.flip();
        assertEquals(RelayFrame.ANNOUNCE_RELAY, RelayFrame.announcementFlags(b));
        assertEquals(new Echo(1, 2, 3, "bob", 4, Protocol.ROLE_LISTENER), Echo.read(b, variant),
                "the Echo reads the same");
    }
}
