package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The connect attempts of one {@link PunchRace} (RACE's in {@link RendezvousIo}, FAST's in
 * {@link FastIo}): each a socket bound to the punch port (SO_REUSEADDR, SO_REUSEPORT) connecting
 * to the peer, kept by attempt number until it completes, fails or is closed. Network thread only.
 */
final class PunchAttempts {
    /** Where an attempt's outcome goes: the race's {@link PunchRace#handleConnectResult}. */
    @FunctionalInterface
    interface Results {
        void result(int attempt, boolean connected, String failure);
    }

    private final Network network;
    private final InetAddress localAddress;
    private final Results results;
    private final Map<Integer, Connection> open = new HashMap<>();

    PunchAttempts(Network network, InetAddress localAddress, Results results) {
        this.network = network;
        this.localAddress = localAddress;
        this.results = results;
    }

    /** Opens attempt {@code attempt} from {@code localPort} to {@code peer}; its outcome goes to the results. */
    void connect(int attempt, int localPort, InetSocketAddress peer) {
        try {
            Connection t = network.connect(SocketSpec.shared(localAddress, localPort, true), peer,
                    new ConnectionListener() {
                        @Override
                        public void onConnected(Connection c) {
                            results.result(attempt, true, null);
                        }

                        @Override
                        public void onRead(Connection c, ByteBuffer in) {
                            // never reached: the winner is handed over in onConnected, before any read
                        }

                        @Override
                        public void onClosed(Connection c, Throwable cause) {
                            if (open.remove(attempt, c)) {
                                results.result(attempt, false, cause == null ? "closed" : cause.toString());
                            }
                        }
                    });
            if (!t.isClosed() && !open.containsKey(attempt)) {
                // a connect that completed at once reported before it was recorded: record it for the winner
                open.put(attempt, t);
            }
        } catch (IOException | RuntimeException e) {
            results.result(attempt, false, e.toString());
        }
    }

    /** @return attempt {@code attempt}'s connection, no longer kept here (the winner, or one to close), or null */
    Connection take(int attempt) {
        return open.remove(attempt);
    }

    /** Closes attempt {@code attempt} if it is still open. */
    void close(int attempt) {
        Connection t = open.remove(attempt);
        if (t != null) {
            t.closeSilently();
        }
    }

    /** Closes every attempt still open. */
    void closeAll() {
        for (Connection t : open.values()) {
            t.closeSilently();
        }
        open.clear();
    }
}
