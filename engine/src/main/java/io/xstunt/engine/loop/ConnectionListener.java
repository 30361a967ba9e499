package io.xstunt.engine.loop;

import java.nio.ByteBuffer;

/** The events of a {@link TcpConnection}, delivered on the loop thread. */
public interface ConnectionListener {
    /** The outgoing connect completed (not called for accepted connections). */
    default void onConnected(TcpConnection c) {
    }

    /**
     * Bytes arrived. {@code in} is in read mode; consume what forms whole messages and leave the
     * rest, which is kept and offered again with more bytes (a decoder that lacks bytes returns
     * without consuming any). If the buffer is full and nothing is consumed, the connection is
     * closed as an oversized frame. If the listener replaces itself ({@link TcpConnection#listener(ConnectionListener)}),
     * the bytes it left are offered to the new listener at once.
     */
    void onRead(TcpConnection c, ByteBuffer in);

    /**
     * The connection is closed: by the peer (cause null, after the last {@link #onRead}), by an
     * error, or by {@link TcpConnection#close}. Called exactly once, except after {@link TcpConnection#detach}.
     */
    void onClosed(TcpConnection c, Throwable cause);
}
