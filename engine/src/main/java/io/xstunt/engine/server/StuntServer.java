package io.xstunt.engine.server;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpAcceptor;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.ServerInfo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The STUNT server of XSTUNT 1.0 on one {@link EventLoop}: the log service (registration, client
 * log lines, session announcements), the communication service (MSG_CONNECT, MSG_DEREGISTER,
 * MSG_QUERY), one control listener per rendezvous session, and the echo service on four
 * endpoints (IP1:P1, IP1:P2, IP2:P1, IP2:P2). The original's server side of XInit, XConnect,
 * XListen and XDeRegister.
 *
 * <p>{@link #start} and {@link #close} are safe from any thread; the read-only accessors too (off
 * the loop thread they wait, bounded, for the loop to answer).
 */
public final class StuntServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StuntServer.class);
    /** Attempts to find an ephemeral echo port that is free on both IPs. */
    private static final int ECHO_BIND_ATTEMPTS = 8;
    private static final long CROSS_THREAD_WAIT_S = 5;
    /** SO_SNDBUF of log connections: room for dozens of announcements, not thousands. */
    private static final int LOG_SEND_BUFFER = 4096;

    private final EventLoop loop;
    private final ServerConfig config;
    private final Registry registry;
    private final ClientLogSink clientLog;
    private final CommService comm;
    private final Set<TcpConnection> connections = new HashSet<>();
    /** Connections held per source IP, for {@link ServerConfig#maxConnectionsPerSource()}. */
    private final Map<Integer, Integer> perSource = new HashMap<>();
    private final Set<RendezvousSession> sessions = new HashSet<>();
    private final List<TcpAcceptor> acceptors = new ArrayList<>();
    private final AtomicLongArray rejections = new AtomicLongArray(Rejection.values().length);
    private final ServiceObserver observer = new Observer();
    private InetSocketAddress logAddress;
    private InetSocketAddress commAddress;
    private int echoPort1;
    private int echoPort2;
    private ServerInfo infoTemplate;
    private boolean closed;
    private volatile Consumer<SessionSummary> sessionListener;

    private StuntServer(EventLoop loop, ServerConfig config, ClientLogSink clientLog) {
        this.loop = loop;
        this.config = config;
        this.clientLog = clientLog;
        this.registry = new Registry(config.maxClients(), config.requireTokens());
        this.comm = new CommService(registry, (id, initiator, listener) -> {
            RendezvousSession s = RendezvousSession.open(loop, id, initiator, listener, config, registry, observer,
                    this::sessionFinished);
            sessions.add(s);
            return s;
        }, Ipv4.toInt(config.ip1()), sessions::size, config.maxSessions(),
                config.maxAnnouncementsPerSecond());
    }

    /**
     * Binds every service and starts serving on {@code loop} (the original's server start-up).
     * Safe from any thread: the binding runs on the loop.
     *
     * @return completes with the running server, or exceptionally with an {@link Failure}
     *     {@link ErrorStat#ERR_BIND} (every port bound so far is released again)
     */
    public static CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config) {
        return start(loop, config, ClientLogSink.slf4j());
    }

    static CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config, ClientLogSink clientLog) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(config, "config");
        HolderTokens.secure(); // seeds the token source here, off the loop thread (its seeding reads a file)
        CompletableFuture<StuntServer> f = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                StuntServer s = new StuntServer(loop, config, clientLog);
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

    private void bind() throws IOException {
        logAddress = listen("log", config.ip1(), config.logPort(), this::acceptLog);
        commAddress = listen("comm", config.ip1(), config.commPort(), this::acceptComm);
        if (config.echoPort1() == 0 && config.echoPort2() != 0) {
            // the fixed port first, so that the ephemeral one cannot take it
            echoPort2 = bindEchoPair(config.echoPort2());
            echoPort1 = bindEchoPair(0);
        } else {
            echoPort1 = bindEchoPair(config.echoPort1());
            echoPort2 = bindEchoPair(config.echoPort2());
        }
        infoTemplate = new ServerInfo("", Ipv4.toInt(config.ip1()), Ipv4.toInt(config.ip2()), echoPort1, echoPort2);
        LOG.info("STUNT server up: log {}, comm {}, echo {}:{}/{} and {}:{}/{}", logAddress, commAddress,
                config.ip1().getHostAddress(), echoPort1, echoPort2, config.ip2().getHostAddress(), echoPort1,
                echoPort2);
    }

    private InetSocketAddress listen(String what, Inet4Address ip, int port, io.xstunt.engine.net.AcceptHandler h)
            throws IOException {
        TcpAcceptor a;
        try {
            a = TcpAcceptor.open(loop, new InetSocketAddress(ip, port), config.backlog(), h);
        } catch (IOException e) {
            throw new IOException(what + " service on " + ip.getHostAddress() + ":" + port + ": " + e.getMessage(), e);
        }
        acceptors.add(a);
        return a.address();
    }

    /** Binds one echo port on IP1 and the same port on IP2; 0 picks one free on both. */
    private int bindEchoPair(int port) throws IOException {
        for (int attempt = 1; ; attempt++) {
            InetSocketAddress first = listen("echo", config.ip1(), port, this::acceptEcho);
            try {
                listen("echo", config.ip2(), first.getPort(), this::acceptEcho);
                return first.getPort();
            } catch (IOException e) {
                if (port != 0 || attempt == ECHO_BIND_ATTEMPTS) {
                    throw e;
                }
                acceptors.remove(acceptors.size() - 1).close(); // the port is taken on IP2: try another
            }
        }
    }

    private void acceptLog(io.xstunt.engine.net.Acceptor a, io.xstunt.engine.net.Incoming ch) {
        InetSocketAddress remote = admit(ch, "log");
        if (remote != null) {
            // The server writes only 56-byte announcements here: a small kernel buffer lets a
            // client that does not read show up at once in maxPendingAnnouncements.
            ProcedureBinding.accept(loop, ch, new LogSession(registry, config, infoTemplate,
                    Ipv4.toInt(remote.getAddress()), clientLog), "log", observer, LogSession.inboundBytes(config), false,
                    LOG_SEND_BUFFER);
        }
    }

    private void acceptComm(io.xstunt.engine.net.Acceptor a, io.xstunt.engine.net.Incoming ch) {
        InetSocketAddress remote = admit(ch, "comm");
        if (remote != null) {
            ProcedureBinding.accept(loop, ch, new CommSession(comm, Ipv4.toInt(remote.getAddress()),
                    config.handshakeTimeout().toNanos()), "comm", observer, 2 * Msg.SIZE, true, 0);
        }
    }

    private void acceptEcho(io.xstunt.engine.net.Acceptor a, io.xstunt.engine.net.Incoming ch) {
        InetSocketAddress remote = admit(ch, "echo");
        if (remote != null) {
            ProcedureBinding.accept(loop, ch, new EchoResponder(Ipv4.toInt(remote.getAddress()), remote.getPort(),
                    config.handshakeTimeout().toNanos()), "echo", observer, 256, false, 0);
        }
    }

    /**
     * The remote address of an accepted channel, or null if it is refused and closed: not IPv4,
     * or one connection too many from its source IP (counted, logged).
     */
    private InetSocketAddress admit(io.xstunt.engine.net.Incoming ch, String service) {
        InetSocketAddress remote = remoteOf(ch);
        if (remote != null && perSource.getOrDefault(Ipv4.toInt(remote.getAddress()), 0)
                >= config.maxConnectionsPerSource()) {
            ch.refuse();
            observer.rejected(Rejection.SOURCE_LIMIT, service, remote, config.maxConnectionsPerSource()
                    + " connections from this address already");
            return null;
        }
        return remote;
    }

    private static InetSocketAddress remoteOf(io.xstunt.engine.net.Incoming ch) {
        InetSocketAddress r = ch.remoteAddress();
        if (r != null && r.getAddress() instanceof Inet4Address) {
            return r;
        }
        LOG.debug("dropping a connection from {} (not IPv4, or closed at once)", r);
        ch.refuse();
        return null;
    }

    /** Closes a channel the server refuses to adopt; the descriptor is released either way. */
    static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            LOG.trace("closing a refused channel", e);
        }
    }

    /** @return the configuration it runs with */
    public ServerConfig config() {
        return config;
    }

    /** @return where the log service listens (the real port if 0 was configured) */
    public InetSocketAddress logAddress() {
        return logAddress;
    }

    /** @return where the communication service listens (the real port if 0 was configured) */
    public InetSocketAddress commAddress() {
        return commAddress;
    }

    /** @return the two echo ports bound on both IPs, as announced in ServerInfo (wPort1, wPort2) */
    public int[] echoPorts() {
        return new int[] {echoPort1, echoPort2};
    }

    /** @return the number of registered IDs (any state) */
    public int registeredCount() {
        return onLoop(registry::size);
    }

    /** @return the {@code CSTATE_*} of {@code id}, empty if not registered (MSG_QUERY's answer) */
    public OptionalInt stateOf(String id) {
        return onLoop(() -> registry.stateOf(id));
    }

    /** @return the number of rendezvous sessions with anything still open */
    public int sessionsInFlight() {
        return onLoop(sessions::size);
    }

    /**
     * Tells {@code listener} (on the loop thread) about every rendezvous session once nothing of
     * it is left open: its control bytes from each side and why it ended. Not in the original; it
     * lets a test prove that a connection was direct (the server relayed only control bytes).
     *
     * @param listener the listener, or null for none
     */
    public void onSessionFinished(Consumer<SessionSummary> listener) {
        sessionListener = listener;
    }

    private void sessionFinished(RendezvousSession s) {
        sessions.remove(s);
        Consumer<SessionSummary> l = sessionListener;
        if (l != null) {
            try {
                l.accept(s.summary());
            } catch (RuntimeException e) {
                LOG.warn("session listener failed: {}", e.toString());
            }
        }
    }

    /** @return the number of TCP connections the server holds (log, comm, echo, control) */
    public int openConnections() {
        return onLoop(connections::size);
    }

    /** @return the number of source IPs the server holds connections from (leak checks) */
    public int sourcesTracked() {
        return onLoop(perSource::size);
    }

    /** @return how many inputs were refused for {@code why} (any thread) */
    public long rejected(Rejection why) {
        return rejections.get(why.ordinal());
    }

    /** @return how many inputs were refused, all reasons together (any thread) */
    public long rejectedTotal() {
        long n = 0;
        for (int i = 0; i < rejections.length(); i++) {
            n += rejections.get(i);
        }
        return n;
    }

    private <T> T onLoop(Supplier<T> query) {
        if (loop.inLoop()) {
            return query.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(query.get()));
        try {
            return f.get(CROSS_THREAD_WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking loop " + loop.name(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("loop " + loop.name() + " did not answer within "
                    + CROSS_THREAD_WAIT_S + " s", e);
        }
    }

    /**
     * Stops every service, ends every session and closes every client connection. Safe from any
     * thread (waits, bounded, for the loop); idempotent; a no-op once the loop is closed, since
     * closing the loop released every channel.
     */
    @Override
    public void close() {
        if (loop.inLoop()) {
            closeOnLoop();
            return;
        }
        if (!loop.isRunning()) {
            return;
        }
        try {
            onLoop(() -> {
                closeOnLoop();
                return null;
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
        for (TcpAcceptor a : acceptors) {
            a.close();
        }
        for (RendezvousSession s : sessions.toArray(new RendezvousSession[0])) {
            s.abort("server closing");
        }
        registry.disconnectAll();
        for (TcpConnection c : connections.toArray(new TcpConnection[0])) {
            c.close();
        }
        LOG.info("STUNT server on {} closed", logAddress);
    }

    /** Tracks connections and counts refusals for the accessors above. */
    private final class Observer implements ServiceObserver {
        @Override
        public void opened(TcpConnection c) {
            if (connections.add(c) && c.remoteAddress() != null) {
                perSource.merge(Ipv4.toInt(c.remoteAddress().getAddress()), 1, Integer::sum);
            }
        }

        @Override
        public void closed(TcpConnection c) {
            if (connections.remove(c) && c.remoteAddress() != null) {
                // merge removes the entry when the count reaches 0: no entry is left behind
                perSource.merge(Ipv4.toInt(c.remoteAddress().getAddress()), -1, (a, b) -> a + b == 0 ? null : a + b);
            }
        }

        @Override
        public void rejected(Rejection why, String service, InetSocketAddress remote, String detail) {
            rejections.incrementAndGet(why.ordinal());
            if (remote == null) {
                LOG.info("{}: refused {}: {}", service, why, detail);
            } else {
                LOG.info("{}: refused {} from {}: {}", service, why, remote, detail);
            }
        }
    }
}
