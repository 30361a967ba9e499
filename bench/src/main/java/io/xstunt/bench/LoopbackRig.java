package io.xstunt.bench;

import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A STUNT server on 127.0.0.1 + 127.0.0.2 (free ports, its own loop) and the options of peers
 * bound to 127.0.0.N, so that the server sees distinct "public" IPs and the full traversal runs.
 */
final class LoopbackRig implements AutoCloseable {
    static final String IP1 = "127.0.0.1";
    static final String IP2 = "127.0.0.2";

    final EventLoop serverLoop;
    final StuntServer server;
    final EventLoop clientLoop;

    private LoopbackRig(EventLoop serverLoop, StuntServer server, EventLoop clientLoop) {
        this.serverLoop = serverLoop;
        this.server = server;
        this.clientLoop = clientLoop;
    }

    /** Starts the server; peers of this rig share one client loop (2 cores: one thread per side). */
    static LoopbackRig start() throws Exception {
        EventLoop loop = EventLoop.open("bench-server").start();
        try {
            ServerConfig config = ServerConfig.builder(Ipv4.parse(IP1), Ipv4.parse(IP2))
                    .logPort(0).commPort(0).echoPort1(0).echoPort2(0).backlog(1024)
                    // a benchmark asks for announcements far faster than the per-client rate limit allows
                    .maxAnnouncementsPerSecond(1_000_000)
                    .build();
            StuntServer server = StuntServer.start(loop, config).get(10, TimeUnit.SECONDS);
            return new LoopbackRig(loop, server, EventLoop.open("bench-clients").start());
        } catch (Exception e) {
            loop.close();
            throw e;
        }
    }

    /** Options of a peer bound to 127.0.0.{@code lastOctet}; {@code fingerprint} null: always probe. */
    XstuntOptions options(int lastOctet, Path fingerprint) {
        return options("127.0.0." + lastOctet, fingerprint);
    }

    /** Options of a peer bound to {@code address} (a 127/8 literal); {@code fingerprint} null: always probe. */
    XstuntOptions options(String address, Path fingerprint) {
        return XstuntOptions.builder()
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .localAddress(address)
                .fingerprintFile(fingerprint)
                .eventLoop(clientLoop)
                .build();
    }

    /** Waits, bounded, until the server reports {@code id} in {@code state} (empty: not registered). */
    void awaitState(String id, OptionalInt state, Duration bound) {
        await(() -> server.stateOf(id).equals(state), bound, id + " in state " + state);
    }

    static void await(BooleanSupplier condition, Duration bound, String what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("not within " + bound + ": " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            clientLoop.close();
            serverLoop.close();
        }
    }
}
