package io.xstunt.engine.proc;

/**
 * The earliest of several deadlines, compared wrap-safely ({@code a - b < 0}): for a procedure that
 * keeps more than one timer of its own (keepalives, waiting calls) and sets its one deadline to
 * the nearest. Reusable: {@link #reset()}, {@link #offer} each, then read.
 */
public final class EarliestDeadline {
    private boolean any;
    private long earliestNs;

    /** Forgets what was offered. */
    public EarliestDeadline reset() {
        any = false;
        return this;
    }

    /** Offers one deadline. */
    public void offer(long deadlineNs) {
        if (!any || deadlineNs - earliestNs < 0) {
            earliestNs = deadlineNs;
            any = true;
        }
    }

    /** @return true if any deadline was offered */
    public boolean any() {
        return any;
    }

    /** @return the earliest deadline offered; meaningful if {@link #any()} */
    public long earliestNs() {
        return earliestNs;
    }
}
