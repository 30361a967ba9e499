package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpAcceptor;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a {@link RendezvousProcedure} and its {@link PunchRace} to the loop: the control
 * connection, the prediction's echo query, the punch sockets and one timer. Completes with a
 * {@link Rendezvous} whose channel is detached from the loop (blocking mode). Every socket and
 * the timer are released on every exit. Loop thread only.
 */
final class RendezvousDriver {
    private static final Logger LOG = LoggerFactory.getLogger(RendezvousDriver.class);
    /** Bound of the RACE strategy's connect retries (each after the retry delay). */
    static final int MAX_PUNCH_ATTEMPTS = 64;

    private final EventLoop loop;
    private final ClientConfig config;
    private final String peerId;
    private final RendezvousProcedure procedure;
    private final CompletableFuture<Rendezvous> result;
    private final DeadlineSlot timer;
    private final InetAddress localAddress;
    private final Map<Integer, TcpConnection> attempts = new HashMap<>();
    private PunchRace race;
    private TcpConnection control;
    private EchoQuery query;
    private TcpAcceptor acceptor;
    private io.xstunt.engine.net.Incoming justAccepted;
    private TcpConnection wonConnection;
    private io.xstunt.engine.net.Incoming wonChannel;
    private final ActionPass pass = new ActionPass();
    private boolean finished;

    RendezvousDriver(EventLoop loop, ClientConfig config, String peerId, RendezvousProcedure procedure,
                     CompletableFuture<Rendezvous> result) {
        this.loop = loop;
        this.config = config;
        this.peerId = peerId;
        this.procedure = procedure;
        this.result = result;
        this.localAddress = config.localAddress();
        this.timer = new DeadlineSlot(loop, this::onTimer);
    }

    /** @return the peer's ID */
    String peerId() {
        return peerId;
    }

    /** @return true once the procedure has an outcome */
    boolean finished() {
        return finished;
    }

    void start() {
        procedure.start(loop.clockNs());
        pump();
    }

    /** Fails the procedure from outside (client closing, server gone); sends ABORT if it can. */
    void abort(Failure error) {
        procedure.abort(error);
        pump();
    }

    private void onTimer() {
        long now = loop.clockNs();
        procedure.onTimeout(now);
        if (race != null) {
            race.onTimeout(now);
        }
        pump();
    }

    private void pump() {
        if (!pass.run(() -> procedure.runActions(this::run) | (race != null && race.runActions(this::run)))) {
            return;
        }
        if (justAccepted != null) { // accepted but did not win
            justAccepted.refuse();
            justAccepted = null;
        }
        if (finished) {
            timer.cancel();
        } else if (race != null) {
            timer.set(procedure.deadlineNs(), race.deadlineNs());
        } else {
            timer.set(procedure.deadlineNs());
        }
    }

    private void run(RendezvousProcedure.Action a) {
        switch (a) {
            case RendezvousProcedure.Action.ConnectControl c -> connectControl(c.address());
            case RendezvousProcedure.Action.Send s -> {
                if (control != null) {
                    control.send(s.bytes());
                }
            }
            case RendezvousProcedure.Action.CloseControl c -> {
                if (control != null) {
                    control.listener(ClientSockets.DISCARD);
                    control.closeAfterFlush();
                    control = null;
                }
            }
            case RendezvousProcedure.Action.Predict p -> predict(p.echoEndpoint());
            case RendezvousProcedure.Action.Punch p -> {
                race = new PunchRace(config.punchStrategy(), procedure.initiator(), p.localPort(), p.peer(),
                        p.retryPeriod(), p.gridOriginNs(), MAX_PUNCH_ATTEMPTS);
                race.start(loop.clockNs());
            }
            case RendezvousProcedure.Action.AbortPunch p -> {
                if (race != null) {
                    race.abort();
                }
            }
            case RendezvousProcedure.Action.Succeeded s -> succeeded(s);
            case RendezvousProcedure.Action.Failed f -> failed(f.error());
        }
    }

