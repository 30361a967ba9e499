package io.xstunt.engine.server;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpAcceptor;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a {@link ControlRelay} to its own control listener on IP1 (ephemeral port), the two
 * control connections and one timer. Every exit path goes through the relay's end, after which
 * the listener is closed, the timer cancelled once both connections are closed, both clients are
 * IDLE again in the {@link Registry} and the server forgets the session.
 */
final class RendezvousSession implements RendezvousHandle {
    private static final Logger LOG = LoggerFactory.getLogger(RendezvousSession.class);
    private static final String SERVICE = "control";

    private final EventLoop loop;
    private final int sessionId;
    private final String initiatorId;
    private final String listenerId;
    private final ControlRelay relay;
    private final Registry registry;
    private final ServiceObserver observer;
    private final Consumer<RendezvousSession> onFinished;
    private final Map<ControlRelay.Side, TcpConnection> sides = new EnumMap<>(ControlRelay.Side.class);
    private TcpAcceptor acceptor;
    private DeadlineTimers.Timer timer;
    private long timerDeadlineNs;
    private boolean endReported;
    private boolean finishReported;
    private boolean applying;
    private boolean applyAgain;

    private RendezvousSession(EventLoop loop, int sessionId, ClientRecord initiator, ClientRecord listener,
                              ServerConfig config, Registry registry, ServiceObserver observer,
                              Consumer<RendezvousSession> onFinished) {
        this.loop = loop;
        this.sessionId = sessionId;
        this.initiatorId = initiator.id();
        this.listenerId = listener.id();
        this.registry = registry;
        this.observer = observer;
        this.onFinished = onFinished;
        this.relay = new ControlRelay(initiator.publicIp(), listener.publicIp(), config.maxRelayBacklog(),
                loop.clockNs(), config.sessionTimeout().toNanos(), config.handshakeTimeout().toNanos());
    }

    /**
     * Opens the session's control listener on {@code config.ip1()} port 0 and starts its deadline.
     *
     * @param onFinished told once, when nothing of the session is left open
     * @throws IOException if the listener cannot be bound
     */
    static RendezvousSession open(EventLoop loop, int sessionId, ClientRecord initiator, ClientRecord listener,
                                  ServerConfig config, Registry registry, ServiceObserver observer,
                                  Consumer<RendezvousSession> onFinished) throws IOException {
        RendezvousSession s = new RendezvousSession(loop, sessionId, initiator, listener, config, registry, observer,
                onFinished);
        s.acceptor = TcpAcceptor.open(loop, new InetSocketAddress(config.ip1(), 0), config.backlog(), s::onAccept);
        s.apply();
        LOG.debug("session {}: {} -> {} on control port {}", sessionId, s.initiatorId, s.listenerId,
                s.controlPort());
        return s;
    }

    @Override
    public int sessionId() {
        return sessionId;
    }

    @Override
    public int controlPort() {
        return acceptor.address().getPort();
    }

    /** @return what the session carried and why it ended (once ended) */
    SessionSummary summary() {
        return new SessionSummary(sessionId, initiatorId, listenerId, relay.bytesFrom(ControlRelay.Side.INITIATOR),
                relay.bytesFrom(ControlRelay.Side.LISTENER), relay.endReason());
    }

    /** @return the session's state (tests) */
    ControlRelay.State state() {
        return relay.state();
    }

    @Override
    public void abort(String reason) {
        relay.abort(reason, loop.clockNs());
        apply();
    }

