package io.xstunt.testkit;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * The one loopback STUNT server of the tests and benchmarks: a real {@link StuntServer} on
 * {@link #IP1} + {@link #IP2} with free ports (log, comm, both echo ports), on an event loop of its
 * own. Peers bind distinct loopback addresses ({@link #peerAddress}: on Linux all of 127/8 is
 * local), so that the server sees distinct "public" IPs and the full traversal runs.
 *
 * <pre>{@code
 * try (LoopbackServer server = LoopbackServer.start()) {               // or start(b -> b.backlog(1024))
 *     ... XstuntOptions.builder().logPort(server.logPort()).commPort(server.commPort())
 *             .localAddress(LoopbackServer.peerAddress(11)) ...
 *     server.awaitIdle("alice", Duration.ofSeconds(10));
 * }
 * }</pre>
 */
public final class LoopbackServer implements AutoCloseable {
    /** The server's first address. */
    public static final String IP1 = "127.0.0.1";
    /** The server's second address (the probes need two). */
    public static final String IP2 = "127.0.0.2";
    /** How long the server may take to bind its services. */
    public static final Duration START_BOUND = Duration.ofSeconds(10);

    private final EventLoop loop;
    private final StuntServer server;

    private LoopbackServer(EventLoop loop, StuntServer server) {
        this.loop = loop;
        this.server = server;
    }

    /** Starts a server with the default configuration (free ports). */
    public static LoopbackServer start() throws Exception {
        return start(UnaryOperator.identity());
    }

    /**
     * Starts a server on free ports, its configuration tuned by {@code tuning} (limits, backlog,
     * required build...), on a new loop of its own.
     */
    public static LoopbackServer start(UnaryOperator<ServerConfig.Builder> tuning) throws Exception {
        EventLoop loop = EventLoop.open("loopback-stunt-server").start();
        try {
            ServerConfig config = tuning.apply(ServerConfig.builder(Ipv4.parse(IP1), Ipv4.parse(IP2))
                    .logPort(0).commPort(0).echoPort1(0).echoPort2(0)).build();
            StuntServer server = StuntServer.start(loop, config).get(START_BOUND.toMillis(), TimeUnit.MILLISECONDS);
            return new LoopbackServer(loop, server);
        } catch (ExecutionException | TimeoutException | InterruptedException | RuntimeException e) {
            loop.close();
            throw e;
        }
    }

    /**
     * @param lastOctet 11 to 254 (below 11: the server's own and reserved addresses)
     * @return the peer address {@code 127.0.0.<lastOctet>}
     */
    public static String peerAddress(int lastOctet) {
        if (lastOctet < 11 || lastOctet > 254) {
            throw new IllegalArgumentException("peers use 127.0.0.11 .. 127.0.0.254, not " + lastOctet);
        }
        return "127.0.0." + lastOctet;
    }

    /** @return the server (its addresses, counters, states) */
    public StuntServer server() {
        return server;
    }

    /** @return the server's own loop */
    public EventLoop loop() {
        return loop;
    }

    /** @return the log (registration) port */
    public int logPort() {
        return server.logAddress().getPort();
    }

    /** @return the communication (MSG_CONNECT / query / deregister) port */
    public int commPort() {
        return server.commAddress().getPort();
    }

    /** @return the server's state of {@code id} (a {@code Protocol.CSTATE_*}), empty if not registered */
    public OptionalInt stateOf(String id) {
        return server.stateOf(id);
    }

    /**
     * Waits, bounded, until the server holds {@code id} in {@code state}, or, with an empty
     * state, no longer holds it (the server gets there asynchronously).
     */
    public void awaitState(String id, OptionalInt state, Duration bound) {
        Await.until(state.isEmpty() ? id + " no longer registered on the server"
                : id + " in state " + state.getAsInt() + " on the server", bound, () -> stateOf(id).equals(state));
    }

    /** Waits, bounded, until {@code id} is registered and IDLE on the server. */
    public void awaitIdle(String id, Duration bound) {
        awaitState(id, OptionalInt.of(Protocol.CSTATE_IDLE), bound);
    }

    /** Waits, bounded, until the server no longer holds {@code id}. */
    public void awaitGone(String id, Duration bound) {
        awaitState(id, OptionalInt.empty(), bound);
    }

    /** Closes the server, then its loop. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            loop.close();
        }
    }
}
