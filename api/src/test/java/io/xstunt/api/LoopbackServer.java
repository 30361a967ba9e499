package io.xstunt.api;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A STUNT server on 127.0.0.1 + 127.0.0.2 with free ports, on its own loop, for end-to-end tests;
 * peers get distinct loopback addresses 127.0.0.N so the server sees distinct "public" IPs.
 */
final class LoopbackServer implements AutoCloseable {
    static final String IP1 = "127.0.0.1";
    static final String IP2 = "127.0.0.2";

    final EventLoop loop;
    final StuntServer server;

    private LoopbackServer(EventLoop loop, StuntServer server) {
        this.loop = loop;
        this.server = server;
    }

    static LoopbackServer start() throws Exception {
        return start(UnaryOperator.identity());
    }

    static LoopbackServer start(UnaryOperator<ServerConfig.Builder> tuning) throws Exception {
        EventLoop loop = EventLoop.open("test-server").start();
        try {
            ServerConfig config = tuning.apply(ServerConfig.builder(Ipv4.parse(IP1), Ipv4.parse(IP2))
                    .logPort(0).commPort(0).echoPort1(0).echoPort2(0)).build();
            return new LoopbackServer(loop, StuntServer.start(loop, config).get(10, TimeUnit.SECONDS));
        } catch (Exception e) {
            loop.close();
            throw e;
        }
    }

    /** Options for a peer bound to 127.0.0.{@code lastOctet}, fingerprint file in {@code dir}. */
    XstuntOptions.Builder peer(int lastOctet, Path dir) {
        if (lastOctet < 11 || lastOctet > 200) {
            throw new IllegalArgumentException("peers use 127.0.0.11 .. 127.0.0.200, not " + lastOctet);
        }
        return XstuntOptions.builder()
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .localAddress("127.0.0." + lastOctet)
                .fingerprintFile(dir.resolve("fingerprint-" + lastOctet + ".dat"));
    }

    XstuntClient register(String id, int lastOctet, Path dir) throws Exception {
        return Xstunt.xInit(IP1, IP2, id, peer(lastOctet, dir).build());
    }

    OptionalInt stateOf(String id) {
        return server.stateOf(id);
    }

    /** Waits, bounded, until {@code condition} holds (state the server reaches asynchronously). */
    static void awaitCondition(String what, Duration bound, BooleanSupplier condition) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + bound + ": " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            loop.close();
        }
    }
}
