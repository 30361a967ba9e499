package io.xstunt.engine.client;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import java.util.OptionalLong;

/**
 * The one loop timer of an adapter: armed at the earliest deadline its procedures ask for,
 * cancelled when none does. Loop thread only.
 */
final class DeadlineSlot {
    private final EventLoop loop;
    private final Runnable onFire;
    private DeadlineTimers.Timer timer;

    DeadlineSlot(EventLoop loop, Runnable onFire) {
        this.loop = loop;
        this.onFire = onFire;
    }

    /** Arms the timer at the earliest of {@code deadlines}, or cancels it if all are empty. */
    void set(OptionalLong... deadlines) {
        boolean any = false;
        long earliest = 0;
        for (OptionalLong d : deadlines) {
            if (d.isPresent() && (!any || d.getAsLong() - earliest < 0)) {
                earliest = d.getAsLong();
                any = true;
            }
        }
        if (!any) {
            cancel();
            return;
        }
        long delay = Math.max(0, earliest - loop.clockNs());
        if (timer == null) {
            timer = loop.schedule(delay, onFire);
        } else if (!timer.pending() || timer.deadlineNs() != earliest) {
            loop.reschedule(timer, delay);
        }
    }

    void cancel() {
        if (timer != null) {
            timer.cancel();
        }
    }

    boolean pending() {
        return timer != null && timer.pending();
    }
}
