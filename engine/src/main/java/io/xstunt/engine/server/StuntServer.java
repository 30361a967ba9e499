package io.xstunt.engine.server;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registries;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.RegistryHealth;
import io.xstunt.engine.registry.RegistryListener;
import io.xstunt.engine.registry.RegistrySettings;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.tcp.NioNetwork;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The STUNT server of XSTUNT 1.0 on one {@link Network}: the log service (registration, client
 * log lines, session announcements), the communication service (MSG_CONNECT, MSG_DEREGISTER,
 * MSG_QUERY), one control listener per rendezvous session, and the echo service on four
 * endpoints (IP1:P1, IP1:P2, IP2:P1, IP2:P2). The original's server side of XInit, XConnect,
 * XListen and XDeRegister.
 *
 * <p>Its parts: {@link ServiceListeners} (the fixed ports), {@link Admission} (which connections
 * it takes), {@link ServerStats} (what it refused), {@link LogService} (the registrations it
 * holds), {@link CommService} (the requests' decisions), {@link Sessions} (the rendezvous
 * sessions), and a {@link Registry} of the clients. {@link #start} and {@link #close} are safe
 * from any thread; the read-only accessors too (off the loop thread they wait, bounded, for the
 * loop to answer).
 */
public final class StuntServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StuntServer.class);
    private static final long CROSS_THREAD_WAIT_S = 5;

    private final Network network;
    private final ServerConfig config;
    private final Registry registry;
    private final ServerStats stats = new ServerStats();
    private final Admission admission;
    private final ServiceListeners listeners;
    private final ClientLogSink clientLog;
    /** The parts below exist once the listeners are bound: the server is named by its log service's address. */
    private LogService log;
    private Sessions sessions;
    private CommService comm;
    private boolean closed;

    private StuntServer(Network network, ServerConfig config, ClientLogSink clientLog, Registry registry) {
        this.network = network;
        this.config = config;
        this.registry = registry;
        this.clientLog = clientLog;
        this.admission = new Admission(config.maxConnectionsPerSource(), stats);
        this.listeners = new ServiceListeners(network, config);
    }

    /**
     * Binds every service and starts serving on {@code loop} with the in-memory registry (the
     * original's server start-up). Safe from any thread: the binding runs on the loop.
     *
     * @return completes with the running server, or exceptionally with a {@link Failure}
     *     {@link ErrorStat#ERR_BIND} (every port bound so far is released again)
     */
    public static CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config) {
        return start(new NioNetwork(loop), config);
    }

    /** Like {@link #start(EventLoop, ServerConfig)}, on any network (tests: a simulated one). */
    public static CompletableFuture<StuntServer> start(Network network, ServerConfig config) {
        return start(network, config, ClientLogSink.slf4j(),
                new InMemoryRegistry(config.maxClients(), config.requireTokens()));
    }

    /**
     * Like {@link #start(EventLoop, ServerConfig)}, with the registry {@code registry} names: null
     * for the in-memory one, {@code redis://HOST:PORT} for one shared with other servers (its
     * backend, module {@code registry-redis}, must be on the class or module path).
     *
     * @throws IllegalArgumentException if no backend serves the URI or it refuses it (nothing started)
     */
    public static CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config, URI registry) {
        return start(new NioNetwork(loop), config, registry);
    }

    /** Like {@link #start(EventLoop, ServerConfig, URI)}, on any network. */
    public static CompletableFuture<StuntServer> start(Network network, ServerConfig config, URI registry) {
        Objects.requireNonNull(config, "config");
        Registry r = Registries.open(registry, new RegistrySettings(config.maxClients(), config.requireTokens(),
                config.idleTimeout()), network);
        CompletableFuture<StuntServer> f = start(network, config, ClientLogSink.slf4j(), r);
        f.whenComplete((s, e) -> {
            if (e != null) {
                // its store connection and threads too: nothing of it stays open
                try {
                    network.execute(r::close);
                } catch (RejectedExecutionException closedLoop) {
                    r.close();
                }
            }
        });
        return f;
    }

    /**
     * Like {@link #start(Network, ServerConfig)}, with the registry given (a shared one) and where
     * the clients' log lines go.
     */
    static CompletableFuture<StuntServer> start(Network network, ServerConfig config, ClientLogSink clientLog,
                                               Registry registry) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        HolderTokens.secure(); // seeds the token source here, off the loop thread (its seeding reads a file)
        CompletableFuture<StuntServer> f = new CompletableFuture<>();
        try {
            network.execute(() -> {
                StuntServer s = new StuntServer(network, config, clientLog, registry);
                try {
                    s.bind();
                    f.complete(s);
                } catch (IOException | RuntimeException e) {
                    s.closeOnLoop();
                    f.completeExceptionally(new Failure(ErrorStat.ERR_BIND, 0,
                            "STUNT server cannot bind its services: " + e.getMessage(), e));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new Failure(ErrorStat.ERR_BIND, 0, "event loop is closed", e));
        }
        return f;
    }

    /** Like {@link #start(EventLoop, ServerConfig)}, with the clients' log lines going to {@code clientLog}. */
    static CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config, ClientLogSink clientLog) {
        return start(new NioNetwork(loop), config, clientLog,
                new InMemoryRegistry(config.maxClients(), config.requireTokens()));
    }

    private void bind() throws IOException {
        // the handlers run on later loop turns, once the parts below exist
        listeners.bind((a, in) -> log.accept(in), this::acceptComm, this::acceptEcho);
        // the name in the registry's holders and sessions: unique among servers sharing a registry
        String name = listeners.logAddress().getAddress().getHostAddress() + ":" + listeners.logAddress().getPort();
        log = new LogService(name, network, config, registry, admission, stats, clientLog, HolderTokens.secure());
        // a relay's end notice goes through the registry: the client may be registered on another server
        sessions = new Sessions(network, config, registry, admission, stats, registry::relayEnded);
        comm = new CommService(name, registry, new CommEffects(), Ipv4.toInt(config.ip1()), config.maxSessions(),
                config.maxAnnouncementsPerSecond(), config.sessionTimeout());
        log.fastLines((holder, ip, token, f) -> comm.fast(holder, ip, token, f.id(), f.line()));
        log.departures(comm::left);
        registry.attach(name, new RegistryEffects());
        log.infoTemplate(new ServerInfo("", Ipv4.toInt(config.ip1()), Ipv4.toInt(config.ip2()), listeners.echoPort1(),
                listeners.echoPort2()));
        LOG.info("STUNT server up: log {}, comm {}, echo {}:{}/{} and {}:{}/{}", listeners.logAddress(),
                listeners.commAddress(), config.ip1().getHostAddress(), listeners.echoPort1(), listeners.echoPort2(),
                config.ip2().getHostAddress(), listeners.echoPort1(), listeners.echoPort2());
        if (listeners.logAddress6() != null) {
            LOG.info("STUNT server on IPv6 too: log {}, comm {} (no echo service there: an IPv6 client has no NAT)",
                    listeners.logAddress6(), listeners.commAddress6());
        }
    }

    private void acceptComm(Acceptor a, Incoming in) {
        InetSocketAddress remote = admission.admit(in, "comm");
        if (remote == null) {
            return;
        }
        CommExchange exchange = new CommExchange(remote, log.variantFrom(admission.sourceKey(remote.getAddress())));
        if (adopt(in, exchange.driver, "comm", 2 * WireVariant.ID32.msgSize())) {
            exchange.driver.feed(exchange.responder::start);
            // The client speaks first: its request is read at once (Connection.readNow), through
            // execute (on the loop thread: at once) so that a procedure's failure is logged and
            // counted and closes this connection only, not the acceptor that called us.
            Connection c = exchange.driver.connection(0);
            if (c != null) {
                network.execute(c::readNow);
            }
        }
    }

    /** One comm connection: its responder, driven, asking the {@link CommService}. */
    private final class CommExchange implements Consumer<CommResponder.Action> {
        final CommResponder responder;
        final ProcedureDriver<CommResponder.Action> driver;
        final InetSocketAddress remote;

        /** @param expected the wire variant of the registrations held from there, or null */
        CommExchange(InetSocketAddress remote, WireVariant expected) {
            this.remote = remote;
            this.responder = new CommResponder(config.handshakeTimeout().toNanos(), config.variantWait().toNanos(),
                    expected);
            this.driver = new ProcedureDriver<>(network, responder, this);
        }

        @Override
        public void accept(CommResponder.Action action) {
            switch (action) {
                case CommResponder.Action.Decide d -> comm.handle(d.msg(), admission.sourceKey(remote.getAddress()),
                        answer -> {
                            if (d.msg().type() == Protocol.MSG_CONNECT) {
                                stats.counters().connectAnswered(connectAnswer(answer.reply()));
                            }
                            driver.feed(now -> responder.handleAnswer(answer, now));
                        });
                case Refused r -> stats.refused(r, "comm", remote);
            }
        }
    }

    /** @return the error code XConnect reads from a MSG_CONNECT's answer */
    private static ServerCounters.ConnectAnswer connectAnswer(int reply) {
        return switch (reply) {
            case Protocol.COMM_ACCEPTED -> ServerCounters.ConnectAnswer.OK;
            case Protocol.COMM_NO_MATCH -> ServerCounters.ConnectAnswer.ERR_MATCH;
            default -> ServerCounters.ConnectAnswer.ERR_SAME_NAT; // the peer's LAN address
        };
    }

    private void acceptEcho(Acceptor a, Incoming in) {
        InetSocketAddress remote = admission.admit(in, "echo");
        if (remote == null) {
            return;
        }
        EchoResponder responder = new EchoResponder(admission.sourceKey(remote.getAddress()), remote.getPort(),
                config.handshakeTimeout().toNanos());
        ProcedureDriver<Refused> driver = new ProcedureDriver<>(network, responder,
                r -> stats.refused(r, "echo", remote));
        if (adopt(in, driver, "echo", 256)) {
            driver.feed(responder::start);
        }
    }

    /** Adopts an accepted connection as the driver's connection 0; false if it could not be. */
    private boolean adopt(Incoming in, ProcedureDriver<?> driver, String service, int inbound) {
        Connection c;
        try {
            c = in.adopt(driver.listener(0), inbound, TcpConnection.DEFAULT_MAX_OUTBOUND,
                    io.xstunt.engine.net.SocketSpec.DEFAULTS);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot adopt an accepted connection: {}", service, e.toString());
            return false;
        }
        driver.attach(0, c);
        admission.opened(c);
        driver.watchCloses((n, conn, cause) -> admission.closed(conn, cause, service));
        return true;
    }

    /** @return the configuration it runs with */
    public ServerConfig config() {
        return config;
    }

    /** @return where the log service listens (the real port if 0 was configured) */
    public InetSocketAddress logAddress() {
        return listeners.logAddress();
    }

    /** @return where the communication service listens (the real port if 0 was configured) */
    public InetSocketAddress commAddress() {
        return listeners.commAddress();
    }

    /**
     * @return where the log service listens on {@link ServerConfig#listen6()} (the same port as on
     *     IP1), or null if the server listens on IPv4 only
     */
    public InetSocketAddress logAddress6() {
        return listeners.logAddress6();
    }

    /** @return where the communication service listens on {@link ServerConfig#listen6()}, or null if none */
    public InetSocketAddress commAddress6() {
        return listeners.commAddress6();
    }

    /** @return the two echo ports bound on both IPs, as announced in ServerInfo (wPort1, wPort2) */
    public int[] echoPorts() {
        return new int[] {listeners.echoPort1(), listeners.echoPort2()};
    }

    /** @return the number of registered IDs (any state) */
    public int registeredCount() {
        return ask(answer -> registry.count(answer::accept));
    }

    /** @return the {@code CSTATE_*} of {@code id}, empty if not registered (MSG_QUERY's answer) */
    public OptionalInt stateOf(String id) {
        int state = ask(answer -> registry.query(id, answer::accept));
        return state < 0 ? OptionalInt.empty() : OptionalInt.of(state);
    }

    /**
     * @return the number of rendezvous sessions with anything still open (relays not counted), FAST
     *     sessions whose end no side has reported yet included
     */
    public int sessionsInFlight() {
        return ask(answer -> answer.accept(sessions.size() + comm.fastInFlight()));
    }

    /** @return the number of relayed connections held (starting or running) */
    public int relaysInFlight() {
        return ask(answer -> answer.accept(sessions.relays()));
    }

    /** @return what the running relays hold unwritten now, and the backpressure that bounds it */
    public RelayBuffering relayBuffering() {
        return ask(answer -> answer.accept(sessions.relayBuffering()));
    }


    /**
     * Tells {@code listener} (on the loop thread) about every rendezvous session once nothing of
     * it is left open: its control bytes from each side and why it ended. Not in the original; it
     * lets a test prove that a connection was direct (the server relayed only control bytes).
     *
     * @param listener the listener, or null for none
     */
    public void onSessionFinished(Consumer<SessionSummary> listener) {
        sessions.onFinished(listener);
    }

    /**
     * @return what the registry says of its store (shared or not, reachable, commands, errors,
     *     latency); any thread, without waiting for the loop
     */
    public RegistryHealth registryHealth() {
        return registry.health();
    }

    /**
     * Tells {@code listener} what the registry's store does from now on (reachability changes and
     * each command's latency); see {@link RegistryListener} for the threads it is called on.
     *
     * @param listener the listener, or null for none
     */
    public void onRegistryEvents(RegistryListener listener) {
        registry.listen(listener);
    }

    /** @return the number of TCP connections the server holds (log, comm, echo, control) */
    public int openConnections() {
        return ask(answer -> answer.accept(admission.connections()));
    }

    /** @return the number of source IPs the server holds connections from (leak checks) */
    public int sourcesTracked() {
        return ask(answer -> answer.accept(admission.sources()));
    }

    /** @return how many inputs were refused for {@code why} (any thread) */
    public long rejected(Rejection why) {
        return stats.count(why);
    }

    /** @return how many inputs were refused, all reasons together (any thread) */
    public long rejectedTotal() {
        return stats.total();
    }

    /** @return what the server did, counted for operators (read from any thread, no wait) */
    public ServerCounters counters() {
        return stats.counters();
    }

    /**
     * @return whether the registry answers (a shared one may lose its store; the in-memory one
     *     always does). Waits, bounded, for the loop like the other accessors.
     */
    public boolean registryReachable() {
        return ask(answer -> answer.accept(registry.health().reachable()));
    }

    /** Asks the loop for an answer that may come later (the registry's); bounded off the loop thread. */
    private <T> T ask(Consumer<Consumer<T>> query) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (network.inThread()) {
            query.accept(f::complete);
        } else {
            network.execute(() -> query.accept(f::complete));
        }
        try {
            return f.get(CROSS_THREAD_WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking " + network, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(network + " did not answer within " + CROSS_THREAD_WAIT_S + " s", e);
        }
    }

    /**
     * Stops every service, ends every session and closes every client connection. Safe from any
     * thread (waits, bounded, for the loop); idempotent; a no-op once the loop is closed, since
     * closing the loop released every channel.
     */
    @Override
    public void close() {
        if (network.inThread()) {
            closeOnLoop();
            return;
        }
        try {
            ask(answer -> {
                closeOnLoop();
                answer.accept(null);
            });
        } catch (RejectedExecutionException e) {
            // the loop closed meanwhile, and its shutdown released every channel
        }
    }

    private void closeOnLoop() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.close();
        if (sessions != null) {
            sessions.abortAll("server closing");
            registry.close();
        }
        admission.closeAll();
        LOG.info("STUNT server on {} closed", listeners.logAddress());
    }

    /** What the registry asks of this server: routed to the log service and the sessions. */
    private final class RegistryEffects implements Registry.Effects {
        @Override
        public void disconnect(Holder holder, String reason) {
            log.disconnect(holder);
        }

        @Override
        public void abortSession(SessionRef session, String reason) {
            sessions.abort(session, reason);
        }

        @Override
        public void announce(Holder holder, Echo announcement, int relayFlags) {
            log.announce(holder, announcement, relayFlags, null);
        }

        @Override
        public void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6) {
            log.announce(holder, announcement, relayFlags, peerIpv6);
        }

        @Override
        public void relayEnded(Holder holder, RelayNotice notice) {
            log.notice(holder, notice);
        }

        @Override
        public boolean admitAnnouncement(Holder holder) {
            // a session of another server: the limits it could not check are checked and counted here
            if (!log.canAnnounce(holder)) {
                stats.refused(Rejection.ANNOUNCEMENT_BACKLOG, "log", null, "announcement of another server's session"
                        + " to " + holder + ": too many unread, or not IDLE here");
                return false;
            }
            if (!log.takeAnnouncement(holder)) {
                stats.refused(Rejection.ANNOUNCEMENT_RATE, "log", null, "announcement of another server's session"
                        + " to " + holder + ": " + config.maxAnnouncementsPerSecond() + " in the last second");
                return false;
            }
            return true;
        }
    }

    /** What a MSG_CONNECT needs of this server beyond the registry. */
    private final class CommEffects implements CommService.Effects {
        @Override
        public int sessionsInFlight() {
            return sessions.size();
        }

        // A registration of another server (a shared registry) is checked there, when its
        // announcement arrives (Registry.Effects.admitAnnouncement): its backlog is not known here.
        @Override
        public boolean canAnnounce(Holder holder) {
            return log.elsewhere(holder) || log.canAnnounce(holder);
        }

        @Override
        public boolean takeAnnouncement(Holder holder) {
            return log.elsewhere(holder) || log.takeAnnouncement(holder);
        }

        @Override
        public int announceFlags(SessionRef session) {
            return sessions.announceFlags(session);
        }

        @Override
        public int openSession(SessionRef session, Peer initiator, Peer listener) throws IOException {
            return sessions.open(session, initiator, listener);
        }

        @Override
        public FastPlan.Client fastFacts(Peer peer, int punchPort) {
            return log.fastFacts(peer.holder(), punchPort);
        }

        @Override
        public boolean hasIpv6(Peer peer) {
            return log.hasIpv6(peer.holder());
        }

        @Override
        public void fastGo(Holder holder, io.xstunt.engine.wire.FastGo go) {
            log.fastGo(holder, go);
        }

        @Override
        public void fastRefusal(Holder holder, io.xstunt.engine.wire.FastRefusal refusal) {
            log.fastRefusal(holder, refusal);
        }

        @Override
        public void fastAnswered(int reply) {
            stats.counters().connectAnswered(connectAnswer(reply));
        }

        @Override
        public long nowNs() {
            return network.nowNs();
        }

        @Override
        public void expireFastAt(long deadlineNs) {
            network.scheduleAt(deadlineNs, () -> comm.expireFast(network.nowNs()));
        }

        @Override
        public void fastEnded(SessionSummary summary, ServerCounters.Outcome outcome) {
            ServerCounters c = stats.counters();
            c.sessionFinished(summary.path(), outcome);
            // a go is given only to two port-preserving clients (FastPlan)
            c.handshake(ServerCounters.NatClass.PREDICTABLE, ServerCounters.NatClass.PREDICTABLE);
            LOG.debug("FAST session {} '{}' -> '{}' ended: {}", summary.sessionId(), summary.initiatorId(),
                    summary.listenerId(), summary.endReason());
            sessions.report(summary);
        }

        @Override
        public void fastDeclined(Rejection why, String detail) {
            if (why != null) {
                stats.refused(why, "log", null, detail);
            } else {
                LOG.debug("log: {}", detail);
            }
        }
    }
}
