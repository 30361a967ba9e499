package io.xstunt.engine.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * The bytes a {@link TcpConnection}'s socket did not take yet, bounded by the outbound cap. It
 * exists only while a write could not complete; storage larger than
 * {@link TcpConnection#KEPT_STORAGE} is released once written, smaller storage is kept so that a
 * connection to a slow reader does not allocate for each write.
 */
final class OutboundBuffer {
    private final int max;
    /** Unwritten bytes (read mode); null until a write could not complete. */
    private ByteBuffer out;

    /** @param max the most bytes queued for a peer that does not read */
    OutboundBuffer(int max) {
        this.max = max;
    }

    /** @return bytes waiting */
    int pending() {
        return out == null ? 0 : out.remaining();
    }

    /** @return the capacity of the storage held */
    int storageBytes() {
        return out == null ? 0 : out.capacity();
    }

    /**
     * Queues all of {@code src} (copied).
     *
     * @throws IOException if that would queue more than the cap (nothing is queued)
     */
    void add(ByteBuffer src) throws IOException {
        int pending = pending();
        int need = pending + src.remaining();
        if (need > max) {
            throw new IOException("peer does not read: " + need + " bytes would be queued, limit " + max);
        }
        if (out == null || out.capacity() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(max, Math.max(TcpConnection.KEPT_STORAGE, need * 2)));
            if (out != null) {
                bigger.put(out);
            }
            out = bigger.put(src).flip();
        } else {
            out.compact().put(src).flip();
        }
    }

    /**
     * Writes what {@code channel} takes.
     *
     * @return true if nothing is left
     */
    boolean flush(WritableByteChannel channel) throws IOException {
        if (out == null) {
            return true;
        }
        channel.write(out);
        if (out.hasRemaining()) {
            return false;
        }
        if (out.capacity() > TcpConnection.KEPT_STORAGE) {
            out = null;
        } else {
            out.clear().limit(0);
        }
        return true;
    }
}
