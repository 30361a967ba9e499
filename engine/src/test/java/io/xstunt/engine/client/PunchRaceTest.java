package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.PunchRace.Action;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** PunchRace driven by hand: no sockets, a fake clock. */
class PunchRaceTest {
    static final InetSocketAddress PEER = new InetSocketAddress("198.51.100.9", 41000);
    static final Duration RETRY = Duration.ofMillis(20);
    static final int PORT = 40000;
    static final long START = 1_000;

    PunchRace r;
    ByHand<Action> hand;

    /** Starts a race whose grid starts at {@code originNs}; @return what the start produced */
    Outputs<Action> start(PunchStrategy s, boolean initiator, int maxAttempts, long originNs) {
        r = new PunchRace(s, initiator, PORT, PEER, RETRY, originNs, maxAttempts);
        hand = new ByHand<>(r, START);
        return hand.feed(r::start);
    }

    /** Starts a race whose grid starts now; @return what the start produced */
    Outputs<Action> start(PunchStrategy s, boolean initiator, int maxAttempts) {
        return start(s, initiator, maxAttempts, START);
    }

    Outputs<Action> connectResult(int attempt, boolean connected, String failure) {
        return hand.feed(n -> r.handleConnectResult(attempt, connected, failure, n));
    }

    Outputs<Action> accepted() {
        return hand.feed(r::handleAccepted);
    }

