package io.xstunt.engine.loop;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an {@link EventLoop} on a thread of its own (the Agrona agent runner): duty cycles until the
 * loop is closed, the {@link IdleStrategy} after each that found no work, and the loop's shutdown
 * on the same thread at the end. A host that drives the loop from its own loop does not need it:
 * it calls {@link EventLoop#doWork()}.
 */
final class LoopRunner implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(LoopRunner.class);

    private final EventLoop loop;
    private final IdleStrategy idle;

    LoopRunner(EventLoop loop, IdleStrategy idle) {
        this.loop = loop;
        this.idle = idle;
    }

    @Override
    public void run() {
        try {
            while (loop.isRunning()) {
                if (loop.doWork() == 0) {
                    idle.idle(loop);
                }
            }
        } catch (Throwable t) {
            LOG.error("loop {} stopped by an unexpected error", loop.name(), t);
        } finally {
            loop.finishOnOwnThread();
        }
    }
}
