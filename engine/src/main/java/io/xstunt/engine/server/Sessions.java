package io.xstunt.engine.server;

import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.SweepFrame;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rendezvous sessions this server runs, by id: opened for an accepted MSG_CONNECT, aborted
 * when a client leaves, forgotten once nothing of them is left open (then reported to the
 * session listener). A session whose pair is relayed stays here until its relay ends; the relays
 * are counted against {@link RelayLimits#maxRelays()} and {@link RelayLimits#maxRelaysPerClient()}
 * ({@link RelayBook}). Loop thread only.
 */
final class Sessions {
    /** What a session's relay needs of the server: a slot within the limits, and its clients' log connections. */
    interface RelayBook {
        /** @return null if a relay slot is taken for the pair, else why none is */
        String reserve(String initiatorId, String listenerId);

        /** Gives back the pair's slot. */
        void release(String initiatorId, String listenerId);

        /** @return true if {@code session} is a running relay between these two clients (either way round) */
        boolean isRelayBetween(int session, String a, String b);

        /** Tells {@code client}, on its log connection, that its relayed connection ended. */
        void notify(Peer client, RelayNotice notice);
    }

    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

    private final Network network;
    private final ServerConfig config;
    private final Registry registry;
    private final Admission admission;
    private final ServerStats stats;
    private final Map<Integer, RendezvousSession> open = new HashMap<>();
    private final Map<String, Integer> relaysPerClient = new HashMap<>();
    private final BiConsumer<Holder, RelayNotice> notices;
    private final RelayBook book = new Book();
    private int relays;
    private volatile Consumer<SessionSummary> listener;

    /** @param notices writes a relay's end notice on a client's log connection */
    Sessions(Network network, ServerConfig config, Registry registry, Admission admission, ServerStats stats,
             BiConsumer<Holder, RelayNotice> notices) {
        this.notices = notices;
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
                admission, stats, book, this::finished);
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

    /** @return the rendezvous sessions in flight (a relay is not one any more) */
    int size() {
        return open.size() - relays;
    }

    /** @return the relays held (starting or running) */
    int relays() {
        return relays;
    }

    /** @return what the running relays hold unwritten, the most one connection held, the sides paused for it */
    RelayBuffering relayBuffering() {
        long now = 0;
        long peak = 0;
        int paused = 0;
        for (RendezvousSession s : open.values()) {
            RelayPipe p = s.runningPipe();
            if (p != null) {
                now += p.buffered();
                peak = Math.max(peak, p.peakBuffered());
                paused += p.pausedForBackpressure();
            }
        }
        return new RelayBuffering(now, peak, paused);
    }

    /**
     * @return the announcement flags of session {@code ref} for an extension client
     *     ({@link RelayFrame#ANNOUNCE_RELAY}, {@link SweepFrame#ANNOUNCE_SWEEP})
     */
    int announceFlags(SessionRef ref) {
        RendezvousSession s = open.get(ref.id());
        // a session that reads the relay's frames also forwards the birthday sweep's
        return s != null && s.ref().equals(ref) && s.relayOffered()
                ? RelayFrame.ANNOUNCE_RELAY | SweepFrame.ANNOUNCE_SWEEP : 0;
    }

    /** The server's relays and their limits. */
    private final class Book implements RelayBook {
        @Override
        public String reserve(String initiatorId, String listenerId) {
            RelayLimits limits = config.relay();
            if (relays >= limits.maxRelays()) {
                return limits.maxRelays() + " relayed connections at once already (the server's limit)";
            }
            for (String id : new String[] {initiatorId, listenerId}) {
                if (relaysPerClient.getOrDefault(id, 0) >= limits.maxRelaysPerClient()) {
                    return id + " takes part in " + limits.maxRelaysPerClient() + " relayed connections already"
                            + " (the server's limit per client)";
                }
            }
            relays++;
            relaysPerClient.merge(initiatorId, 1, Integer::sum);
            relaysPerClient.merge(listenerId, 1, Integer::sum);
            return null;
        }

        @Override
        public void release(String initiatorId, String listenerId) {
            relays--;
            for (String id : new String[] {initiatorId, listenerId}) {
                relaysPerClient.merge(id, -1, (x, y) -> x + y == 0 ? null : x + y);
            }
        }

        @Override
        public boolean isRelayBetween(int session, String a, String b) {
            RendezvousSession s = open.get(session);
            if (s == null || !s.relaying()) {
                return false;
            }
            String[] m = s.members();
            return m[0].equals(a) && m[1].equals(b) || m[0].equals(b) && m[1].equals(a);
        }

        @Override
        public void notify(Peer client, RelayNotice notice) {
            notices.accept(client.holder(), notice);
        }
    }

    /** @param l told (on the loop thread) about every session once nothing of it is left open; null for none */
    void onFinished(Consumer<SessionSummary> l) {
        this.listener = l;
    }

    private void finished(RendezvousSession s) {
        open.remove(s.ref().id());
        SessionSummary summary = s.summary();
        s.count(summary.path());
        report(summary);
    }

    /** Tells the session listener about {@code summary} (a rendezvous session's, or a FAST session's). */
    void report(SessionSummary summary) {
        Consumer<SessionSummary> l = listener;
        if (l != null) {
            try {
                l.accept(summary);
            } catch (RuntimeException e) {
                LOG.warn("session listener failed: {}", e.toString());
            }
        }
    }
}
