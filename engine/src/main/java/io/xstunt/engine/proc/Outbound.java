package io.xstunt.engine.proc;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * One connection's side of a {@link Procedure}'s output: the bytes to send on it, in order, and
 * whether it should close. The driver takes the bytes with {@link #pollTransmit()} and then acts on
 * {@link #closing()}. Not thread-safe: owned by the procedure's thread.
 */
public final class Outbound {
    /** Whether and how the connection should close. */
    public enum Closing {
        /** Keep it open. */
        OPEN,
        /** Close once the queued bytes are written. */
        AFTER_FLUSH,
        /** Close now; bytes not yet written are dropped. */
        NOW,
        /**
         * Close now with a reset (SO_LINGER 0): neither side keeps the connection in TIME_WAIT, so
         * its local port is free for the same remote again at once; bytes not yet written are dropped.
         */
        RESET
    }

    // Polled empty after every input: small, as Procedure's action queue (held once per client).
    private final ArrayDeque<ByteBuffer> transmit = new ArrayDeque<>(3);
    private Closing closing = Closing.OPEN;

    Outbound() {
    }

    /** Queues bytes (a buffer in read mode, owned by the driver from now on) to send. Ignored once closing. */
    public void send(ByteBuffer bytes) {
        if (closing == Closing.OPEN) {
            transmit.add(bytes);
        }
    }

    /** Queues bytes to send (the array is owned by the driver from now on). */
    public void send(byte[] bytes) {
        send(ByteBuffer.wrap(bytes));
    }

    /**
     * Queues bytes borrowed from the input being handled, without copying them: a relay's
     * per-message path, which would otherwise allocate a buffer per read. The borrowing rule: the
     * driver hands every polled buffer to the connection's send before the input call that
     * produced it returns (send writes what the socket takes and copies only the rest); what it has
     * not sent by then (the connection closed meanwhile) is dropped. A test polls the buffer
     * before it touches the input again.
     */
    public void forward(ByteBuffer borrowed) {
        send(borrowed);
    }

    /** @return the next bytes to send, or null; poll until null after every input */
    public ByteBuffer pollTransmit() {
        return transmit.poll();
    }

    /** @return true if bytes wait to be polled */
    public boolean hasTransmit() {
        return !transmit.isEmpty();
    }

    /** @return the bytes waiting to be polled */
    public int queuedBytes() {
        int n = 0;
        for (ByteBuffer b : transmit) {
            n += b.remaining();
        }
        return n;
    }

    /** Asks for a close once the queued bytes are written. */
    public void closeAfterFlush() {
        if (closing == Closing.OPEN) {
            closing = Closing.AFTER_FLUSH;
        }
    }

    /** Asks for a close now; bytes not yet polled are dropped. */
    public void closeNow() {
        closing = Closing.NOW;
        transmit.clear();
    }

    /** Asks for a close now with a reset ({@link Closing#RESET}); bytes not yet polled are dropped. */
    public void resetNow() {
        closing = Closing.RESET;
        transmit.clear();
    }

    /** @return whether and how the connection should close; read after polling every transmit */
    public Closing closing() {
        return closing;
    }

    /**
     * A new connection takes this number (its old one is closed): nothing queued, open. The
     * procedure calls it before it asks for the new connection.
     */
    public void reopen() {
        transmit.clear();
        closing = Closing.OPEN;
    }
}