    private void run(PunchRace.Action a) {
        switch (a) {
            case PunchRace.Action.Connect c -> punchConnect(c.attempt(), c.localPort(), c.peer());
            case PunchRace.Action.Listen l -> punchListen(l.localPort());
            case PunchRace.Action.CloseConnect c -> {
                TcpConnection t = attempts.remove(c.attempt());
                if (t != null) {
                    t.closeSilently();
                }
            }
            case PunchRace.Action.CloseListen c -> closeAcceptor();
            case PunchRace.Action.Armed r -> {
                if (config.punchStrategy() == PunchStrategy.ORIGINAL) {
                    // XSTUNT 1.0 closes the XTryConnect socket before it listens and says "ready".
                    // NIO closes a channel registered with a selector only at the next select, so
                    // "ready" waits for that: else the peer's SYN can still meet the old socket.
                    loop.afterNextSelect(() -> {
                        if (!finished) {
                            procedure.onPunchArmed(loop.clockNs());
                            pump();
                        }
                    });
                } else {
                    procedure.onPunchArmed(loop.clockNs());
                }
            }
            case PunchRace.Action.WonByConnect w -> {
                wonConnection = attempts.remove(w.attempt());
                procedure.onPunched(loop.clockNs());
            }
            case PunchRace.Action.WonByAccept w -> {
                wonChannel = justAccepted;
                justAccepted = null;
                procedure.onPunched(loop.clockNs());
            }
            case PunchRace.Action.Failed f -> procedure.onPunchFailed(f.error());
        }
    }

