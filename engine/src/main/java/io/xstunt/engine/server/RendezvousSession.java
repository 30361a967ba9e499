package io.xstunt.engine.server;

import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.RelayNotice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rendezvous session on the server: its {@link ControlRelay} driven on the session's own
 * control listener (IP1, a fresh port) and its two control connections. Every exit goes through
 * the relay's end: the listener closes, both clients are IDLE again in the {@link Registry}, and
 * once nothing is left open the server forgets the session.
 */
final class RendezvousSession {
    private static final Logger LOG = LoggerFactory.getLogger(RendezvousSession.class);
    /** The clients time their clock sync by a round trip through this relay: no Nagle delay. */
    /** Attempts to find a control port free on IP1 and on the IPv6 address both. */
    private static final int CONTROL_BIND_ATTEMPTS = 8;
    private static final SocketSpec CONTROL_OPTIONS = SocketSpec.DEFAULTS.withNoDelay();

    private final SessionRef ref;
    private final String initiatorId;
    private final String listenerId;
    private final Peer initiator;
    private final Peer listener;
    private final ServerConfig config;
    private final Sessions.RelayBook relays;
    /** The data path once the pair is relayed, else null. */
    private RelayPipe pipe;
    private String relayReason;
    private String pipeEnd;
    private boolean slotHeld;
    private final ControlRelay relay;
    private final ProcedureDriver<ControlRelay.Action> driver;
    private final Registry registry;
    private final Admission admission;
    private final ServerStats stats;
    private final Consumer<RendezvousSession> onFinished;
    private final Network network;
    private Acceptor acceptor;
    /** The control listener on {@link ServerConfig#listen6()}, the same port as {@link #acceptor}; null if none. */
    private Acceptor acceptor6;
    /** Where the connection being decided comes from (for a refusal's log line), else null. */
    private InetSocketAddress arriving;

    private RendezvousSession(Network network, SessionRef ref, Peer initiator, Peer listener, ServerConfig config,
                              Registry registry, Admission admission, ServerStats stats, Sessions.RelayBook relays,
                              Consumer<RendezvousSession> onFinished) {
        this.ref = ref;
        this.initiator = initiator;
        this.listener = listener;
        this.config = config;
        this.relays = relays;
        this.initiatorId = initiator.id();
        this.listenerId = listener.id();
        this.registry = registry;
        this.admission = admission;
        this.stats = stats;
        this.onFinished = onFinished;
        this.network = network;
        RelayLimits r = config.relay();
        boolean offered = r.enabled() && initiator.extended() && listener.extended();
        this.relay = new ControlRelay(initiator.publicIp(), listener.publicIp(), config.maxRelayBacklog(),
                network.nowNs(), config.sessionTimeout().toNanos(), config.handshakeTimeout().toNanos(), offered,
                new RelayFrame.Limits(r.maxBytesPerDirection(), (int) r.maxDuration().toSeconds(), r.bytesPerSecond()),
                n -> relays.isRelayBetween(n, initiatorId, listenerId));
        this.driver = new ProcedureDriver<>(network, relay, this::carryOut);
        driver.watchCloses((n, c, cause) -> admission.closed(c, cause, label()));
    }

    /**
     * Opens the session's control listener on {@code config.ip1()} (a fresh port) and starts its deadline.
     *
     * @param onFinished told once, when nothing of the session is left open
     * @throws IOException if the listener cannot be bound
     */
    static RendezvousSession open(Network network, SessionRef ref, Peer initiator, Peer listener, ServerConfig config,
                                  Registry registry, Admission admission, ServerStats stats, Sessions.RelayBook relays,
                                  Consumer<RendezvousSession> onFinished) throws IOException {
        RendezvousSession s = new RendezvousSession(network, ref, initiator, listener, config, registry, admission,
                stats, relays, onFinished);
        s.listen(config);
        s.driver.pump();
        LOG.debug("session {}: {} -> {} on control port {}", ref.id(), s.initiatorId, s.listenerId, s.controlPort());
        return s;
    }

