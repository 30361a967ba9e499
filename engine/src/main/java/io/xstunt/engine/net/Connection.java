package io.xstunt.engine.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.function.Consumer;

/**
 * A TCP connection on a {@link Network}, driven by that network's thread: bytes read go to its
 * {@link ConnectionListener}; bytes sent are written at once and what the socket does not take
 * waits in a bounded outbound buffer. Every method runs on the network's thread.
 */
public interface Connection {
    /**
     * Writes what the socket takes now and queues the rest (copied: {@code src} may be reused as
     * soon as this returns). Consumes all of {@code src}, unless the connection is closed, closing,
     * or fails here (more than its outbound cap would be queued: it closes with that cause).
     */
    void send(ByteBuffer src);

    /** Closes once the queued bytes are written (at once if none are); the listener hears the close. */
    void closeAfterFlush();

    /** Closes now; the listener hears it (cause null). */
    void close();

    /**
     * Closes now with a reset (SO_LINGER 0) instead of a FIN: neither side keeps a TIME_WAIT; bytes
     * not yet written are dropped. The listener hears the close (cause null).
     */
    void reset();

    /** Closes now without telling the listener. */
    void closeSilently();

    /** @return true once closed (or handed over) */
    boolean isClosed();

    /** @return true once connected and until closed */
    boolean isOpen();

    /** @return bytes queued for the peer that the socket has not taken yet */
    int pendingOutbound();

    /**
     * Stops ({@code false}) or resumes ({@code true}) reading. While off, arriving bytes stay in the
     * socket, so TCP's window slows the peer's sender (a relay's backpressure); on again, what
     * arrived meanwhile is offered. A new connection reads. Idempotent.
     *
     * @throws UnsupportedOperationException on a network that cannot hold bytes back
     */
    default void reading(boolean on) {
        throw new UnsupportedOperationException("reading on/off is not supported by " + this);
    }

    /** @return the local address (known once bound: for a connect, at once) */
    InetSocketAddress localAddress();

    /** @return the remote address once connected, else null */
    InetSocketAddress remoteAddress();

    /** @return who hears this connection's events */
    ConnectionListener listener();

    /**
     * Hands the connection's events to {@code l}. Called while a read is being offered, the bytes
     * the old listener left are offered to {@code l} at once, in the same read; otherwise they wait
     * for the next bytes to arrive.
     */
    void listener(ConnectionListener l);

    /**
     * Reads what has already arrived without waiting for the network to report it (for a
     * protocol whose peer speaks first: call it right after adopting an accepted connection).
     */
    void readNow();

    /**
     * Takes the connection off the network for the application to own, as a blocking channel.
     * The listener hears nothing more. Bytes read but not consumed are lost: call it only on a
     * connection that has received nothing yet.
     *
     * @param onDone gets the channel (on the network's thread)
     * @param onError gets the failure if it cannot be handed over (the connection is then closed)
     */
    void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError);

    /**
     * Offers bytes read to {@code c}'s listener as {@link #listener(ConnectionListener)} promises:
     * a listener that hands the connection over within {@code onRead} leaves the rest for the next
     * one now, not when more bytes happen to arrive (they may never: the peer waits for an answer).
     * Every {@link Network}'s connections read through here, so real and simulated ones keep the
     * same contract.
     *
     * @param in the bytes read, flipped; on return what no listener consumed
     * @param cap the most bytes a read may hold (the inbound cap)
     * @return true if the connection is still open and the listener took nothing from a read
     *     already at the cap: a message larger than the cap, which can never complete
     */
    static boolean offer(Connection c, ByteBuffer in, int cap) {
        int before;
        ConnectionListener offered;
        do {
            offered = c.listener();
            before = in.remaining();
            offered.onRead(c, in);
        } while (!c.isClosed() && c.listener() != offered && in.hasRemaining());
        return !c.isClosed() && in.remaining() == before && in.limit() == cap;
    }
}
