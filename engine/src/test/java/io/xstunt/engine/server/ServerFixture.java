package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.wire.Ipv4;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A server on 127.0.0.1 + 127.0.0.2 (ports 0) on a loop thread of its own, with bounded waits on
 * it; closing it checks that the loop saw no unexpected error.
 */
final class ServerFixture implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    final EventLoop loop;
    final StuntServer server;
    final int baseKeys;

    ServerFixture(UnaryOperator<ServerConfig.Builder> tune) throws Exception {
        loop = EventLoop.open("stunt-server-robust").start();
        ServerConfig config = tune.apply(ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                .logPort(0).commPort(0).echoPort1(0).echoPort2(0)).build();
        server = StuntServer.start(loop, config, (id, line) -> { }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        baseKeys = onLoop(loop::registeredKeys);
    }

    /** Asks the loop thread, bounded. */
    <T> T onLoop(Supplier<T> q) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(q.get()));
        try {
            return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the loop did not answer", e);
        }
    }

    /** Waits, bounded, for a condition; each check is a round trip through the loop. */
    static void await(String what, BooleanSupplier cond) {
        LoopTesting.until(what, WAIT, cond);
    }

    void awaitState(String id, int state) {
        await(id + " in state " + state, () -> server.stateOf(id).equals(OptionalInt.of(state)));
    }

    void awaitGone(String id) {
        await(id + " unregistered", () -> server.stateOf(id).isEmpty());
    }

    void awaitCount(Rejection r, long n) {
        await(r + " counted " + n + " times (is " + server.rejected(r) + ")", () -> server.rejected(r) == n);
    }

    /** Nothing of a session, connection or timer is left beyond the given idle log connections. */
    void awaitNoLeaks(int logConnections) {
        await("only " + logConnections + " log connections, no session, listener keys only", () ->
                server.openConnections() == logConnections && server.sessionsInFlight() == 0
                        && onLoop(loop::registeredKeys) == baseKeys + logConnections);
        await("timers of the idle log connections only", () -> onLoop(loop::pendingTimers) <= logConnections);
    }

    @Override
    public void close() {
        server.close();
        long errors = loop.errorCount();
        loop.close();
        assertEquals(0, errors, "unexpected errors on the loop (see the log)");
    }
}
