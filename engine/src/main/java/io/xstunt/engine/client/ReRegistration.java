package io.xstunt.engine.client;

/**
 * When a client that lost its server registers again ({@link ClientConfig#autoReRegister()}):
 * after {@link #MIN_DELAY_NS}, then after a delay that doubles with each failed try up to
 * {@link #MAX_DELAY_NS}; back to the shortest once registered.
 */
final class ReRegistration {
    /** The first delay before registering again once the server is lost. */
    static final long MIN_DELAY_NS = 500_000_000L;
    /** The longest delay between two tries to register again. */
    static final long MAX_DELAY_NS = 30_000_000_000L;

    private long delayNs = MIN_DELAY_NS;
    private boolean due;
    private long atNs;

    /** Schedules the next try; @return its delay */
    long schedule(long nowNs) {
        long d = delayNs;
        due = true;
        atNs = nowNs + d;
        delayNs = Math.min(MAX_DELAY_NS, delayNs * 2);
        return d;
    }

    /** @return true once a scheduled try is due at {@code nowNs} (it is then taken) */
    boolean take(long nowNs) {
        if (due && nowNs - atNs >= 0) {
            due = false;
            return true;
        }
        return false;
    }

    /** @return true while a try is scheduled */
    boolean scheduled() {
        return due;
    }

    /** @return when the scheduled try is due (meaningful while {@link #scheduled()}) */
    long atNs() {
        return atNs;
    }

    /** Registered again: the next loss starts over with the shortest delay. */
    void succeeded() {
        delayNs = MIN_DELAY_NS;
    }

    /** No more tries (the client is closed). */
    void cancel() {
        due = false;
    }
}
