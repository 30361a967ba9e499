package io.xstunt.engine.nat;

import java.time.Duration;

/**
 * The punch's retry period, shared by the client's RACE grid (which measures the round trip
 * through the server itself) and the server's FAST plan (which computes it from the two clients'
 * round trips and sends it): one formula, so that both ends of a FAST punch retry on the same
 * grid as RACE would. Pure.
 */
public final class PunchGrid {
    /** The shortest retry period. */
    public static final Duration MIN_RETRY = Duration.ofMillis(10);
    /** The longest retry period. */
    public static final Duration MAX_RETRY = Duration.ofSeconds(2);

    private PunchGrid() {
    }

    /**
     * A little over one round trip through the server (so that an attempt a RST-answering NAT
     * refuses has failed before the next grid point): 1.25 round trips + 2 ms, within
     * {@link #MIN_RETRY} and {@link #MAX_RETRY}.
     *
     * @param rttNs the round trip initiator - server - listener - server - initiator, in ns
     * @return the retry period in ns
     */
    public static long retryPeriodNs(long rttNs) {
        return Math.min(Math.max(rttNs + rttNs / 4 + MIN_RETRY.toNanos() / 5, MIN_RETRY.toNanos()),
                MAX_RETRY.toNanos());
    }
}
