package io.xstunt.engine.loop;

import java.util.Arrays;

/**
 * Deadlines polled from the duty cycle (no timer threads): an indexed binary heap, so that a
 * timer is scheduled, cancelled and rescheduled in O(log n) without garbage. Not thread-safe:
 * owned by the loop thread. Deadlines compare wrap-safely ({@code a - b < 0}).
 */
public final class DeadlineTimers {
    /** A scheduled task; {@link #cancel()} is idempotent. */
    public static final class Timer {
        private final DeadlineTimers owner;
        private final Runnable task;
        private long deadlineNs;
        private int index = -1;

        private Timer(DeadlineTimers owner, Runnable task) {
            this.owner = owner;
            this.task = task;
        }

        /** Removes the timer if it is still pending. */
        public void cancel() {
            if (index >= 0) {
                owner.remove(this);
            }
        }

        /** @return true while the timer waits to fire */
        public boolean pending() {
            return index >= 0;
        }

        /** @return the deadline on the loop's nanosecond clock */
        public long deadlineNs() {
            return deadlineNs;
        }
    }

    private Timer[] heap = new Timer[64];
    private int size;

    /** @return a new pending timer that runs {@code task} at {@code deadlineNs} */
    public Timer schedule(long deadlineNs, Runnable task) {
        Timer t = new Timer(this, task);
        reschedule(t, deadlineNs);
        return t;
    }

    /** Moves a timer of this heap (pending or not) to a new deadline. */
    public void reschedule(Timer t, long deadlineNs) {
        if (t.owner != this) {
            throw new IllegalArgumentException("timer of another loop");
        }
        if (t.index >= 0) {
            remove(t);
        }
        t.deadlineNs = deadlineNs;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.index = size++;
        up(t.index);
    }

    /** @return true if no timer is pending */
    public boolean isEmpty() {
        return size == 0;
    }

    /** @return the earliest pending deadline; only meaningful when not {@link #isEmpty()} */
    public long earliestNs() {
        return heap[0].deadlineNs;
    }

    /** @return the number of pending timers */
    public int size() {
        return size;
    }

    /**
     * Runs every timer whose deadline is at or before {@code nowNs}, at most as many as were
     * pending when it was called: a task that re-arms a timer at a deadline already due (a delay
     * of 0 on a clock that has not moved) runs again at the next call, not in an endless loop here.
     *
     * @return how many ran
     */
    public int expire(long nowNs, java.util.function.Consumer<Throwable> onError) {
        int fired = 0;
        int budget = size;
        while (fired < budget && size > 0 && heap[0].deadlineNs - nowNs <= 0) {
            Timer t = heap[0];
            remove(t);
            fired++;
            try {
                t.task.run();
            } catch (RuntimeException | Error e) {
                onError.accept(e);
            }
        }
        return fired;
    }

    private void remove(Timer t) {
        int i = t.index;
        Timer last = heap[--size];
        heap[size] = null;
        t.index = -1;
        if (i != size) {
            heap[i] = last;
            last.index = i;
            if (!up(i)) {
                down(i);
            }
        }
    }

    private boolean up(int i) {
        boolean moved = false;
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (t.deadlineNs - p.deadlineNs >= 0) {
                break;
            }
            heap[i] = p;
            p.index = i;
            i = parent;
            moved = true;
        }
        heap[i] = t;
        t.index = i;
        return moved;
    }

    private void down(int i) {
        Timer t = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1].deadlineNs - heap[child].deadlineNs < 0) {
                child++;
            }
            Timer c = heap[child];
            if (c.deadlineNs - t.deadlineNs >= 0) {
                break;
            }
            heap[i] = c;
            c.index = i;
            i = child;
        }
        heap[i] = t;
        t.index = i;
    }
}
