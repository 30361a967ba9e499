package io.xstunt.engine.net;

import java.nio.ByteBuffer;

/** The events of a {@link Connection}, delivered on its network's thread. */
public interface ConnectionListener {
    /** A listener for connections whose owner has let go of them: drops bytes, ignores the close. */
    ConnectionListener DISCARD = new ConnectionListener() {
        @Override
        public void onRead(Connection c, ByteBuffer in) {
            in.position(in.limit());
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
        }
    };

    /** The outgoing connect completed (never for accepted connections). */
    default void onConnected(Connection c) {
    }

    /**
     * Everything queued for the peer has been written to the socket, after some had to wait
     * ({@link Connection#pendingOutbound()} went from above 0 to 0): a relay that stopped reading
     * the other side because of this connection may read again. Never called for a send that the
     * socket took at once.
     */
    default void onDrained(Connection c) {
    }

    /**
     * Bytes arrived. {@code in} is in read mode; consume what forms whole messages and leave the
     * rest, which is kept and offered again with more bytes (a decoder that lacks bytes returns
     * without consuming any). If the buffer is full and nothing is consumed, the connection is
     * closed as an oversized frame. {@code in} belongs to the network: do not keep it.
     */
    void onRead(Connection c, ByteBuffer in);

    /**
     * The connection is closed: by the peer (cause null, after the last {@link #onRead}), by an
     * error, or by {@link Connection#close}. Called exactly once, except after
     * {@link Connection#closeSilently} and {@link Connection#handOver}.
     */
    void onClosed(Connection c, Throwable cause);
}
