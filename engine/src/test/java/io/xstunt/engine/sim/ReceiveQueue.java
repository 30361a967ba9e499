package io.xstunt.engine.sim;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;

/**
 * A socket's receive side: segments put back in order (one that arrives after a later one, because
 * a link lost it and it was sent again, waits for the gap to fill), the bytes the application has
 * not read yet, and the peer's FIN once every byte before it is in. Offsets count payload bytes
 * from the start of the stream.
 */
final class ReceiveQueue {
    private final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    private final ArrayDeque<ByteBuffer> unread = new ArrayDeque<>();
    private long next;
    private long finAt = -1;
    private boolean finReached;
    private int available;

    /**
     * Takes a segment's payload at stream offset {@code offset}, with {@code fin} if it carries one.
     *
     * @return true if bytes or the FIN became readable in order
     */
    boolean accept(long offset, byte[] payload, boolean fin) {
        if (fin) {
            finAt = offset + payload.length;
        }
        if (payload.length > 0 && offset + payload.length > next) {
            outOfOrder.merge(offset, payload, (a, b) -> a.length >= b.length ? a : b);
        }
        boolean progress = false;
        Map.Entry<Long, byte[]> e;
        while ((e = outOfOrder.firstEntry()) != null && e.getKey() <= next) {
            outOfOrder.pollFirstEntry();
            long end = e.getKey() + e.getValue().length;
            if (end > next) {
                int skip = (int) (next - e.getKey());
                unread.add(ByteBuffer.wrap(e.getValue(), skip, e.getValue().length - skip));
                available += e.getValue().length - skip;
                next = end;
                progress = true;
            }
        }
        if (!finReached && finAt >= 0 && next == finAt) {
            finReached = true;
            progress = true;
        }
        return progress;
    }

    /** @return the offset of the first byte not received in order (what the ACK acknowledges) */
    long next() {
        return next;
    }

    /** @return true once the FIN and every byte before it are in */
    boolean finReached() {
        return finReached;
    }

    /** @return bytes the application can read */
    int available() {
        return available;
    }

    /** @return true if the application has read everything up to the FIN */
    boolean atEof() {
        return finReached && available == 0;
    }

    /** Moves readable bytes into {@code dst}. @return how many */
    int read(ByteBuffer dst) {
        int n = 0;
        ByteBuffer b;
        while (dst.hasRemaining() && (b = unread.peek()) != null) {
            int k = Math.min(dst.remaining(), b.remaining());
            int limit = b.limit();
            b.limit(b.position() + k);
            dst.put(b);
            b.limit(limit);
            n += k;
            if (!b.hasRemaining()) {
                unread.poll();
            }
        }
        available -= n;
        return n;
    }
}
