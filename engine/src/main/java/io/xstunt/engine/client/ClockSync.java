package io.xstunt.engine.client;

import io.xstunt.engine.wire.ControlFrame;

/**
 * The clock sync of a rendezvous (wire notes, rendezvous step 4), one side of it: the initiator
 * sends OK(one), measures the round trip through the server to the listener's answer, and sends
 * OK(one) again; the listener answers the first and measures the round trip to the second. With
 * the original's sequential timing the initiator then waits half the round trip, so that both
 * sides predict at the same moment. No I/O: {@link RendezvousProcedure} feeds it the control
 * frames it expects and writes what it says.
 */
final class ClockSync {
    /** What the side waits for. */
    enum Step {
        /** Initiator: sent OK(one), waiting for the listener's answer (the round trip is measured). */
        AWAIT_ECHO,
        /** Listener: waiting for the initiator's first OK(one). */
        AWAIT_FIRST,
        /** Listener: answered, waiting for the initiator's second OK(one). */
        AWAIT_SECOND,
        /** Initiator, sequential timing: both OK(one) sent, waiting half the round trip. */
        PAUSE,
        /** Done. */
        DONE
    }

    /** The outcome of a frame. */
    enum Result {
        /** Taken; nothing to send. */
        TAKEN,
        /** Taken; send OK(one) now. */
        SEND_ONE,
        /** Not the OK(one) the sync expects: ERR_SYN_RECEIVE. */
        UNEXPECTED
    }

    private final boolean initiator;
    private final boolean pipelined;
    private Step step;
    private boolean started;
    private long sentNs;
    private long rttNs;

    ClockSync(boolean initiator, boolean pipelined) {
        this.initiator = initiator;
        this.pipelined = pipelined;
        this.step = initiator ? Step.AWAIT_ECHO : Step.AWAIT_FIRST;
    }

    /**
     * The control channel is up.
     *
     * @return true if OK(one) must be sent now (the initiator's first)
     */
    boolean start(long nowNs) {
        started = true;
        if (initiator) {
            sentNs = nowNs;
            return true;
        }
        return false;
    }

    /** @return true while the next frame read is the sync's */
    boolean expectsFrame() {
        return step == Step.AWAIT_ECHO || step == Step.AWAIT_FIRST || step == Step.AWAIT_SECOND;
    }

    /** The next frame, which {@link #expectsFrame()} said is the sync's. */
    Result onFrame(ControlFrame f, long nowNs) {
        if (!f.isOne()) {
            return Result.UNEXPECTED;
        }
        switch (step) {
            case AWAIT_ECHO -> {
                rttNs = Math.max(0, nowNs - sentNs);
                sentNs = nowNs;
                step = pipelined ? Step.DONE : Step.PAUSE;
                return Result.SEND_ONE;
            }
            case AWAIT_FIRST -> {
                sentNs = nowNs;
                step = Step.AWAIT_SECOND;
                return Result.SEND_ONE;
            }
            default -> {
                // the initiator answers our OK(one) at once: one round trip through the server
                rttNs = Math.max(0, nowNs - sentNs);
                step = Step.DONE;
                return Result.TAKEN;
            }
        }
    }

    /** @return when the sequential initiator's pause ends (meaningful in {@link Step#PAUSE}) */
    long pauseEndNs() {
        return sentNs + rttNs / 2;
    }

    /** The sequential initiator's half-round-trip pause is over. */
    void pauseOver() {
        if (step == Step.PAUSE) {
            step = Step.DONE;
        }
    }

    /** @return true once this side's sync OK(one) is written (initiator: both), so its address may follow */
    boolean sent() {
        return initiator ? step == Step.PAUSE || step == Step.DONE : step != Step.AWAIT_FIRST;
    }

    /** @return true once the sync is complete on this side */
    boolean done() {
        return started && step == Step.DONE;
    }

    /** @return the current step */
    Step step() {
        return step;
    }

    /** @return the measured round trip through the server (after the sync) */
    long rttNs() {
        return rttNs;
    }
}
