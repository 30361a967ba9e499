package io.xstunt.engine.server;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The start of a connection's stream that a procedure took in but has not read: bytes that arrived
 * while it could not read them yet (at most {@code max}), then, once it reads them, those that do
 * not form a whole message yet. They are read ahead of the next input, joined to it, so that a
 * message begun in them and ended in the input is read whole. Not thread-safe.
 */
final class HeldBytes {
    private final int max;
    /** Read mode; null when nothing is held. */
    private ByteBuffer held;

    /** @param max the most bytes {@link #hold} takes in all */
    HeldBytes(int max) {
        this.max = max;
    }

    /** @return true if no bytes are held */
    boolean isEmpty() {
        return held == null;
    }

    /**
     * Takes all of {@code in}, behind the bytes held already.
     *
     * @return false, taking nothing, if more than {@code max} bytes would then be held
     */
    boolean hold(ByteBuffer in) {
        int kept = held == null ? 0 : held.remaining();
        if (kept + in.remaining() > max) {
            return false;
        }
        if (in.hasRemaining()) {
            held = join(held, in);
        }
        return true;
    }

    /**
     * Offers the held bytes followed by {@code in} to {@code reader}, which consumes what forms whole
     * messages (and may {@link #hold} the rest meanwhile). Of the held bytes, those it leaves stay
     * held; of {@code in}, those it leaves stay in {@code in}, as if the held bytes had not been there.
     */
    void readAhead(ByteBuffer in, Consumer<ByteBuffer> reader) {
        if (held == null) {
            reader.accept(in);
            return;
        }
        int heldBytes = held.remaining();
        ByteBuffer joined = join(held, in.duplicate());
        held = null;
        reader.accept(joined);
        int consumed = joined.position();
        if (consumed < heldBytes) {
            held = joined.slice(consumed, heldBytes - consumed);
        } else {
            in.position(in.position() + consumed - heldBytes);
        }
    }

    /** @return a new buffer, in read mode, with {@code a}'s bytes (if any) then {@code b}'s; consumes both */
    private static ByteBuffer join(ByteBuffer a, ByteBuffer b) {
        ByteBuffer j = ByteBuffer.allocate((a == null ? 0 : a.remaining()) + b.remaining());
        if (a != null) {
            j.put(a);
        }
        return j.put(b).flip();
    }
}
