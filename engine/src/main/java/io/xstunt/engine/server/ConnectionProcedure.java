package io.xstunt.engine.server;

import java.nio.ByteBuffer;

/**
 * A server procedure on one TCP connection, without I/O: fed "opened", bytes, "timer fired" and
 * "closed" with the loop's time; after each input its {@link #output()} says what to send, when to
 * be woken and whether to close. {@link ProcedureBinding} binds it to a TcpConnection.
 */
interface ConnectionProcedure {
    /** @return the output polled after every input */
    ProcedureOutput output();

    /** The connection was accepted. */
    void onOpen(long nowNs);

    /** Bytes arrived ({@code in} in read mode): consume whole messages, leave a partial one. */
    void onBytes(ByteBuffer in, long nowNs);

    /** The deadline of {@link #output()} passed (or a timer fired a little early: check it). */
    void onTimeout(long nowNs);

    /** The connection is closed, whoever closed it. Called once. */
    void onClosed(long nowNs);
}
