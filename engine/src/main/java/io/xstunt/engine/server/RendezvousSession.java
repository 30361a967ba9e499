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
    private static final SocketSpec CONTROL_OPTIONS = SocketSpec.DEFAULTS.withNoDelay();

    private final SessionRef ref;
    private final String initiatorId;
    private final String listenerId;
    private final ControlRelay relay;
    private final ProcedureDriver<ControlRelay.Action> driver;
    private final Registry registry;
    private final Admission admission;
    private final ServerStats stats;
    private final Consumer<RendezvousSession> onFinished;
    private final Network network;
    private Acceptor acceptor;
    /** Where the connection being decided comes from (for a refusal's log line), else null. */
    private InetSocketAddress arriving;

    private RendezvousSession(Network network, SessionRef ref, Peer initiator, Peer listener, ServerConfig config,
                              Registry registry, Admission admission, ServerStats stats,
                              Consumer<RendezvousSession> onFinished) {
        this.ref = ref;
        this.initiatorId = initiator.id();
        this.listenerId = listener.id();
        this.registry = registry;
        this.admission = admission;
        this.stats = stats;
        this.onFinished = onFinished;
        this.network = network;
        this.relay = new ControlRelay(initiator.publicIp(), listener.publicIp(), config.maxRelayBacklog(),
                network.nowNs(), config.sessionTimeout().toNanos(), config.handshakeTimeout().toNanos());
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
                                  Registry registry, Admission admission, ServerStats stats,
                                  Consumer<RendezvousSession> onFinished) throws IOException {
        RendezvousSession s = new RendezvousSession(network, ref, initiator, listener, config, registry, admission,
                stats, onFinished);
        s.acceptor = network.listen(SocketSpec.listener(new InetSocketAddress(config.ip1(), 0)), config.backlog(),
                s::onAccept);
        s.driver.pump();
        LOG.debug("session {}: {} -> {} on control port {}", ref.id(), s.initiatorId, s.listenerId, s.controlPort());
        return s;
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
        return new SessionSummary(ref.id(), initiatorId, listenerId, relay.bytesFrom(ControlRelay.Side.INITIATOR),
                relay.bytesFrom(ControlRelay.Side.LISTENER), relay.endReason());
    }

    /** @return the session's state (tests) */
    ControlRelay.State state() {
        return relay.state();
    }

    /** Ends the session at once: control listener and connections closed. */
    void abort(String reason) {
        driver.feed(now -> relay.handleAbort(reason, now));
    }

    private void onAccept(Acceptor a, Incoming in) {
        InetSocketAddress remote = in.remoteAddress();
        if (remote == null) {
            in.refuse();
            return;
        }
        // decided first, its outputs carried out once the connection holds its number: what the
        // other side sent before this one arrived goes to this connection
        ControlRelay.Side side = relay.handleArrival(Ipv4.toInt(remote.getAddress()), network.nowNs());
        if (side == null) {
            in.refuse();
            arriving = remote;
            driver.pump();
            arriving = null;
            return;
        }
        int n = side.ordinal();
        try {
            Connection c = in.adopt(driver.listener(n), TcpConnection.DEFAULT_INBOUND,
                    TcpConnection.DEFAULT_MAX_OUTBOUND, CONTROL_OPTIONS);
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
            case ControlRelay.Action.StopListening s -> acceptor.close();
            case ControlRelay.Action.Ended e -> {
                registry.endSession(ref, initiatorId, listenerId);
                LOG.debug("session {} ended: {}", ref.id(), e.reason());
            }
            case ControlRelay.Action.Finished f -> onFinished.accept(this);
            case Refused r -> stats.refused(r, label(), arriving);
        }
    }

    private String label() {
        return "control (session " + ref.id() + ")";
    }
}
