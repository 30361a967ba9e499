package io.xstunt.engine.tcp;

import java.nio.ByteBuffer;

/**
 * The bytes of a partial message that a {@link TcpConnection}'s listener left, kept until the next
 * read completes it. Reads themselves go into the loop's one read buffer, so a connection holds
 * storage only while it has a partial message: storage that grows with it up to the inbound cap,
 * is released once empty if larger than {@link TcpConnection#KEPT_STORAGE}, and kept otherwise so
 * that a connection that often has a partial message does not allocate each time.
 */
final class InboundBuffer {
    /** The least storage allocated for a partial message (it grows to the inbound cap). */
    private static final int MIN_PARTIAL = 64;

    private final int max;
    /** Bytes kept (write mode); null while none were kept. */
    private ByteBuffer partial;

    /** @param max the inbound cap: the longest message the listener can be offered */
    InboundBuffer(int max) {
        this.max = max;
    }

    /** @return the inbound cap */
    int max() {
        return max;
    }

    /** @return bytes kept */
    int kept() {
        return partial == null ? 0 : partial.position();
    }

    /** @return the capacity of the storage held */
    int storageBytes() {
        return partial == null ? 0 : partial.capacity();
    }

    /** Copies the kept bytes to the front of {@code in} (cleared); they stay kept until {@link #consumed()}. */
    void prependTo(ByteBuffer in) {
        int n = kept();
        if (n > 0) {
            in.put(partial.array(), 0, n);
        }
    }

    /** A read brought more bytes: what was kept now lives in the read buffer. */
    void consumed() {
        if (partial != null) {
            partial.clear();
        }
    }

    /** Keeps what the listener left in {@code in} (read mode; {@code in} is not ours). */
    void keep(ByteBuffer in) {
        int left = in.remaining();
        if (left == 0) {
            if (partial != null && partial.capacity() > TcpConnection.KEPT_STORAGE) {
                partial = null;
            }
            return;
        }
        if (partial == null || partial.capacity() < left) {
            partial = ByteBuffer.allocate(Math.min(max, Math.max(MIN_PARTIAL, 2 * left)));
        }
        partial.put(in);
    }

    /** Drops everything (the connection is closed). */
    void release() {
        partial = null;
    }
}
