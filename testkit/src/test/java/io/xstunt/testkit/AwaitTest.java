package io.xstunt.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.pollinterval.PollInterval;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void returnsOnceTheConditionHoldsCheckingFirstAtOnce() {
        AtomicInteger checks = new AtomicInteger();
        Await.until("true at once", Duration.ofSeconds(5), () -> checks.incrementAndGet() > 0);
        assertEquals(1, checks.get(), "a condition that holds is checked once, with no pause before");
        Await.until("the third check", Duration.ofSeconds(30), () -> checks.incrementAndGet() >= 4);
        assertEquals(4, checks.get());
    }

    @Test
    void failsNamingWhatItWaitedForWhenTheBoundPasses() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until("bob IDLE on the server", Duration.ofMillis(50), () -> false));
        assertTrue(e.getMessage().contains("bob IDLE on the server") && e.getMessage().contains("PT0.05S"),
                e.getMessage());
    }

    @Test
    void aFailingCheckFailsTheWait() {
        IllegalStateException boom = new IllegalStateException("check failed");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Await.until("a check that throws", Duration.ofSeconds(5), () -> {
                    throw boom;
                }));
        assertEquals(boom, e);
    }

    /** The checks leave the cores to the code under test: pauses grow from 0.1 ms to the maximum. */
    @Test
    void pausesGrowFromATenthOfAMillisecondToTheMaximum() {
        PollInterval p = Await.pauses();
        List<Duration> pauses = new ArrayList<>();
        Duration d = Duration.ZERO;
        for (int n = 1; n <= 12; n++) {
            d = p.next(n, d);
            pauses.add(d);
        }
        assertEquals(Duration.ofNanos(100_000), pauses.get(0));
        assertEquals(Duration.ofNanos(200_000), pauses.get(1));
        assertEquals(Duration.ofNanos(12_800_000), pauses.get(7));
        assertEquals(Await.MAX_PAUSE, pauses.get(8));
        assertEquals(Await.MAX_PAUSE, pauses.get(11), "never longer than the maximum");
    }
}
