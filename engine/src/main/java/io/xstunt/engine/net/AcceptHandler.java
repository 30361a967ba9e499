package io.xstunt.engine.net;

/** Receives the connections that arrive on an {@link Acceptor}. */
@FunctionalInterface
public interface AcceptHandler {
    /**
     * A connection arrived; the handler must {@link Incoming#adopt adopt} or
     * {@link Incoming#refuse refuse} it before it returns.
     */
    void onAccept(Acceptor acceptor, Incoming connection);
}
