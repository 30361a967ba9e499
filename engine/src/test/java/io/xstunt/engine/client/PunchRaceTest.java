package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.PunchRace.Action;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PunchRace driven without sockets, on a fake clock. */
class PunchRaceTest {
    static final InetSocketAddress PEER = new InetSocketAddress("198.51.100.9", 41000);
    static final Duration RETRY = Duration.ofMillis(20);
    static final int PORT = 40000;
    long now = 1_000;

    PunchRace race(PunchStrategy s, boolean initiator, int maxAttempts) {
        PunchRace r = new PunchRace(s, initiator, PORT, PEER, RETRY, now, maxAttempts);
        r.start(now);
        return r;
    }

    @Test
    void raceInitiatorKeepsItsSynSocketAndListensOnTheSamePort() {
        PunchRace r = race(PunchStrategy.RACE, true, 8);
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed(), new Action.Connect(1, PORT, PEER)),
                r.drainActions(), "the grid origin is now: armed and connecting at once");
        assertTrue(r.deadlineNs().isEmpty(), "no fixed wait: the SYN socket stays open");
        r.onConnectResult(1, true, null, now);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByConnect(1)), r.drainActions());
        assertEquals(PunchRace.State.WON, r.state());
    }

    @Test
    void raceRetriesARefusedConnectByTimerAndAnAcceptWins() {
        PunchRace r = race(PunchStrategy.RACE, true, 8);
        r.drainActions();
        r.onConnectResult(1, false, "Connection refused", now);
        assertTrue(r.drainActions().isEmpty());
        assertEquals(now + RETRY.toNanos(), r.deadlineNs().orElseThrow());
        r.onTimeout(now + RETRY.toNanos() - 1);
        assertTrue(r.drainActions().isEmpty());
        r.onTimeout(now + RETRY.toNanos());
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), r.drainActions());
        r.onAccepted(now);
        assertEquals(List.of(new Action.CloseConnect(2), new Action.CloseListen(), new Action.WonByAccept()),
                r.drainActions());
        r.onConnectResult(2, true, null, now); // the loser completing late is closed
        assertEquals(List.of(new Action.CloseConnect(2)), r.drainActions());
    }

    @Test
    void raceInitiatorOutOfAttemptsStillWaitsForTheAccept() {
        PunchRace r = race(PunchStrategy.RACE, true, 1);
        r.drainActions();
        r.onConnectResult(1, false, "Connection refused", now);
        assertTrue(r.drainActions().isEmpty());
        assertTrue(r.deadlineNs().isEmpty());
        r.onAccepted(now);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), r.drainActions());
    }

    @Test
    void raceListenerConnectsAndListensAndRetriesUntilAnAcceptOrTheDeadline() {
        PunchRace r = race(PunchStrategy.RACE, false, 2);
        assertEquals(List.of(new Action.Connect(1, PORT, PEER), new Action.Listen(PORT)), r.drainActions(),
                "the listener is never armed: \"ready\" is the initiator's");
        r.onConnectResult(1, false, "refused", now);
        r.onTimeout(r.deadlineNs().orElseThrow());
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), r.drainActions());
        r.onConnectResult(2, false, "refused", now);
        assertTrue(r.drainActions().isEmpty(), "out of attempts, still listening");
        r.onAccepted(now);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), r.drainActions());
    }

    @Test
    void originalInitiatorWaitsForTheTryConnectThenClosesItAndListens() {
        PunchRace r = race(PunchStrategy.ORIGINAL, true, 8);
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), r.drainActions());
        assertEquals(now + PunchRace.TRY_CONNECT_WAIT.toNanos(), r.deadlineNs().orElseThrow());
        r.onTimeout(now + PunchRace.TRY_CONNECT_WAIT.toNanos());
        assertEquals(List.of(new Action.CloseConnect(1), new Action.Listen(PORT), new Action.Armed()), r.drainActions());
        r.onConnectResult(1, false, "closed", now); // the closed SYN socket: ignored
        assertTrue(r.drainActions().isEmpty());
        r.onAccepted(now);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), r.drainActions());
    }

    @Test
    void originalTryConnectThatFailsEarlyListensAtOnceAndOneThatSucceedsIsErrTryConnect() {
        PunchRace r = race(PunchStrategy.ORIGINAL, true, 8);
        r.drainActions();
        r.onConnectResult(1, false, "refused", now);
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed()), r.drainActions());
        assertTrue(r.deadlineNs().isEmpty());

        r = race(PunchStrategy.ORIGINAL, true, 8);
        r.drainActions();
        r.onConnectResult(1, true, null, now);
        List<Action> a = r.drainActions();
        assertEquals(ErrorStat.ERR_TRYCONNECT, assertInstanceOf(Action.Failed.class, a.get(a.size() - 1)).error().code());
    }

    @Test
    void originalListenerConnectsOnce() {
        PunchRace r = race(PunchStrategy.ORIGINAL, false, 8);
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), r.drainActions());
        r.onConnectResult(1, false, "refused", now);
        assertEquals(ErrorStat.ERR_CONNECT,
                assertInstanceOf(Action.Failed.class, r.drainActions().get(0)).error().code());
    }

    @Test
    void abortAndListenFailureCloseEverything() {
        PunchRace r = race(PunchStrategy.RACE, true, 8);
        r.drainActions();
        r.abort();
        assertEquals(List.of(new Action.CloseConnect(1), new Action.CloseListen()), r.drainActions());
        assertEquals(PunchRace.State.FAILED, r.state());

        r = race(PunchStrategy.RACE, true, 8);
        r.drainActions();
        r.onListenFailed("Address already in use");
        List<Action> a = r.drainActions();
        assertEquals(new Action.CloseConnect(1), a.get(0));
        assertEquals(ErrorStat.ERR_LISTEN, assertInstanceOf(Action.Failed.class, a.get(1)).error().code());
    }

    @Test
    void raceInitiatorIsArmedAtOnceAndSendsItsFirstSynAtTheGridOrigin() {
        long origin = now + 5 * RETRY.toNanos();
        PunchRace r = new PunchRace(PunchStrategy.RACE, true, PORT, PEER, RETRY, origin, 8);
        r.start(now);
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed()), r.drainActions(),
                "\"ready\" goes out now; the SYN when the listener reads it");
        assertEquals(origin, r.deadlineNs().orElseThrow());
        r.onTimeout(origin - 1);
        assertTrue(r.drainActions().isEmpty());
        r.onTimeout(origin);
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), r.drainActions());
        r.onAccepted(origin + 1); // the listener's SYN may still win through the listening socket
        assertEquals(List.of(new Action.CloseConnect(1), new Action.CloseListen(), new Action.WonByAccept()),
                r.drainActions());
    }

    @Test
    void anAcceptBeforeTheGridOriginWinsWithoutAnySyn() {
        long origin = now + 5 * RETRY.toNanos();
        PunchRace r = new PunchRace(PunchStrategy.RACE, true, PORT, PEER, RETRY, origin, 8);
        r.start(now);
        r.drainActions();
        r.onAccepted(now + 1);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), r.drainActions());
        assertTrue(r.deadlineNs().isEmpty(), "the scheduled SYN is off");
    }

    @Test
    void retriesFollowTheSharedGridAndSkipPointsWhileAnAttemptIsPending() {
        long origin = now + 5 * RETRY.toNanos();
        PunchRace r = new PunchRace(PunchStrategy.RACE, false, PORT, PEER, RETRY, origin, 8);
        r.start(now); // a listener whose clock reads "ready" before the initiator's estimate
        r.drainActions();
        r.onConnectResult(1, false, "refused", now);
        assertEquals(origin, r.deadlineNs().orElseThrow(), "before the origin: retry at the origin");
        r.onTimeout(origin);
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), r.drainActions());
        long failedAt = origin + 3 * RETRY.toNanos() / 2; // the RST came back after 1.5 periods
        r.onConnectResult(2, false, "refused", failedAt);
        assertEquals(origin + 2 * RETRY.toNanos(), r.deadlineNs().orElseThrow(), "the next grid point, not now + period");
        r.onTimeout(origin + 2 * RETRY.toNanos());
        assertEquals(List.of(new Action.Connect(3, PORT, PEER)), r.drainActions());
        r.onConnectResult(3, false, "refused", origin + 2 * RETRY.toNanos());
        assertEquals(origin + 3 * RETRY.toNanos(), r.deadlineNs().orElseThrow(), "a failure on a grid point waits a period");
    }
}
