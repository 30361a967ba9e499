package io.xstunt.engine.sim;

import io.xstunt.engine.loop.DeadlineTimers;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The simulation's virtual clock and what is due on it: the simulation's own events (packet
 * arrivals, kernel timers) in a queue ordered by time and, at equal times, by scheduling order, and
 * the engine's timers ({@link DeadlineTimers}, which the {@code Network} interface hands out). The
 * clock jumps from one due item to the next; nothing waits in real time. Owned by one thread,
 * except {@link #post}.
 */
final class EventQueue {
    /** A scheduled event; {@link #cancel()} is idempotent. */
    static final class Event {
        private final long timeNs;
        private final long order;
        private final Runnable task;
        private boolean cancelled;
        private boolean done;

        private Event(long timeNs, long order, Runnable task) {
            this.timeNs = timeNs;
            this.order = order;
            this.task = task;
        }

        /** Keeps the event from running if it has not run yet. */
        void cancel() {
            cancelled = true;
        }

        /** @return true while it waits to run */
        boolean pending() {
            return !cancelled && !done;
        }
    }

    /** Wrap-safe: times are compared by their difference, as the engine's clock requires. */
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> {
        long d = a.timeNs - b.timeNs;
        return d != 0 ? Long.signum(d) : Long.compare(a.order, b.order);
    });
    private final DeadlineTimers timers = new DeadlineTimers();
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private long nowNs;
    private long nextOrder;

    /** @param originNs the clock's first reading */
    EventQueue(long originNs) {
        this.nowNs = originNs;
    }

    /** @return the virtual time, in nanoseconds */
    long nowNs() {
        return nowNs;
    }

    /** @return the engine's timers, on this clock */
    DeadlineTimers timers() {
        return timers;
    }

    /** @return an event that runs {@code task} at {@code timeNs} (now, if that has passed), after everything due earlier or already scheduled for then */
    Event at(long timeNs, Runnable task) {
        Event e = new Event(timeNs - nowNs < 0 ? nowNs : timeNs, nextOrder++, task);
        events.add(e);
        return e;
    }

    /** @return an event that runs {@code task} {@code delayNs} from now */
    Event after(long delayNs, Runnable task) {
        return at(nowNs + delayNs, task);
    }

    /** Queues {@code task} to run at the current time once the owner steps again. Safe from any thread. */
    void post(Runnable task) {
        inbox.add(task);
    }

    /** @return true if nothing is scheduled (events, timers or posted tasks) */
    boolean idle() {
        return inbox.isEmpty() && liveHead() == null && timers.isEmpty();
    }

    /** @return when the next item is due; meaningful unless {@link #idle()} */
    long nextDueNs() {
        if (!inbox.isEmpty()) {
            return nowNs;
        }
        Event head = liveHead();
        if (timers.isEmpty()) {
            return head.timeNs;
        }
        return head == null || timers.earliestNs() - head.timeNs <= 0 ? timers.earliestNs() : head.timeNs;
    }

    /**
     * Runs the next item due: the posted tasks, or the earliest event, or every engine timer due at
     * the earliest deadline (timers go first at equal times). The clock moves to its time. A task
     * that throws does not stop the others; {@code onError} hears it.
     *
     * @return false if nothing was scheduled
     */
    boolean step(Consumer<Throwable> onError) {
        Runnable posted = inbox.poll();
        if (posted != null) {
            run(posted, onError);
            return true;
        }
        Event head = liveHead();
        if (!timers.isEmpty() && (head == null || timers.earliestNs() - head.timeNs <= 0)) {
            advanceTo(timers.earliestNs());
            timers.expire(nowNs, onError);
            return true;
        }
        if (head == null) {
            return false;
        }
        events.poll();
        advanceTo(head.timeNs);
        head.done = true;
        run(head.task, onError);
        return true;
    }

    /** Moves the clock to {@code timeNs} if that is later (a run that ends between events). */
    void advanceTo(long timeNs) {
        if (timeNs - nowNs > 0) {
            nowNs = timeNs;
        }
    }

    private Event liveHead() {
        Event head;
        while ((head = events.peek()) != null && head.cancelled) {
            events.poll();
        }
        return head;
    }

    private static void run(Runnable task, Consumer<Throwable> onError) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            onError.accept(e);
        }
    }
}
