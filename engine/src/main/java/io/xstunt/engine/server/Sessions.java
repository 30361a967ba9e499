package io.xstunt.engine.server;

import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rendezvous sessions this server runs, by id: opened for an accepted MSG_CONNECT, aborted
 * when a client leaves, forgotten once nothing of them is left open (then reported to the
 * session listener). Loop thread only.
 */
final class Sessions {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

    private final Network network;
    private final ServerConfig config;
    private final Registry registry;
    private final Admission admission;
    private final ServerStats stats;
    private final Map<Integer, RendezvousSession> open = new HashMap<>();
    private volatile Consumer<SessionSummary> listener;

    Sessions(Network network, ServerConfig config, Registry registry, Admission admission, ServerStats stats) {
        this.network = network;
        this.config = config;
        this.registry = registry;
        this.admission = admission;
        this.stats = stats;
    }

    /**
     * Opens {@code ref}: its control listener and deadline.
     *
     * @return its control port
     * @throws IOException if no control listener can be bound
     */
    int open(SessionRef ref, Peer initiator, Peer listenerPeer) throws IOException {
        RendezvousSession s = RendezvousSession.open(network, ref, initiator, listenerPeer, config, registry,
                admission, stats, this::finished);
        open.put(ref.id(), s);
        return s.controlPort();
    }

    /** Ends session {@code ref} at once, if this server runs it. */
    void abort(SessionRef ref, String reason) {
        RendezvousSession s = open.get(ref.id());
        if (s != null && s.ref().equals(ref)) {
            s.abort(reason);
        }
    }

    /** Ends every session (the server closes). */
    void abortAll(String reason) {
        for (RendezvousSession s : open.values().toArray(new RendezvousSession[0])) {
            s.abort(reason);
        }
    }

    /** @return the sessions with anything still open */
    int size() {
        return open.size();
    }

    /** @param l told (on the loop thread) about every session once nothing of it is left open; null for none */
    void onFinished(Consumer<SessionSummary> l) {
        this.listener = l;
    }

    private void finished(RendezvousSession s) {
        open.remove(s.ref().id());
        Consumer<SessionSummary> l = listener;
        if (l != null) {
            try {
                l.accept(s.summary());
            } catch (RuntimeException e) {
                LOG.warn("session listener failed: {}", e.toString());
            }
        }
    }
}