    private void onAccept(io.xstunt.engine.net.Acceptor a, io.xstunt.engine.net.Incoming ch) {
        InetSocketAddress remote = ch.remoteAddress();
        if (remote == null) {
            ch.refuse();
            return;
        }
        ControlRelay.Side side = relay.onConnect(Ipv4.toInt(remote.getAddress()), loop.clockNs());
        if (side == null) {
            ch.refuse();
            reportRejection(remote);
            apply();
            return;
        }
        try {
            // The clients time their clock sync by a round trip through this relay: no Nagle delay.
            TcpConnection c = (TcpConnection) ch.adopt(new SideListener(side), TcpConnection.DEFAULT_INBOUND,
                    TcpConnection.DEFAULT_MAX_OUTBOUND, new io.xstunt.engine.net.SocketSpec(null, 0, false, false, true, 0));
            sides.put(side, c);
            observer.opened(c);
        } catch (IOException | RuntimeException e) {
            LOG.warn("session {}: cannot adopt the {} control connection: {}", sessionId, side, e.toString());
            relay.onSideClosed(side, loop.clockNs());
        }
        apply();
    }

    /** Carries out the relay's output; re-entrant calls (a close inside it) run once more. */
    private void apply() {
        if (applying) {
            applyAgain = true;
            return;
        }
        applying = true;
        try {
            do {
                applyAgain = false;
                applyOnce();
            } while (applyAgain);
        } finally {
            applying = false;
        }
    }

    private void applyOnce() {
        reportRejection(null);
        for (ControlRelay.Side s : ControlRelay.Side.values()) {
            TcpConnection c = sides.get(s);
            if (c == null || c.isClosed()) {
                continue;
            }
            ByteBuffer b;
            while ((b = relay.pollTransmit(s)) != null && !c.isClosed()) {
                c.send(b);
            }
            switch (relay.closing(s)) {
                case NOW -> c.close();
                case AFTER_FLUSH -> c.closeAfterFlush();
                case OPEN -> { }
            }
        }
        if (!relay.listening() && acceptor != null) {
            acceptor.close();
        }
        if (relay.ended() && !endReported) {
            endReported = true;
            registry.endSession(this, initiatorId, listenerId);
            LOG.debug("session {} ended: {}", sessionId, relay.endReason());
        }
        if (relay.finished()) {
            if (timer != null) {
                timer.cancel();
            }
            if (!finishReported) {
                finishReported = true;
                onFinished.accept(this);
            }
        } else if (timer == null || !timer.pending() || timerDeadlineNs != relay.deadlineNs()) {
            timerDeadlineNs = relay.deadlineNs();
            long delayNs = Math.max(0, timerDeadlineNs - loop.clockNs());
            if (timer == null) {
                timer = loop.schedule(delayNs, this::onTimer);
            } else {
                loop.reschedule(timer, delayNs);
            }
        }
    }

    private void onTimer() {
        relay.onTimeout(loop.clockNs());
        apply();
    }

    private void reportRejection(InetSocketAddress remote) {
        Rejection r = relay.pollRejection();
        if (r != null) {
            observer.rejected(r, SERVICE + " (session " + sessionId + ")", remote, relay.rejectionDetail());
        }
    }

    /** One side's control connection: bytes and close go to the relay. */
    private final class SideListener implements ConnectionListener {
        private final ControlRelay.Side side;

        SideListener(ControlRelay.Side side) {
            this.side = side;
        }

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            relay.onBytes(side, in, loop.clockNs());
            apply(); // sends what the relay forwarded from in (borrowed) before in is reused
            // consumed, all of it: what was forwarded is written or queued on the other side, and
            // what is left the relay dropped (the other side closed while it was being sent)
            in.position(in.limit());
        }

        @Override
        public void onClosed(io.xstunt.engine.net.Connection conn, Throwable cause) {
            TcpConnection c = (TcpConnection) conn;
            if (cause != null) {
                LOG.debug("session {}: {} control connection failed: {}", sessionId, side, cause.toString());
            }
            if (cause != null && c.pendingOutbound() > 0) {
                observer.rejected(Rejection.SLOW_READER, SERVICE + " (session " + sessionId + ")", c.remoteAddress(),
                        side + " did not read: " + cause.getMessage());
            }
            observer.closed(c);
            relay.onSideClosed(side, loop.clockNs());
            apply();
        }
    }
}
