package io.xstunt.engine.server;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which connections the server takes on: every connection it holds (log, comm, echo, control),
 * counted per source ({@link SourceKeys}: its IPv4, or a key standing for its IPv6), and the limit of {@link ServerConfig#maxConnectionsPerSource()}. Loop
 * thread only.
 */
final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    private final int maxPerSource;
    private final ServerStats stats;
    private final Set<Connection> connections = new HashSet<>();
    private final Map<Integer, Integer> perSource = new HashMap<>();
    private final SourceKeys keys = new SourceKeys();

    Admission(int maxPerSource, ServerStats stats) {
        this.maxPerSource = maxPerSource;
        this.stats = stats;
    }

    /**
     * @return the remote address of an arriving connection, or null if it is refused (and closed):
     *     gone already, or one connection too many from its source (counted, logged)
     */
    InetSocketAddress admit(Incoming in, String service) {
        InetSocketAddress remote = in.remoteAddress();
        if (remote == null || remote.getAddress() == null) {
            LOG.debug("{}: dropping a connection from {} (closed at once)", service, remote);
            in.refuse();
            return null;
        }
        if (perSource.getOrDefault(keys.keyOf(remote.getAddress()), 0) >= maxPerSource) {
            in.refuse();
            stats.refused(Rejection.SOURCE_LIMIT, service, remote, maxPerSource + " connections from this address"
                    + " already");
            return null;
        }
        return remote;
    }

    /** The server holds {@code c} from now on. */
    void opened(Connection c) {
        if (connections.add(c) && c.remoteAddress() != null) {
            perSource.merge(keys.hold(c.remoteAddress().getAddress()), 1, Integer::sum);
        }
    }

    /**
     * The server no longer holds {@code c}, closed by {@code cause} (null: cleanly). A connection
     * that failed with bytes unwritten was closed for not reading: counted as
     * {@link Rejection#SLOW_READER}.
     */
    void closed(Connection c, Throwable cause, String service) {
        if (cause != null) {
            LOG.debug("{}: connection from {} failed: {}", service, c.remoteAddress(), cause.toString());
            if (c.pendingOutbound() > 0) {
                stats.refused(Rejection.SLOW_READER, service, c.remoteAddress(), c.pendingOutbound()
                        + " bytes unwritten: " + cause.getMessage());
            }
        }
        if (connections.remove(c) && c.remoteAddress() != null) {
            // merge removes the entry when the count reaches 0: no entry is left behind
            perSource.merge(keys.keyOf(c.remoteAddress().getAddress()), -1, (a, b) -> a + b == 0 ? null : a + b);
            keys.release(c.remoteAddress().getAddress());
        }
    }

    /**
     * @return the key the server knows {@code source} by ({@link SourceKeys}): its IPv4, or for an
     *     IPv6 source a value of 240.0.0.0/4, the same while a connection from it is held
     */
    int sourceKey(InetAddress source) {
        return keys.keyOf(source);
    }

    /** @return the number of connections held */
    int connections() {
        return connections.size();
    }

    /** @return the number of sources connections are held from (leak checks; IPv6 keys held count too) */
    int sources() {
        return perSource.size() + keys.held();
    }

    /** Closes every connection held (the server closes). */
    void closeAll() {
        for (Connection c : connections.toArray(new Connection[0])) {
            c.close();
        }
    }
}
