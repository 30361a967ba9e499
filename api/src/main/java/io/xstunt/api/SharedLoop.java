package io.xstunt.api;

import io.xstunt.engine.loop.EventLoop;

/**
 * The process-wide default {@link EventLoop}: opened and started on its own daemon thread the
 * first time a session asks for it (class-holder idiom, so no lock), and never closed: it ends
 * with the process.
 */
final class SharedLoop {
    private SharedLoop() {
    }

    /** @return the shared loop, started */
    static EventLoop get() {
        return Holder.LOOP;
    }

    private static final class Holder {
        static final EventLoop LOOP = EventLoop.open("xstunt-shared-loop").start();
    }
}