    private void connectControl(InetSocketAddress address) {
        try {
            SocketChannel ch = ClientSockets.service(localAddress);
            control = TcpConnection.connect(loop, ch, address, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    procedure.onControlConnected(loop.clockNs());
                    pump();
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    procedure.onControlBytes(in, loop.clockNs());
                    pump();
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    control = null;
                    if (procedure.state() == RendezvousProcedure.State.CONTROL_CONNECTING) {
                        procedure.onControlConnectFailed(cause == null ? "closed" : cause.toString());
                    } else {
                        procedure.onControlClosed(cause == null ? null : cause.toString(), loop.clockNs());
                    }
                    pump();
                }
            });
        } catch (IOException | RuntimeException e) {
            control = null;
            procedure.onControlConnectFailed(e.toString());
        }
    }

    private void predict(InetSocketAddress endpoint) {
        query = EchoQuery.start(loop, localAddress, 0, true, endpoint, new EchoQuery.Callback() {
            @Override
            public void onResult(int boundPort, NatAnalysis.Observation o) {
                query = null;
                procedure.onPredicted(boundPort, o.publicIp(), o.publicPort(), loop.clockNs());
                pump();
            }

            @Override
            public void onFailed(String reason) {
                query = null;
                procedure.onPredictFailed(reason);
                pump();
            }
        });
    }

    private void punchConnect(int attempt, int localPort, InetSocketAddress peer) {
        try {
            SocketChannel ch = ClientSockets.bound(localAddress, localPort, true);
            TcpConnection t = TcpConnection.connect(loop, ch, peer, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    race.onConnectResult(attempt, true, null, loop.clockNs());
                    pump();
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    // never reached: the winner is detached in onConnected, before any read
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    if (attempts.remove(attempt, c)) {
                        race.onConnectResult(attempt, false, cause == null ? "closed" : cause.toString(),
                                loop.clockNs());
                        pump();
                    }
                }
            });
            if (!t.isClosed()) {
                // a connect that completed at once queued its result; the pump finds it here
                attempts.put(attempt, t);
            }
        } catch (IOException | RuntimeException e) {
            race.onConnectResult(attempt, false, e.toString(), loop.clockNs());
        }
    }

    private void punchListen(int localPort) {
        try {
            ServerSocketChannel ch = ClientSockets.listening(localAddress, localPort, 4);
            int peerIp = Ipv4.toInt(procedure.peerAddress().getAddress());
            try {
                acceptor = TcpAcceptor.adopt(loop, ch, (acc, sc) -> onPunchAccept(sc, peerIp),
                        new TcpAcceptor.WarnClock());
            } catch (IOException | RuntimeException e) {
                ClientSockets.closeQuietly(ch);
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            race.onListenFailed(e.toString());
        }
    }

    private void onPunchAccept(io.xstunt.engine.net.Incoming sc, int peerIp) {
        InetSocketAddress from = sc.remoteAddress();
        if (from == null) {
            sc.refuse();
            return;
        }
        if (finished || race == null || Ipv4.toInt(from.getAddress()) != peerIp) {
            LOG.info("rendezvous with '{}': refused a connection from {} on the punch port", peerId, from);
            sc.refuse();
            return;
        }
        justAccepted = sc;
        race.onAccepted(loop.clockNs());
        pump();
    }

    private void closeAcceptor() {
        if (acceptor != null) {
            acceptor.close();
            acceptor = null;
        }
    }

    private void succeeded(RendezvousProcedure.Action.Succeeded s) {
        finished = true;
        releaseAll();
        Consumer<java.nio.channels.ByteChannel> deliver = bc -> {
            SocketChannel ch = (SocketChannel) bc;
            InetSocketAddress remote;
            try {
                remote = (InetSocketAddress) ch.getRemoteAddress();
            } catch (IOException e) {
                ClientSockets.closeQuietly(ch);
                result.completeExceptionally(new Failure(procedure.initiator() ? ErrorStat.ERR_ASYMCLIENT
                        : ErrorStat.ERR_ASYMSERVER, 0, "the direct connection closed at once: " + e, e));
                return;
            }
            LOG.info("direct connection with '{}' at {} ({}), phases {}", peerId, remote,
                    procedure.initiator() ? "initiator" : "listener", s.phases());
            Rendezvous r = new Rendezvous(ch, peerId, remote, procedure.initiator(), s.phases());
            if (!result.complete(r)) {
                ClientSockets.closeQuietly(ch);
            }
        };
        if (wonConnection != null) {
            TcpConnection t = wonConnection;
            wonConnection = null;
            t.handOver(deliver, e -> result.completeExceptionally(new Failure(procedure.initiator()
                    ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, 0, "cannot hand the connection over: " + e,
                    e)));
        } else if (wonChannel != null) {
            io.xstunt.engine.net.Incoming ch = wonChannel;
            wonChannel = null;
            ch.handOver(deliver, e -> result.completeExceptionally(new Failure(ErrorStat.ERR_ACCEPT, 0,
                    "cannot hand the accepted connection over: " + e, e)));
        } else {
            result.completeExceptionally(new Failure(ErrorStat.ERR_FAIL, 0, "punch won without a connection"));
        }
    }

    private void failed(Failure error) {
        finished = true;
        if (race != null) {
            race.abort();
            for (PunchRace.Action a : race.drainActions()) {
                if (a instanceof PunchRace.Action.CloseConnect || a instanceof PunchRace.Action.CloseListen) {
                    run(a);
                }
            }
        }
        releaseAll();
        if (wonConnection != null) {
            wonConnection.closeSilently();
            wonConnection = null;
        }
        if (wonChannel != null) {
            wonChannel.refuse();
            wonChannel = null;
        }
        LOG.info("rendezvous with '{}' ({}) failed: {}", peerId, procedure.initiator() ? "initiator" : "listener",
                error.getMessage());
        result.completeExceptionally(error);
    }

    /** Closes everything but the winner; the control connection was already told to close after flush. */
    private void releaseAll() {
        timer.cancel();
        if (query != null) {
            query.abort();
            query = null;
        }
        for (TcpConnection t : attempts.values()) {
            t.closeSilently();
        }
        attempts.clear();
        closeAcceptor();
        if (control != null) {
            control.listener(ClientSockets.DISCARD);
            control.closeAfterFlush();
            control = null;
        }
    }
}
