package io.xstunt.engine.net;

import java.net.InetSocketAddress;

/** A listening socket on a {@link Network}. */
public interface Acceptor {
    /** @return the bound address (with the real port if a fresh one was asked) */
    InetSocketAddress address();

    /** Stops listening and releases the port. Idempotent. */
    void close();

    /** @return true once closed */
    boolean isClosed();
}
