package io.xstunt.engine.net;

import java.io.IOException;
import java.net.InetSocketAddress;

/** A connection that arrived on an {@link Acceptor}, not yet adopted. */
public interface Incoming {
    /** @return where it comes from, or null if it is gone already (adopting it then fails) */
    InetSocketAddress remoteAddress();

    /**
     * Takes the connection on.
     *
     * @param listener who hears its events
     * @param maxInbound the longest message the listener can be offered (the inbound cap)
     * @param maxOutbound the most bytes queued for a peer that does not read
     * @param options socket options to set: {@link SocketSpec#noDelay()}, {@link SocketSpec#sendBuffer()}
     *     (address and port are ignored)
     * @throws IOException if it cannot be taken on (it is closed)
     */
    Connection adopt(ConnectionListener listener, int maxInbound, int maxOutbound, SocketSpec options)
            throws IOException;

    /** Closes it without taking it on. */
    void refuse();

    /**
     * Keeps it undecided past the accept handler's return: the holder adopts, refuses or hands it
     * over later, on the network's thread (FAST's punch port: a peer's connection that came before
     * the go that it belongs to). Until then its bytes wait in the kernel.
     */
    void keep();

    /**
     * Hands it, never adopted, to the application as a blocking channel (a punch's accepted
     * connection that won).
     *
     * @param onDone gets the channel (on the network's thread)
     * @param onError gets the failure if it cannot be handed over (it is then closed)
     */
    void handOver(java.util.function.Consumer<java.nio.channels.ByteChannel> onDone,
                  java.util.function.Consumer<IOException> onError);
}
