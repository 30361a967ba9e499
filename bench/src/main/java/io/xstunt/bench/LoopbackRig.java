package io.xstunt.bench;

import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.testkit.LoopbackServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * The benchmarks' rig: the shared {@link LoopbackServer} (tuned for load: a deep backlog, no
 * announcement rate limit) and one client loop that every peer of the rig shares (2 cores: one
 * thread per side), with the options of peers bound to 127.0.0.N or any 127/8 address.
 */
final class LoopbackRig implements AutoCloseable {
    static final String IP1 = LoopbackServer.IP1;
    static final String IP2 = LoopbackServer.IP2;

    final LoopbackServer loopback;
    final StuntServer server;
    final EventLoop clientLoop;

    private LoopbackRig(LoopbackServer loopback, EventLoop clientLoop) {
        this.loopback = loopback;
        this.server = loopback.server();
        this.clientLoop = clientLoop;
    }

    static LoopbackRig start() throws Exception {
        LoopbackServer loopback = LoopbackServer.start(b -> b.backlog(1024)
                // a benchmark asks for announcements far faster than the per-client rate limit allows
                .maxAnnouncementsPerSecond(1_000_000));
        return new LoopbackRig(loopback, EventLoop.open("bench-clients").start());
    }

    /** Options of a peer bound to 127.0.0.{@code lastOctet}; {@code fingerprint} null: always probe. */
    XstuntOptions options(int lastOctet, Path fingerprint) {
        return options(LoopbackServer.peerAddress(lastOctet), fingerprint);
    }

    /** Options of a peer bound to {@code address} (a 127/8 literal); {@code fingerprint} null: always probe. */
    XstuntOptions options(String address, Path fingerprint) {
        return options(address, fingerprint, io.xstunt.api.PunchStrategy.FAST);
    }

    /** {@link #options(String, Path)} with {@code strategy}. */
    XstuntOptions options(String address, Path fingerprint, io.xstunt.api.PunchStrategy strategy) {
        return XstuntOptions.builder()
                .punchStrategy(strategy)
                .logPort(loopback.logPort())
                .commPort(loopback.commPort())
                .localAddress(address)
                .fingerprintFile(fingerprint)
                .eventLoop(clientLoop)
                .build();
    }

    /** Waits, bounded, until the server reports {@code id} in {@code state} (empty: not registered). */
    void awaitState(String id, OptionalInt state, Duration bound) {
        loopback.awaitState(id, state, bound);
    }

    @Override
    public void close() {
        try {
            loopback.close();
        } finally {
            clientLoop.close();
        }
    }
}
