package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.ClockSync.Result;
import io.xstunt.engine.client.ClockSync.Step;
import io.xstunt.engine.wire.ControlFrame;
import org.junit.jupiter.api.Test;

/** One side of a rendezvous's clock sync, on its own: which OK(one) it sends, what it measures, when it is done. */
class ClockSyncTest {
    static final long MS = 1_000_000L;
    static final long T0 = 5_000 * MS;

    @Test
    void thePipelinedInitiatorSendsTwiceAndMeasuresTheRoundTripToTheListenersAnswer() {
        ClockSync s = new ClockSync(true, true);
        assertEquals(Step.AWAIT_ECHO, s.step());
        assertTrue(s.expectsFrame());
        assertFalse(s.sent(), "its address may not go out before the sync");
        assertTrue(s.start(T0), "the initiator speaks first");
        assertFalse(s.done());
        assertEquals(Result.SEND_ONE, s.onFrame(ControlFrame.one(), T0 + 20 * MS), "the second OK(one) at once");
        assertEquals(20 * MS, s.rttNs());
        assertEquals(Step.DONE, s.step());
        assertTrue(s.sent());
        assertTrue(s.done(), "no pause in the pipelined timing");
        assertFalse(s.expectsFrame(), "the next frame is the peer's address");
    }

    @Test
    void theSequentialInitiatorPausesHalfTheRoundTripAfterItsSecondOne() {
        ClockSync s = new ClockSync(true, false);
        s.start(T0);
        assertEquals(Result.SEND_ONE, s.onFrame(ControlFrame.one(), T0 + 8 * MS));
        assertEquals(Step.PAUSE, s.step());
        assertEquals(T0 + 8 * MS + 4 * MS, s.pauseEndNs());
        assertTrue(s.sent(), "both OK(one) are out");
        assertFalse(s.done());
        assertFalse(s.expectsFrame(), "a frame during the pause is the peer's address");
        s.pauseOver();
        assertTrue(s.done());
        assertEquals(8 * MS, s.rttNs());
    }

    @Test
    void theListenerAnswersTheFirstAndMeasuresTheRoundTripToTheSecond() {
        for (boolean pipelined : new boolean[] {false, true}) {
            ClockSync s = new ClockSync(false, pipelined);
            assertEquals(Step.AWAIT_FIRST, s.step());
            assertFalse(s.start(T0), "the listener waits for the initiator");
            assertFalse(s.sent());
            assertEquals(Result.SEND_ONE, s.onFrame(ControlFrame.one(), T0 + 10 * MS));
            assertEquals(Step.AWAIT_SECOND, s.step());
            assertTrue(s.sent(), "its address may follow its answer");
            assertFalse(s.done());
            assertTrue(s.expectsFrame());
            assertEquals(Result.TAKEN, s.onFrame(ControlFrame.one(), T0 + 30 * MS));
            assertEquals(20 * MS, s.rttNs());
            assertTrue(s.done());
            assertFalse(s.expectsFrame());
            s.pauseOver();
            assertEquals(Step.DONE, s.step(), "the listener has no pause");
        }
    }

    @Test
    void anythingButOkOneIsUnexpectedAndChangesNothing() {
        for (boolean initiator : new boolean[] {false, true}) {
            ClockSync s = new ClockSync(initiator, true);
            s.start(T0);
            Step before = s.step();
            assertEquals(Result.UNEXPECTED, s.onFrame(ControlFrame.port(40000), T0 + MS));
            assertEquals(Result.UNEXPECTED, s.onFrame(ControlFrame.ackAbort(), T0 + MS));
            assertEquals(before, s.step());
            assertFalse(s.done());
        }
    }

    @Test
    void aClockThatSeemsToGoBackMeasuresZeroNotANegativeRoundTrip() {
        ClockSync s = new ClockSync(true, false);
        s.start(T0);
        s.onFrame(ControlFrame.one(), T0 - MS);
        assertEquals(0, s.rttNs());
        assertEquals(T0 - MS, s.pauseEndNs(), "no pause at all");
    }

    @Test
    void theSyncIsNotDoneBeforeTheControlChannelIsUp() {
        ClockSync s = new ClockSync(false, true);
        s.onFrame(ControlFrame.one(), T0);
        s.onFrame(ControlFrame.one(), T0);
        assertEquals(Step.DONE, s.step());
        assertFalse(s.done(), "not started");
        s.start(T0);
        assertTrue(s.done());
    }
}