    @Test
    void raceInitiatorKeepsItsSynSocketAndListensOnTheSamePort() {
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed(), new Action.Connect(1, PORT, PEER)),
                start(PunchStrategy.RACE, true, 8).actions(), "the grid origin is now: armed and connecting at once");
        assertTrue(hand.deadline().isEmpty(), "no fixed wait: the SYN socket stays open");
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByConnect(1)),
                connectResult(1, true, null).actions());
        assertEquals(PunchRace.State.WON, r.state());
        assertEquals(1, r.attempts());
    }

    @Test
    void raceRetriesARefusedConnectByTimerAndAnAcceptWins() {
        start(PunchStrategy.RACE, true, 8);
        assertTrue(connectResult(1, false, "Connection refused").quiet());
        assertEquals(START + RETRY.toNanos(), hand.deadline().orElseThrow());
        assertTrue(hand.justBeforeDeadline().quiet());
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), hand.atDeadline().actions());
        assertEquals(List.of(new Action.CloseConnect(2), new Action.CloseListen(), new Action.WonByAccept()),
                accepted().actions());
        assertEquals(List.of(new Action.CloseConnect(2)), connectResult(2, true, null).actions(),
                "the loser completing late is closed");
    }

    @Test
    void raceInitiatorOutOfAttemptsStillWaitsForTheAccept() {
        start(PunchStrategy.RACE, true, 1);
        assertTrue(connectResult(1, false, "Connection refused").quiet());
        assertTrue(hand.deadline().isEmpty());
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), accepted().actions());
    }

    @Test
    void raceListenerConnectsAndListensAndRetriesUntilAnAcceptOrTheDeadline() {
        assertEquals(List.of(new Action.Connect(1, PORT, PEER), new Action.Listen(PORT)),
                start(PunchStrategy.RACE, false, 2).actions(), "the listener is never armed: \"ready\" is the initiator's");
        connectResult(1, false, "refused");
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), hand.atDeadline().actions());
        assertTrue(connectResult(2, false, "refused").quiet(), "out of attempts, still listening");
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), accepted().actions());
    }

    @Test
    void originalInitiatorWaitsForTheTryConnectThenClosesItAndListens() {
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), start(PunchStrategy.ORIGINAL, true, 8).actions());
        assertEquals(START + PunchRace.TRY_CONNECT_WAIT.toNanos(), hand.deadline().orElseThrow());
        assertEquals(PunchRace.State.TRYING, r.state());
        assertTrue(accepted().quiet(), "not listening yet");
        assertEquals(List.of(new Action.CloseConnect(1), new Action.Listen(PORT), new Action.Armed()),
                hand.atDeadline().actions());
        assertTrue(connectResult(1, false, "closed").quiet(), "the closed SYN socket: ignored");
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), accepted().actions());
    }

    @Test
    void originalTryConnectThatFailsEarlyListensAtOnceAndOneThatSucceedsIsErrTryConnect() {
        start(PunchStrategy.ORIGINAL, true, 8);
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed()), connectResult(1, false, "refused").actions());
        assertTrue(hand.deadline().isEmpty());

        start(PunchStrategy.ORIGINAL, true, 8);
        Outputs<Action> o = connectResult(1, true, null);
        assertEquals(ErrorStat.ERR_TRYCONNECT, o.last(Action.Failed.class).error().code());
        assertTrue(o.all(Action.Listen.class).isEmpty());
        assertEquals(PunchRace.State.FAILED, r.state());
    }

    @Test
    void originalListenerConnectsOnce() {
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), start(PunchStrategy.ORIGINAL, false, 8).actions());
        assertEquals(ErrorStat.ERR_CONNECT,
                connectResult(1, false, "refused").only(Action.Failed.class).error().code());
        assertTrue(hand.deadline().isEmpty(), "no retry");
    }

    @Test
    void abortAndListenFailureCloseEverything() {
        start(PunchStrategy.RACE, true, 8);
        assertEquals(List.of(new Action.CloseConnect(1), new Action.CloseListen()), hand.feed(n -> r.abort()).actions());
        assertEquals(PunchRace.State.FAILED, r.state());
        assertTrue(hand.feed(n -> r.abort()).quiet(), "aborting twice closes nothing twice");
        assertTrue(accepted().quiet());

        start(PunchStrategy.RACE, true, 8);
        Outputs<Action> o = hand.feed(n -> r.handleListenFailed("Address already in use"));
        assertEquals(new Action.CloseConnect(1), o.actions().get(0));
        assertEquals(ErrorStat.ERR_LISTEN, o.last(Action.Failed.class).error().code());
        assertEquals(2, o.actions().size(), "the listening socket is not closed: it never opened");
    }

    @Test
    void raceInitiatorIsArmedAtOnceAndSendsItsFirstSynAtTheGridOrigin() {
        long origin = START + 5 * RETRY.toNanos();
        assertEquals(List.of(new Action.Listen(PORT), new Action.Armed()),
                start(PunchStrategy.RACE, true, 8, origin).actions(),
                "\"ready\" goes out now; the SYN when the listener reads it");
        assertEquals(origin, hand.deadline().orElseThrow());
        assertTrue(hand.justBeforeDeadline().quiet());
        assertEquals(List.of(new Action.Connect(1, PORT, PEER)), hand.atDeadline().actions());
        hand.advance(1);
        assertEquals(List.of(new Action.CloseConnect(1), new Action.CloseListen(), new Action.WonByAccept()),
                accepted().actions(), "the listener's SYN may still win through the listening socket");
    }

    @Test
    void anAcceptBeforeTheGridOriginWinsWithoutAnySyn() {
        start(PunchStrategy.RACE, true, 8, START + 5 * RETRY.toNanos());
        hand.advance(1);
        assertEquals(List.of(new Action.CloseListen(), new Action.WonByAccept()), accepted().actions());
        assertTrue(hand.deadline().isEmpty(), "the scheduled SYN is off");
        assertEquals(0, r.attempts());
    }

    @Test
    void retriesFollowTheSharedGridAndSkipPointsWhileAnAttemptIsPending() {
        long origin = START + 5 * RETRY.toNanos();
        start(PunchStrategy.RACE, false, 8, origin); // a listener whose clock reads "ready" before the initiator's estimate
        connectResult(1, false, "refused");
        assertEquals(origin, hand.deadline().orElseThrow(), "before the origin: retry at the origin");
        assertEquals(List.of(new Action.Connect(2, PORT, PEER)), hand.atDeadline().actions());
        hand.at(origin + 3 * RETRY.toNanos() / 2); // the RST came back after 1.5 periods
        connectResult(2, false, "refused");
        assertEquals(origin + 2 * RETRY.toNanos(), hand.deadline().orElseThrow(), "the next grid point, not now + period");
        assertEquals(List.of(new Action.Connect(3, PORT, PEER)), hand.atDeadline().actions());
        connectResult(3, false, "refused");
        assertEquals(origin + 3 * RETRY.toNanos(), hand.deadline().orElseThrow(), "a failure on a grid point waits a period");
    }

    @Test
    void aGridPointThatFindsTheAttemptPendingIsSkipped() {
        start(PunchStrategy.RACE, false, 8);
        hand.at(START + RETRY.toNanos());
        assertTrue(hand.timeout().quiet(), "no deadline is set while the attempt is pending");
        assertEquals(1, r.attempts());
    }
}
