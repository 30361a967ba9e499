package io.xstunt.cli;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.time.Duration;
import java.util.OptionalInt;

/**
 * A STUNT server on 127.0.0.1 + 127.0.0.2 with free ports, for the tests of the CLI and of the
 * examples (which take it from this module's test jar).
 */
public final class TestServer implements AutoCloseable {
    final EventLoop loop = EventLoop.open("examples-test-server").start();
    final StuntServer server;

    /**
     * Starts the server on its own event loop and waits (bounded) until it serves.
     *
     * @throws Exception if it cannot bind or start
     */
    public TestServer() throws Exception {
        try {
            server = ServerCommand.start(loop, ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                    .logPort(0).commPort(0).echoPort1(0).echoPort2(0).build());
        } catch (Exception e) {
            loop.close();
            throw e;
        }
    }

    /** @return the port of its log (registration) service */
    public int logPort() {
        return server.logAddress().getPort();
    }

    /** @return the port of its communication service */
    public int commPort() {
        return server.commAddress().getPort();
    }

    /** Waits, bounded, until {@code id} is registered and IDLE. */
    public void awaitIdle(String id, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!server.stateOf(id).equals(OptionalInt.of(Protocol.CSTATE_IDLE))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(id + " not IDLE on the server within " + bound);
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
