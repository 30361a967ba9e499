package io.xstunt.engine.server;

import io.xstunt.engine.loop.EventLoop;

/**
 * CONTRACT SKELETON, filled in by the server work: the STUNT server (log, comm, control relay,
 * echo x4) on an {@link EventLoop}.
 */
public final class StuntServer implements AutoCloseable {
    private StuntServer() {
    }

    /** Binds every service and starts serving on {@code loop}. Safe from any thread. */
    public static java.util.concurrent.CompletableFuture<StuntServer> start(EventLoop loop, ServerConfig config) {
        throw new UnsupportedOperationException("server not built yet");
    }

    /** Stops every service and closes every client connection. */
    @Override
    public void close() {
        throw new UnsupportedOperationException("server not built yet");
    }
}
