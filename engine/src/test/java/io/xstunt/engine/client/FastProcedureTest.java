package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One side of FAST without sockets: the go starts the punch on its grid; a punch that finds nothing fails over. */
class FastProcedureTest {
    static final long MS = 1_000_000L;
    static final long T0 = 5_000 * MS;
    static final long DEADLINE = T0 + 12_000 * MS;
    static final int BOB = 0xcb007102; // 203.0.113.2

    private static FastGo go(long startOffsetMs, long periodMs) {
        return new FastGo(BOB, 50000, 9, startOffsetMs * MS, periodMs * MS, true, "bob");
    }

    @Test
    void theGoStartsThePunchAfterItsOffsetAndTheWinReportsEachPhase() {
        FastProcedure p = new FastProcedure(40000, T0, DEADLINE);
        assertEquals(DEADLINE, p.deadlineNs(), "without a go the call's deadline bounds the wait");
        p.handleGo(go(30, 50), T0 + 40 * MS);
        FastProcedure.Action.Punch punch = assertInstanceOf(FastProcedure.Action.Punch.class, p.pollAction());
        assertEquals(40000, punch.localPort());
        assertEquals(new InetSocketAddress(Ipv4.toAddress(BOB), 50000), punch.peer());
        assertEquals(T0 + 70 * MS, punch.gridOriginNs(), "the go's offset after it was read");
        assertEquals(Duration.ofMillis(50), punch.retryPeriod());
        assertEquals(T0 + 70 * MS + FastProcedure.MIN_WINDOW_NS, p.deadlineNs(), "the window: 4 periods of 50 ms"
                + " are less than its least");
        p.handleFirstSyn(T0 + 71 * MS);
        p.handlePunched(T0 + 91 * MS);
        FastProcedure.Action.Connected c = assertInstanceOf(FastProcedure.Action.Connected.class, p.pollAction());
        assertEquals(List.of("request", "announcement", "firstSyn", "connected"), List.copyOf(c.phases().keySet()));
        assertEquals(Duration.ofMillis(40), c.phases().get("request"));
        assertEquals(Duration.ofMillis(30), c.phases().get("announcement"));
        assertEquals(Duration.ofMillis(1), c.phases().get("firstSyn"));
        assertEquals(Duration.ofMillis(20), c.phases().get("connected"));
        assertFalse(p.hasDeadline());
        assertNull(p.pollAction());
    }

    @Test
    void aPunchThatFindsNothingInItsWindowFailsOverOnce() {
        FastProcedure p = new FastProcedure(40000, T0, DEADLINE);
        p.handleGo(go(0, 50), T0 + 40 * MS);
        p.pollAction();
        p.handleTimeout(p.deadlineNs() - 1);
        assertNull(p.pollAction(), "a timer that fires early changes nothing");
        p.handleTimeout(p.deadlineNs());
        assertInstanceOf(FastProcedure.Action.StopPunch.class, p.pollAction());
        FastProcedure.Action.FailOver f = assertInstanceOf(FastProcedure.Action.FailOver.class, p.pollAction());
        assertEquals(9, f.session());
        p.handlePunchFailed("late", T0 + 900 * MS);
        p.handlePunched(T0 + 901 * MS);
        assertNull(p.pollAction(), "after the fail-over the punch's news is RACE's business");
    }

    @Test
    void aRefusedPunchFailsOverAtOnce() {
        FastProcedure p = new FastProcedure(40000, T0, DEADLINE);
        p.handleGo(go(0, 50), T0 + 40 * MS);
        p.pollAction();
        p.handlePunchFailed("every attempt refused", T0 + 60 * MS);
        assertInstanceOf(FastProcedure.Action.StopPunch.class, p.pollAction());
        assertEquals("every attempt refused",
                assertInstanceOf(FastProcedure.Action.FailOver.class, p.pollAction()).reason());
    }

    @Test
    void theWindowLeavesRaceAndTheRelayMostOfTheCall() {
        FastProcedure p = new FastProcedure(40000, T0, T0 + 1_000 * MS);
        p.handleGo(go(0, 400), T0);
        p.pollAction();
        assertEquals(T0 + 250 * MS, p.deadlineNs(), "a quarter of what is left, not four periods of 400 ms");
    }

    @Test
    void aLongPeriodGetsFourPeriods() {
        FastProcedure p = new FastProcedure(40000, T0, DEADLINE);
        p.handleGo(go(0, 500), T0);
        p.pollAction();
        assertEquals(T0 + FastProcedure.WINDOW_PERIODS * 500 * MS, p.deadlineNs(), "four periods, above the least");
    }

    @Test
    void noGoBeforeTheDeadlineTimesOutAndASecondGoIsIgnored() {
        FastProcedure p = new FastProcedure(40000, T0, DEADLINE);
        p.handleTimeout(DEADLINE);
        assertInstanceOf(FastProcedure.Action.TimedOut.class, p.pollAction());
        p.handleGo(go(0, 50), DEADLINE + MS);
        assertNull(p.pollAction());
        FastProcedure q = new FastProcedure(40000, T0, DEADLINE);
        q.handleGo(go(0, 50), T0 + MS);
        q.pollAction();
        q.handleGo(go(0, 50), T0 + 2 * MS);
        assertNull(q.pollAction(), "one punch per request");
        assertTrue(q.hasDeadline());
    }
}
