package io.xstunt.engine.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DeadlineTimersTest {
    private final DeadlineTimers timers = new DeadlineTimers();
    private final List<String> fired = new ArrayList<>();
    private final List<Throwable> errors = new ArrayList<>();

    private DeadlineTimers.Timer at(long deadlineNs, String name) {
        return timers.schedule(deadlineNs, () -> fired.add(name));
    }

    private int expire(long nowNs) {
        return timers.expire(nowNs, errors::add);
    }

    @Test
    void firesInDeadlineOrderAndOnlyWhenDue() {
        at(30, "c");
        at(10, "a");
        at(20, "b");
        at(40, "d");
        assertEquals(4, timers.size());
        assertEquals(10, timers.earliestNs());
        assertEquals(0, expire(9));
        assertEquals(List.of(), fired);
        assertEquals(1, expire(10), "a deadline equal to now is due");
        assertEquals(2, expire(35));
        assertEquals(List.of("a", "b", "c"), fired);
        assertEquals(40, timers.earliestNs());
        assertEquals(1, expire(1000));
        assertEquals(List.of("a", "b", "c", "d"), fired);
        assertTrue(timers.isEmpty());
        assertEquals(0, expire(2000));
    }

    @Test
    void equalDeadlinesAllFire() {
        at(5, "x");
        at(5, "y");
        at(5, "z");
        assertEquals(3, expire(5));
        assertEquals(List.of("x", "y", "z"), fired.stream().sorted().toList());
    }

    @Test
    void cancelRemovesAndIsIdempotent() {
        DeadlineTimers.Timer a = at(10, "a");
        DeadlineTimers.Timer b = at(20, "b");
        at(30, "c");
        assertTrue(b.pending());
        b.cancel();
        assertFalse(b.pending());
        b.cancel();
        assertEquals(2, timers.size());
        a.cancel();
        assertEquals(30, timers.earliestNs());
        assertEquals(1, expire(100));
        assertEquals(List.of("c"), fired);
    }

    @Test
    void cancelAfterFiringDoesNothing() {
        DeadlineTimers.Timer a = at(10, "a");
        at(20, "b");
        expire(10);
        assertFalse(a.pending());
        a.cancel();
        assertEquals(1, timers.size());
        expire(20);
        assertEquals(List.of("a", "b"), fired);
    }

    @Test
    void rescheduleMovesAPendingTimerEarlierOrLater() {
        DeadlineTimers.Timer a = at(10, "a");
        at(20, "b");
        DeadlineTimers.Timer c = at(30, "c");
        timers.reschedule(a, 25);
        timers.reschedule(c, 5);
        assertEquals(3, timers.size());
        assertEquals(5, timers.earliestNs());
        assertEquals(25, a.deadlineNs());
        expire(100);
        assertEquals(List.of("c", "b", "a"), fired);
    }

    @Test
    void rescheduleRearmsAFiredOrCancelledTimer() {
        DeadlineTimers.Timer a = at(10, "a");
        expire(10);
        timers.reschedule(a, 50);
        assertTrue(a.pending());
        DeadlineTimers.Timer b = at(20, "b");
        b.cancel();
        timers.reschedule(b, 40);
        expire(60);
        assertEquals(List.of("a", "b", "a"), fired);
    }

    @Test
    void timerOfAnotherHeapIsRejected() {
        DeadlineTimers.Timer foreign = new DeadlineTimers().schedule(1, () -> { });
        assertThrows(IllegalArgumentException.class, () -> timers.reschedule(foreign, 2));
    }

    @Test
    void deadlinesCompareWrapSafelyNearLongMaxValue() {
        long now = Long.MAX_VALUE - 10;
        at(now + 5, "before-wrap");        // MAX - 5
        at(now + 15, "after-wrap");        // wraps to MIN + 4: still later
        at(now + 25, "later-after-wrap");  // MIN + 14
        assertTrue(now + 15 < 0, "the deadline really wraps");
        assertEquals(now + 5, timers.earliestNs());
        assertEquals(0, expire(now));
        assertEquals(1, expire(Long.MAX_VALUE));
        assertEquals(List.of("before-wrap"), fired);
        assertEquals(1, expire(now + 20)); // MIN + 9
        assertEquals(List.of("before-wrap", "after-wrap"), fired);
        assertEquals(1, expire(now + 25));
        assertEquals(List.of("before-wrap", "after-wrap", "later-after-wrap"), fired);
    }

    @Test
    void aThrowingTaskIsReportedAndTheOthersStillRun() {
        RuntimeException boom = new IllegalStateException("boom");
        at(1, "a");
        timers.schedule(2, () -> {
            throw boom;
        });
        at(3, "c");
        assertEquals(3, expire(10));
        assertEquals(List.of("a", "c"), fired);
        assertEquals(1, errors.size());
        assertSame(boom, errors.get(0));
    }

    @Test
    void aTaskMayScheduleAndCancelOthers() {
        DeadlineTimers.Timer[] later = new DeadlineTimers.Timer[1];
        timers.schedule(10, () -> {
            fired.add("first");
            later[0].cancel();
            at(15, "added");
        });
        later[0] = at(12, "cancelled");
        expire(20);
        assertEquals(List.of("first", "added"), fired);
        assertTrue(timers.isEmpty());
    }

    @Test
    void manyTimersFireInOrderAndCancelledOnesNever() {
        Random rnd = new Random(42);
        int n = 20_000;
        long base = Long.MAX_VALUE - 500_000; // the run crosses the wrap
        List<DeadlineTimers.Timer> all = new ArrayList<>();
        long[] deadlines = new long[n];
        List<Long> firedAt = new ArrayList<>();
        boolean[] firedFlag = new boolean[n];
        for (int i = 0; i < n; i++) {
            int id = i;
            deadlines[i] = base + rnd.nextInt(1_000_000);
            all.add(timers.schedule(deadlines[i], () -> {
                firedAt.add(deadlines[id] - base);
                firedFlag[id] = true;
            }));
        }
        boolean[] cancelled = new boolean[n];
        int cancelledCount = 0;
        for (int i = 0; i < n; i++) {
            if (rnd.nextInt(3) == 0) {
                all.get(i).cancel();
                cancelled[i] = true;
                cancelledCount++;
            } else if (rnd.nextInt(5) == 0) {
                deadlines[i] = base + rnd.nextInt(1_000_000);
                timers.reschedule(all.get(i), deadlines[i]);
            }
        }
        assertEquals(n - cancelledCount, timers.size());
        for (long t = 0; t <= 1_000_000; t += 997) {
            expire(base + t);
        }
        expire(base + 1_000_000);
        assertTrue(timers.isEmpty());
        assertEquals(n - cancelledCount, firedAt.size());
        for (int i = 1; i < firedAt.size(); i++) {
            assertTrue(firedAt.get(i - 1) <= firedAt.get(i), "out of order at " + i);
        }
        for (int i = 0; i < n; i++) {
            assertEquals(!cancelled[i], firedFlag[i], "timer " + i);
        }
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // the bug was an endless loop
    void aTimerThatRearmsItselfAtADueDeadlineRunsOncePerExpire() {
        DeadlineTimers.Timer[] self = new DeadlineTimers.Timer[1];
        int[] runs = new int[1];
        self[0] = timers.schedule(10, () -> {
            runs[0]++;
            timers.reschedule(self[0], 10); // "again at once": already due
        });
        at(10, "other");
        assertEquals(2, expire(10));
        assertEquals(1, runs[0]);
        assertEquals(List.of("other"), fired);
        assertEquals(1, expire(10));
        assertEquals(2, runs[0]);
        assertTrue(self[0].pending());
    }
}
