package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldBytesTest {
    private static ByteBuffer bytes(int... b) {
        ByteBuffer buf = ByteBuffer.allocate(b.length);
        for (int x : b) {
            buf.put((byte) x);
        }
        return buf.flip();
    }

    private static byte[] rest(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    @Test
    void holdsUpToItsBoundAndNotAByteMore() {
        HeldBytes h = new HeldBytes(4);
        assertTrue(h.isEmpty());
        assertTrue(h.hold(bytes(1, 2, 3)));
        ByteBuffer two = bytes(4, 5);
        assertFalse(h.hold(two), "5 bytes in all");
        assertEquals(2, two.remaining(), "nothing taken of a refused input");
        assertTrue(h.hold(bytes(4)));
        assertTrue(h.hold(bytes()), "nothing to hold is no overflow");
        List<byte[]> offered = new ArrayList<>();
        h.readAhead(bytes(), b -> {
            offered.add(rest(b));
            b.position(b.limit());
        });
        assertArrayEquals(new byte[] {1, 2, 3, 4}, offered.get(0));
        assertTrue(h.isEmpty());
    }

    @Test
    void aMessageBegunInTheHeldBytesIsReadWholeWithTheInput() {
        HeldBytes h = new HeldBytes(8);
        h.hold(bytes(1, 2, 3));
        ByteBuffer in = bytes(4, 5, 6, 7);
        h.readAhead(in, b -> b.position(b.position() + 5)); // a 5-byte message
        assertTrue(h.isEmpty());
        assertArrayEquals(new byte[] {6, 7}, rest(in), "the input's unread bytes stay in it");
    }

    @Test
    void heldBytesTheReaderLeavesStayHeldAndTheInputIsUntouched() {
        HeldBytes h = new HeldBytes(8);
        h.hold(bytes(1, 2, 3));
        ByteBuffer in = bytes(4);
        h.readAhead(in, b -> b.position(b.position() + 1));
        assertEquals(1, in.remaining(), "the input is offered again with more bytes");
        List<byte[]> offered = new ArrayList<>();
        h.readAhead(in, b -> offered.add(rest(b)));
        assertArrayEquals(new byte[] {2, 3, 4}, offered.get(0), "the first byte was read, the rest still held");
    }

    @Test
    void aReaderThatHoldsEverythingAgainKeepsItAll() {
        HeldBytes h = new HeldBytes(8);
        h.hold(bytes(1, 2));
        ByteBuffer in = bytes(3, 4);
        h.readAhead(in, b -> assertTrue(h.hold(b)));
        assertFalse(in.hasRemaining());
        List<byte[]> offered = new ArrayList<>();
        h.readAhead(bytes(), b -> offered.add(rest(b)));
        assertArrayEquals(new byte[] {1, 2, 3, 4}, offered.get(0));
    }

    @Test
    void withNothingHeldTheInputIsOfferedItself() {
        HeldBytes h = new HeldBytes(8);
        ByteBuffer in = bytes(9);
        ByteBuffer[] seen = new ByteBuffer[1];
        h.readAhead(in, b -> seen[0] = b);
        assertSame(in, seen[0], "no copy when nothing is held");
    }
}
