package io.xstunt.engine.loop;

import java.io.IOException;

/**
 * What an {@link EventLoop} running on its own thread ({@link EventLoop#start(IdleStrategy)}) does
 * after a duty cycle that found no work (the Agrona idle strategy).
 */
@FunctionalInterface
public interface IdleStrategy {
    /**
     * Sleeps in the selector until the next deadline, a command from another thread, or a ready
     * channel: no CPU while idle, a wake-up costs a system call. The default.
     */
    IdleStrategy SELECT = EventLoop::awaitWork;

    /**
     * Never sleeps: the lowest latency for a loop that owns a core, at the price of that core.
     */
    IdleStrategy BUSY_SPIN = loop -> Thread.onSpinWait();

    /**
     * Waits for work; called on the loop's thread after {@link EventLoop#doWork()} returned 0.
     *
     * @throws IOException if the selector fails (the loop stops)
     */
    void idle(EventLoop loop) throws IOException;
}
