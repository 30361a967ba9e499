package io.xstunt.engine.loop;

import java.nio.ByteBuffer;

/**
 * The one read buffer of a loop, lent to whoever reads a socket on the loop's thread: so that a
 * connection keeps storage only for the bytes of a partial message, not a buffer per socket. A
 * nested loan (a read inside a read's callback) gets a buffer of its own, so one read never
 * overwrites another's bytes. Loop thread only.
 */
final class ReadBuffer {
    /** The buffer's least size: larger than any XSTUNT message, log lines included. */
    private static final int MIN_SIZE = 4096;

    private ByteBuffer buffer;
    private boolean lent;

    /** @return the buffer, cleared, with {@code capacity} bytes of room */
    ByteBuffer lend(int capacity) {
        if (lent) {
            return ByteBuffer.allocate(capacity);
        }
        if (buffer == null || buffer.capacity() < capacity) {
            // direct: the JDK reads a socket into it without copying through a buffer of its own
            buffer = ByteBuffer.allocateDirect(Math.max(capacity, MIN_SIZE));
        }
        lent = true;
        return buffer.clear().limit(capacity);
    }

    /** Takes back what {@link #lend} lent (a nested loan's own buffer is dropped). */
    void giveBack(ByteBuffer b) {
        if (b == buffer) {
            lent = false;
        }
    }
}