    /**
     * Binds the control listener on IP1 (a fresh port) and, with {@link ServerConfig#listen6()}, the
     * same port on that IPv6 address: Echo's {@code wPort} names one port for both families. A port
     * taken on the IPv6 address is given up for another, a few times.
     */
    private void listen(ServerConfig config) throws IOException {
        for (int attempt = 1; ; attempt++) {
            acceptor = network.listen(SocketSpec.listener(new InetSocketAddress(config.ip1(), 0)), config.backlog(),
                    this::onAccept);
            if (config.listen6() == null) {
                return;
            }
            int port = acceptor.address().getPort();
            try {
                acceptor6 = network.listen(SocketSpec.listener(new InetSocketAddress(config.listen6(), port)),
                        config.backlog(), this::onAccept);
                return;
            } catch (IOException e) {
                acceptor.close();
                if (attempt == CONTROL_BIND_ATTEMPTS) {
                    throw new IOException("control port " + port + " on "
                            + config.listen6().getHostAddress() + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** @return the session's name in the registry */
    SessionRef ref() {
        return ref;
    }

    /** @return the port of the session's control listener on IP1 (Echo {@code wPort}) */
    int controlPort() {
        return acceptor.address().getPort();
    }

    /** @return what the session carried and why it ended (once ended) */
    SessionSummary summary() {
        long fromI = relay.bytesFrom(ControlRelay.Side.INITIATOR);
        long fromL = relay.bytesFrom(ControlRelay.Side.LISTENER);
        if (pipe != null) {
            return new SessionSummary(ref.id(), initiatorId, listenerId, fromI, fromL, pipeEnd,
                    SessionSummary.Path.RELAYED, relayReason, pipe.bytesFrom(0), pipe.bytesFrom(1));
        }
        return new SessionSummary(ref.id(), initiatorId, listenerId, fromI, fromL, relay.endReason(),
                relay.punchedDirect() ? SessionSummary.Path.DIRECT : SessionSummary.Path.UNREPORTED, null, 0, 0);
    }

    /** Counts the finished session for operators (its path, how it ended, its clients' NAT classes). */
    void count(SessionSummary.Path path) {
        ServerCounters c = stats.counters();
        ServerCounters.Outcome outcome = relay.outcome();
        c.sessionFinished(path, outcome == null ? ServerCounters.Outcome.ABORTED : outcome);
        c.handshake(relay.natClass(ControlRelay.Side.INITIATOR), relay.natClass(ControlRelay.Side.LISTENER));
    }

    /** @return the two clients' IDs */
    String[] members() {
        return new String[] {initiatorId, listenerId};
    }

    /** @return true while the session's clients are relayed (its pipe runs) */
    boolean relaying() {
        return pipe != null && !pipe.ended();
    }

    /** @return the session's pipe while it relays, else null */
    RelayPipe runningPipe() {
        return relaying() ? pipe : null;
    }

    /** @return true if the relay extension runs on the session's control channel (its announcements say so) */
    boolean relayOffered() {
        return relay.relayOffered();
    }

    /** @return the session's state (tests) */
    ControlRelay.State state() {
        return relay.state();
    }

    /** Ends the session at once: control listener and connections closed (a relay too). */
    void abort(String reason) {
        if (pipe != null) {
            pipe.abort();
            return;
        }
        driver.feed(now -> relay.handleAbort(reason, now));
    }

    /** Ends the session's relay, if it runs (the server closes); a rendezvous still going on is not touched. */
    void abortRelay() {
        if (pipe != null) {
            pipe.abort();
        }
    }

    private void onAccept(Acceptor a, Incoming in) {
        InetSocketAddress remote = in.remoteAddress();
        if (remote == null) {
            in.refuse();
            return;
        }
        // decided first, its outputs carried out once the connection holds its number: what the
        // other side sent before this one arrived goes to this connection
        ControlRelay.Side side = relay.handleArrival(admission.sourceKey(remote.getAddress()), network.nowNs());
        if (side == null) {
            in.refuse();
            arriving = remote;
            driver.pump();
            arriving = null;
            return;
        }
        int n = side.ordinal();
        try {
            // a session that may become a relay reads and queues relay-sized amounts (the loop's read
            // buffer grows once; a connection still owns storage only for what it holds)
            boolean big = relay.relayOffered();
            Connection c = in.adopt(driver.listener(n), big ? RelayPipe.READ_BYTES : TcpConnection.DEFAULT_INBOUND,
                    big ? RelayPipe.MAX_OUTBOUND : TcpConnection.DEFAULT_MAX_OUTBOUND, CONTROL_OPTIONS);
            driver.attach(n, c);
            admission.opened(c);
        } catch (IOException | RuntimeException e) {
            LOG.warn("session {}: cannot adopt the {} control connection: {}", ref.id(), side, e.toString());
            driver.feed(now -> relay.handleClosed(n, e.toString(), now));
            return;
        }
        driver.pump();
    }

    private void carryOut(ControlRelay.Action a) {
        switch (a) {
            case ControlRelay.Action.StopListening s -> {
                acceptor.close();
                if (acceptor6 != null) {
                    acceptor6.close();
                }
            }
            case ControlRelay.Action.Ended e -> {
                registry.endSession(ref, initiatorId, listenerId);
                LOG.debug("session {} ended: {}", ref.id(), e.reason());
            }
            case ControlRelay.Action.Finished f -> finished();
            case ControlRelay.Action.ReserveRelay r -> {
                String why = relays.reserve(initiatorId, listenerId);
                slotHeld = why == null;
                driver.feed(now -> relay.handleRelayReserved(why, now));
            }
            case ControlRelay.Action.Pipe p -> startPipe(p);
            case ControlRelay.Action.HoldReading h -> {
                Connection c = driver.connection(h.connection());
                if (c != null) {
                    c.reading(false);
                    LOG.debug("session {}: side {} not read until its peer is READY (sent {} bytes before it)",
                            ref.id(), h.connection(), ControlRelay.MAX_EARLY);
                }
            }
            case Refused r -> stats.refused(r, label(), arriving);
        }
    }

    private void finished() {
        if (slotHeld) {
            slotHeld = false;
            relays.release(initiatorId, listenerId);
        }
        onFinished.accept(this);
    }

    /** Both are READY: the session's control connections become the relayed connection. */
    private void startPipe(ControlRelay.Action.Pipe p) {
        relayReason = p.reason();
        Connection a = driver.release(0);
        Connection b = driver.release(1);
        driver.closeAll(); // the session's own timer: the pipe has its limits
        RelayLimits r = config.relay();
        RelayBudget budget = new RelayBudget(r.maxBytesPerDirection(), r.bytesPerSecond(), r.maxDuration().toNanos(),
                network.nowNs());
        LOG.info("session {}: relaying {} <-> {} ({})", ref.id(), initiatorId, listenerId, relayReason);
        pipe = new RelayPipe(network, a, b, budget, config.handshakeTimeout().toNanos(), p.early(),
                (c, cause) -> admission.closed(c, cause, label()), this::pipeEnded, stats.counters());
    }

    private void pipeEnded(RelayNotice.End[] ends, long[] bytesFrom) {
        pipeEnd = "relay ended: " + ends[0] + " / " + ends[1];
        LOG.info("session {}: relay {} <-> {} ended ({} / {}), {} and {} bytes", ref.id(), initiatorId, listenerId,
                ends[0], ends[1], bytesFrom[0], bytesFrom[1]);
        relays.notify(initiator, new RelayNotice(ref.id(), ends[0], bytesFrom[0], bytesFrom[1]));
        relays.notify(listener, new RelayNotice(ref.id(), ends[1], bytesFrom[1], bytesFrom[0]));
        finished();
    }

    private String label() {
        return "control (session " + ref.id() + ")";
    }
}
