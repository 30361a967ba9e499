package io.xstunt.api;

import io.xstunt.engine.loop.EventLoop;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The process-wide default {@link EventLoop}: opened and started on its own daemon thread the
 * first time a session asks for it, and never closed: it ends with the process.
 *
 * <p>Lazy start without a lock or a class-initialisation wait (either would pin a virtual thread
 * that races for the first use): racers each open a loop, one wins the compare-and-set, the
 * losers close theirs before starting it.
 */
final class SharedLoop {
    private static final AtomicReference<EventLoop> LOOP = new AtomicReference<>();

    private SharedLoop() {
    }

    /** @return the shared loop, started */
    static EventLoop get() {
        EventLoop loop = LOOP.get();
        if (loop != null) {
            return loop;
        }
        EventLoop mine = EventLoop.open("xstunt-shared-loop");
        if (LOOP.compareAndSet(null, mine)) {
            return mine.start();
        }
        mine.close();
        return LOOP.get();
    }
}
