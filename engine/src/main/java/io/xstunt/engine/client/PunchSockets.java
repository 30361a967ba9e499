package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The connect attempts of a {@link PunchRace} on real sockets, for each race that runs one (the
 * IPv4 punch in {@link RendezvousIo}, the IPv6 leg in {@link Ipv6Race}): an attempt is recorded in
 * {@code attempts} while it is open and its result fed to the race. Network thread only.
 */
final class PunchSockets {
    private PunchSockets() {
    }

    /**
     * Opens connect attempt {@code attempt} from {@code local} to {@code peer}; its outcome goes to
     * {@code race} through {@code driver}. The connection is never read: a winner is handed over.
     */
    static void connect(Network network, SocketSpec local, InetSocketAddress peer, int attempt,
                        Map<Integer, Connection> attempts, ProcedureDriver<PunchRace.Action> driver, PunchRace race) {
        try {
            Connection t = network.connect(local, peer, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    driver.feed(now -> race.handleConnectResult(attempt, true, null, now));
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    // never reached: the winner is handed over in onConnected, before any read
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    if (attempts.remove(attempt, c)) {
                        String why = cause == null ? "closed" : cause.toString();
                        driver.feed(now -> race.handleConnectResult(attempt, false, why, now));
                    }
                }
            });
            if (!t.isClosed() && !attempts.containsKey(attempt)) {
                // a connect that completed at once reported before it was recorded: record it for the winner
                attempts.put(attempt, t);
            }
        } catch (IOException | RuntimeException e) {
            driver.feed(now -> race.handleConnectResult(attempt, false, e.toString(), now));
        }
    }
}
