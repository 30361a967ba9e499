package io.xstunt.api;

import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.Rejection;
import io.xstunt.engine.server.StuntServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A running STUNT server, the rendezvous point of XSTUNT 1.0: the log service (XInit's
 * registrations, the clients' log lines, session announcements), the communication service
 * (XConnect's MSG_CONNECT, XDeRegister's MSG_DEREGISTER, MSG_QUERY), one control channel per
 * rendezvous session, and the echo service that clients probe their NAT with. Original XSTUNT
 * clients and this library's clients use it alike.
 *
 * <p>Start one with {@link #start(ServerOptions)} (on an event loop of its own) or
 * {@link #start(ServerOptions, EventLoop)} (on a loop the caller drives, e.g. a game server's).
 * Every method is safe from any thread; the accessors wait, bounded, for the loop's answer, so do
 * not call them on the loop's own thread while it is blocked. {@link #close()} stops it.
 */
public final class XstuntServer implements AutoCloseable {
    /** How long a blocking {@link #start} waits for the services to be bound. */
    private static final Duration START_BOUND = Duration.ofSeconds(10);

    private final StuntServer server;
    private final EventLoop ownLoop;

    private final ServerMetrics metrics;

    private XstuntServer(StuntServer server, EventLoop ownLoop) {
        this.server = server;
        this.ownLoop = ownLoop;
        this.metrics = new ServerMetrics(server);
    }

    /**
     * Starts a server on an event loop of its own (a daemon thread), binding every service.
     *
     * @throws XstuntException {@link ErrorCode#ERR_BIND} if a port cannot be bound (nothing stays
     *     bound); ERR_TIMEOUT if binding does not finish within 10 s
     * @throws IllegalArgumentException naming the first invalid option
     */
    public static XstuntServer start(ServerOptions options) throws XstuntException {
        EventLoop loop = EventLoop.open("xstunt-server").start();
        try {
            return BoundedWait.await(startAsync(options, loop, loop), START_BOUND, "server start", XstuntServer::close);
        } catch (XstuntException | RuntimeException e) {
            loop.close();
            throw e;
        }
    }

    /**
     * Starts a server on {@code loop}, which the caller drives ({@link EventLoop#doWork()}) or
     * started. Never blocks: call it on the loop's own thread too.
     *
     * @return completes with the running server, or exceptionally with an {@link XstuntException}
     *     ({@link ErrorCode#ERR_BIND}: nothing stays bound)
     * @throws IllegalArgumentException naming the first invalid option
     */
    public static CompletableFuture<XstuntServer> start(ServerOptions options, EventLoop loop) {
        return startAsync(options, Objects.requireNonNull(loop, "loop"), null);
    }

    private static CompletableFuture<XstuntServer> startAsync(ServerOptions options, EventLoop loop, EventLoop own) {
        Objects.requireNonNull(options, "options");
        return BoundedWait.translated(StuntServer.start(loop, options.config(), options.registryUri())
                .thenApply(s -> new XstuntServer(s, own)));
    }

    /** @return where the log service listens (the real port if 0 was asked) */
    public InetSocketAddress logAddress() {
        return server.logAddress();
    }

    /** @return where the communication service listens (the real port if 0 was asked) */
    public InetSocketAddress commAddress() {
        return server.commAddress();
    }

    /**
     * @return where the log service listens on IPv6 ({@link ServerOptions#listen6}, the same port
     *     as on IPv4), or null if the server listens on IPv4 only (as XSTUNT 1.0's)
     */
    public InetSocketAddress logAddress6() {
        return server.logAddress6();
    }

    /** @return the server's two IPv4 addresses, as the clients give them to XInit ({@code pchIP1}, {@code pchIP2}) */
    public String[] ips() {
        return new String[] {server.config().ip1().getHostAddress(), server.config().ip2().getHostAddress()};
    }

    /** @return the two echo ports bound on both IPs, as announced to clients (ServerInfo wPort1, wPort2) */
    public int[] echoPorts() {
        return server.echoPorts();
    }

    /** @return the server version sent in the log greeting ({@code nServerVer}) */
    public int serverVersion() {
        return server.config().serverVersion();
    }

    /** @return the number of registered IDs (any state) */
    public int registeredCount() {
        return server.registeredCount();
    }

    /**
     * @return the {@code CSTATE_*} of {@code id} (0 PROBE, 1 IDLE, 2 BUSY), empty if not
     *     registered: what MSG_QUERY answers
     */
    public OptionalInt stateOf(String id) {
        return server.stateOf(id);
    }

    /** @return the number of rendezvous sessions with anything still open */
    public int sessionsInFlight() {
        return server.sessionsInFlight();
    }

    /**
     * @return the state of the registry this server uses ({@link ServerOptions#registry(String)}):
     *     shared or in memory, whether its store answers, its commands, errors and latency
     */
    public RegistryStatus registryStatus() {
        io.xstunt.engine.registry.RegistryHealth h = server.registryHealth();
        return new RegistryStatus(h.shared(), h.reachable(), h.commands(), h.errors(),
                Duration.ofNanos(h.lastLatencyNs()), h.outages());
    }

    /**
     * Tells {@code listener} what the registry's store does from now on: each reachability change
     * and each command's latency (a shared registry; the in-memory one tells nothing). Replaces
     * the previous listener.
     *
     * @param listener the listener, or null for none
     */
    public void onRegistryEvents(RegistryEvents listener) {
        server.onRegistryEvents(listener == null ? null : new io.xstunt.engine.registry.RegistryListener() {
            @Override
            public void reachability(boolean reachable, String why) {
                listener.reachability(reachable, why);
            }

            @Override
            public void command(long latencyNs, boolean failed) {
                listener.command(latencyNs, failed);
            }
        });
    }

    /** @return the number of TCP connections the server holds (log, comm, echo, control) */
    public int openConnections() {
        return server.openConnections();
    }

    /** @return how many inputs the server refused (bad bytes, limits, timeouts), all reasons together */
    public long refusals() {
        return server.rejectedTotal();
    }

    /**
     * @param reason a refusal's name as the server logs it (e.g. "BAD_BYTES", "SOURCE_LIMIT"; the
     *     list is in docs/RELIABILITY.md)
     * @return how many inputs the server refused for that reason
     * @throws IllegalArgumentException if there is no such reason
     */
    public long refusals(String reason) {
        return server.rejected(Rejection.valueOf(reason));
    }

    /**
     * @return what the server has done and holds, for operators (not in XSTUNT 1.0): counts read
     *     without stopping the loop; bind them to Micrometer with {@link ServerMeterBinder}
     */
    public ServerMetrics metrics() {
        return metrics;
    }

    /**
     * Tells {@code listener} about every rendezvous session once nothing of it is left open. It
     * runs on the server's loop thread: it must not block.
     *
     * @param listener the listener, or null for none
     */
    public void onSessionFinished(Consumer<SessionReport> listener) {
        server.onSessionFinished(listener == null ? null : s -> listener.accept(new SessionReport(s.sessionId(),
                s.initiatorId(), s.listenerId(), s.bytesFromInitiator(), s.bytesFromListener(), s.endReason(),
                s.path().name().toLowerCase(java.util.Locale.ROOT), s.relayReason(), s.relayedFromInitiator(),
                s.relayedFromListener(), s.strategy(), s.phases())));
    }

    /**
     * Stops every service, ends every session and closes every client connection (and the
     * server's own event loop, if it has one). Idempotent.
     */
    @Override
    public void close() {
        server.close();
        if (ownLoop != null) {
            ownLoop.close();
        }
    }

    /** @return the engine's server (within the API: tests) */
    StuntServer engine() {
        return server;
    }

    /** The public form of an engine failure (used by callers of the engine's futures). */
    static Throwable publicFailure(Throwable t) {
        return t instanceof Failure f ? XstuntException.of(f) : t;
    }
}
