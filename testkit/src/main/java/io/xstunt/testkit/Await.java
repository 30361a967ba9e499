package io.xstunt.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.pollinterval.PollInterval;

/**
 * Bounded waits for a condition that the code under test reaches on its own threads (a server's
 * state, bytes that arrive): polled with Awaitility, first at once, then after pauses that grow
 * from 0.1 ms to {@link #MAX_PAUSE}, so a wait neither spins a core away from the code under test
 * (2 shared cores) nor adds more than a few milliseconds to a fast condition. Each check runs on
 * the calling thread (no poller thread per wait); a check must itself be bounded. When the bound
 * passes the wait fails with an {@link AssertionError} that names what it waited for.
 */
public final class Await {
    /** The longest pause between two checks. */
    public static final Duration MAX_PAUSE = Duration.ofMillis(20);
    private static final Duration FIRST_PAUSE = Duration.ofNanos(100_000);

    private Await() {
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @param what what is awaited, for the failure message ("alice IDLE on the server")
     * @param bound how long at most
     * @throws AssertionError "not within BOUND: WHAT" when the bound passed first
     */
    public static void until(String what, Duration bound, BooleanSupplier condition) {
        try {
            Awaitility.await(what)
                    .atMost(bound)
                    .pollDelay(Duration.ZERO)
                    .pollInterval(pauses())
                    .pollInSameThread()
                    .until(condition::getAsBoolean);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not within " + bound + ": " + what, e);
        }
    }

    /** The pause after the {@code n}-th check: 0.1 ms, doubling with each check, at most {@link #MAX_PAUSE}. */
    static PollInterval pauses() {
        return (n, previous) -> n >= 16 ? MAX_PAUSE : min(FIRST_PAUSE.multipliedBy(1L << (n - 1)), MAX_PAUSE);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
