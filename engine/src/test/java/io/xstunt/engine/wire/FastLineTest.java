package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** FAST's log lines and refusal record (docs/PROTOCOL.md "FAST"), byte by byte. */
class FastLineTest {
    private static FastLine roundTrip(FastLine line) {
        byte[] b = line.encode();
        assertEquals(Protocol.EXT_LINE_MARK, b[0]);
        assertEquals('\n', b[b.length - 1]);
        String text = new String(b, 1, b.length - 2, StandardCharsets.UTF_8);
        assertEquals(FastLine.TAG, text.substring(0, 2));
        return FastLine.parse(text.substring(2));
    }

    @Test
    void theCapabilityCarriesThePunchPortAndTheFingerprintsClass() {
        assertArrayEquals(new byte[] {0x01, 'F', '1', ' ', '4', '0', '0', '0', '0', ' ', 'P', '0', '\n'},
                new FastLine.Capability(40000, true, 0).encode());
        for (FastLine.Capability c : new FastLine.Capability[] {new FastLine.Capability(1, true, 0),
            new FastLine.Capability(65535, false, 2), new FastLine.Capability(5000, false, Protocol.RANDOM_INCREMENT)}) {
            assertEquals(c, roundTrip(c));
        }
        assertEquals(" 5000 NR", new FastLine.Capability(5000, false, Protocol.RANDOM_INCREMENT).body());
        FastLine.Capability longest = new FastLine.Capability(65535, false, Integer.MAX_VALUE);
        assertTrue(longest.encode().length <= FastLine.CAPABILITY_MAX, longest.encode().length + " bytes");
    }

    @Test
    void theCapabilityOfAFingerprint() {
        Fingerprint f = new Fingerprint(10, 1, "alice", true, 1, 2, false);
        assertEquals(new FastLine.Capability(7, false, 2), FastLine.Capability.of(7, f));
    }

    @Test
    void theRequestAndTheFailOver() {
        assertArrayEquals("\u0001F1C bob 40001\n".getBytes(StandardCharsets.UTF_8),
                new FastLine.Connect("bob", 40001).encode());
        assertEquals(new FastLine.Connect("a b", 2), roundTrip(new FastLine.Connect("a b", 2)), "an ID with a space");
        assertEquals(new FastLine.FailOver(7, "no connection within 400 ms"),
                roundTrip(new FastLine.FailOver(7, "no connection within 400 ms")));
        assertEquals("X 7 a b", new FastLine.FailOver(7, "a\nb").body(), "one line");
    }

    @Test
    void portZeroSaysTheFingerprintOnly() {
        FastLine.Capability c = new FastLine.Capability(0, true, 0);
        assertArrayEquals("\u0001F1 0 P0\n".getBytes(StandardCharsets.UTF_8), c.encode());
        assertEquals(c, roundTrip(c));
    }

    @Test
    void theEndOfASession() {
        assertArrayEquals("\u0001F1D 7\n".getBytes(StandardCharsets.UTF_8), new FastLine.Done(7).encode());
        assertEquals(new FastLine.Done(7), roundTrip(new FastLine.Done(7)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " 00 P0", " -1 P0", " 65536 P0", " 40000", " 40000 Q0", " 40000 P", " x P0", "C bob", "C  1",
        "C bob 0", "X", "X seven", "D", "D seven", "D 1 2", "Z 1"})
    void anythingElseIsAWireFormatException(String body) {
        assertThrows(WireFormatException.class, () -> FastLine.parse(body));
    }

    @Test
    void theRefusalRecordIsAnEchoOfTheVariantMarkedFn() {
        for (WireVariant v : WireVariant.values()) {
            ByteBuffer b = new FastRefusal(-1, "bob").encode(v);
            assertEquals(v.echoSize(), b.remaining());
            assertEquals(0x46, b.get(6));
            assertEquals(0x4e, b.get(7));
            assertEquals(-1, b.getInt(8));
            assertTrue(FastRefusal.at(b));
            assertTrue(!FastGo.at(b) && !RelayNotice.at(b));
            assertEquals(new FastRefusal(-1, "bob"), FastRefusal.read(b, v));
            assertEquals(v.echoSize(), b.position());
        }
    }
}
