package io.xstunt.engine.server;

import io.xstunt.engine.wire.Ipv4;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;

/**
 * One rendezvous session's control channel, without I/O (the brief's decision 1): accepts the
 * first control connection from each client's public IP on the session's own listener, refuses
 * any other, buffers (bounded) what one side sends before the other arrives, relays both ways,
 * and ends when a side closes, on {@link #abort}, or at the session deadline. After every input
 * the adapter polls what to send to each side, which connection to close, whether the listener
 * stays open, and the deadline.
 */
final class ControlRelay {
    /** The two clients of a session. */
    enum Side {
        /** The XConnect side (role 'C'). */
        INITIATOR,
        /** The XListen side (role 'S'). */
        LISTENER;

        Side other() {
            return this == INITIATOR ? LISTENER : INITIATOR;
        }
    }

    /** The session's states. */
    enum State {
        /** The control listener waits for both clients. */
        AWAIT_BOTH,
        /** The listener side is in; waits for the initiator. */
        AWAIT_INITIATOR,
        /** The initiator side is in; waits for the listener. */
        AWAIT_LISTENER,
        /** Both in, listener closed: bytes flow both ways. */
        RELAYING,
        /** Ended; the connections still open are flushing their last bytes. */
        DRAINING,
        /** Ended and nothing left open. */
        FINISHED
    }

    /** The inputs of {@link #step}. */
    private enum Event { CONNECT, BYTES, SIDE_CLOSED, TIMEOUT, ABORT }

    private final int initiatorIp;
    private final int listenerIp;
    private final int maxBacklog;
    private final long lingerNs;
    /** Per side: bytes to send and whether to close. */
    private final Map<Side, ProcedureOutput> sides = new EnumMap<>(Side.class);
    /** The session's own: rejection and deadline. */
    private final ProcedureOutput session = new ProcedureOutput();
    private final boolean[] open = new boolean[2];
    /** Per side: control bytes received from it (relayed, buffered or dropped). */
    private final long[] bytesFrom = new long[2];
    private ByteBuffer backlog;
    private State state = State.AWAIT_BOTH;
    private boolean ended;
    private String endReason;

    /**
     * @param startNs when the session was accepted; it ends at {@code startNs + sessionNs}
     * @param lingerNs how long a closing connection may flush after the end
     */
    ControlRelay(int initiatorIp, int listenerIp, int maxBacklog, long startNs, long sessionNs, long lingerNs) {
        if (initiatorIp == listenerIp) {
            throw new IllegalArgumentException("both sides of a session share " + Ipv4.toString(initiatorIp)
                    + ": such a request is answered ERR_SAME_NAT, not relayed");
        }
        this.initiatorIp = initiatorIp;
        this.listenerIp = listenerIp;
        this.maxBacklog = maxBacklog;
        this.lingerNs = lingerNs;
        session.deadline(startNs + sessionNs);
        for (Side s : Side.values()) {
            sides.put(s, new ProcedureOutput());
        }
    }

    // ---- inputs

    /**
     * A connection arrived on the control listener from {@code sourceIp}.
     *
     * @return the side it is, or null if it is refused (close it; {@link #pollRejection()} says why)
     */
    Side onConnect(int sourceIp, long nowNs) {
        Side s = sourceIp == initiatorIp ? Side.INITIATOR : sourceIp == listenerIp ? Side.LISTENER : null;
        return step(Event.CONNECT, s, sourceIp, null, nowNs) ? s : null;
    }

    /**
     * Bytes arrived from side {@code from}; all are consumed: buffered or dropped here, or, while
     * relaying, forwarded by reference to the other side ({@link ProcedureOutput#forward}: the
     * adapter's send consumes them before this input is over).
     */
    void onBytes(Side from, ByteBuffer in, long nowNs) {
        step(Event.BYTES, from, 0, in, nowNs);
    }

    /** The connection of side {@code s} is closed, whoever closed it. */
    void onSideClosed(Side s, long nowNs) {
        step(Event.SIDE_CLOSED, s, 0, null, nowNs);
    }

    /** The deadline timer fired. */
    void onTimeout(long nowNs) {
        if (session.expired(nowNs)) {
            step(Event.TIMEOUT, null, 0, null, nowNs);
        }
    }

    /** Ends the session at once (a client went away, the server closes). */
    void abort(String reason, long nowNs) {
        endReason = reason;
        step(Event.ABORT, null, 0, null, nowNs);
    }

    /** Every transition of the session; returns whether a CONNECT was accepted. */
    private boolean step(Event e, Side side, int sourceIp, ByteBuffer in, long nowNs) {
        switch (e) {
            case CONNECT -> {
                boolean waiting = state == State.AWAIT_BOTH
                        || state == State.AWAIT_INITIATOR && side == Side.INITIATOR
                        || state == State.AWAIT_LISTENER && side == Side.LISTENER;
                if (side == null || !waiting || open[side.ordinal()]) {
                    reject(Rejection.CONTROL_REFUSED, "control connection from " + Ipv4.toString(sourceIp)
                            + " refused in state " + state);
                    return false;
                }
                open[side.ordinal()] = true;
                if (open[side.other().ordinal()]) {
                    state = State.RELAYING;
                    if (backlog != null) {
                        sides.get(side).send(backlog.flip());
                        backlog = null;
                    }
                } else {
                    state = side == Side.INITIATOR ? State.AWAIT_LISTENER : State.AWAIT_INITIATOR;
                }
                return true;
            }
            case BYTES -> {
                int n = in.remaining();
                bytesFrom[side.ordinal()] += n;
                if (state == State.RELAYING) {
                    sides.get(side.other()).forward(in); // no copy per read: see forward's borrowing rule
                } else if (state == State.AWAIT_INITIATOR || state == State.AWAIT_LISTENER) {
                    if (backlog == null) {
                        backlog = ByteBuffer.allocate(maxBacklog);
                    }
                    if (n > backlog.remaining()) {
                        in.position(in.limit());
                        reject(Rejection.RELAY_OVERFLOW, "more than " + maxBacklog + " control bytes for a side"
                                + " that is not connected");
                        end(nowNs, ProcedureOutput.Closing.NOW, "relay backlog overflow");
                    } else {
                        backlog.put(in);
                    }
                } else {
                    in.position(in.limit()); // ended: the peer is going away
                }
            }
            case SIDE_CLOSED -> {
                open[side.ordinal()] = false;
                sides.get(side).closeNow(); // nothing more goes to a closed connection
                if (state == State.DRAINING) {
                    finishIfIdle();
                } else if (state != State.FINISHED) {
                    end(nowNs, ProcedureOutput.Closing.AFTER_FLUSH, side + " closed its control connection");
                }
            }
            case TIMEOUT -> {
                if (state == State.DRAINING) {
                    closeOpenSides(ProcedureOutput.Closing.NOW);
                } else if (state != State.FINISHED) {
                    reject(Rejection.SESSION_TIMEOUT, "session not finished in time, state " + state);
                    end(nowNs, ProcedureOutput.Closing.NOW, "session timeout");
                }
            }
            case ABORT -> {
                if (state != State.FINISHED) {
                    end(nowNs, ProcedureOutput.Closing.NOW, endReason);
                }
            }
        }
        return false;
    }

    private void end(long nowNs, ProcedureOutput.Closing how, String reason) {
        if (!ended) {
            ended = true;
            endReason = reason;
        }
        backlog = null;
        state = State.DRAINING;
        session.deadline(nowNs + lingerNs);
        closeOpenSides(how);
        finishIfIdle();
    }

    private void closeOpenSides(ProcedureOutput.Closing how) {
        for (Side s : Side.values()) {
            if (open[s.ordinal()]) {
                if (how == ProcedureOutput.Closing.NOW) {
                    sides.get(s).closeNow();
                } else {
                    sides.get(s).closeAfterFlush();
                }
            }
        }
    }

    private void finishIfIdle() {
        if (!open[0] && !open[1]) {
            state = State.FINISHED;
        }
    }

    private void reject(Rejection why, String detail) {
        session.reject(why, detail);
    }

    // ---- outputs

    State state() {
        return state;
    }

    /** @return the next bytes to send to side {@code s}, or null */
    ByteBuffer pollTransmit(Side s) {
        return sides.get(s).pollTransmit();
    }

    /** @return whether and how side {@code s}'s connection should close */
    ProcedureOutput.Closing closing(Side s) {
        return sides.get(s).closing();
    }

    /** @return true while the control listener must stay open (until both are in, or the end) */
    boolean listening() {
        return state == State.AWAIT_BOTH || state == State.AWAIT_INITIATOR || state == State.AWAIT_LISTENER;
    }

    /** @return true once the session has ended (its clients may be IDLE again) */
    boolean ended() {
        return ended;
    }

    /** @return how many bytes side {@code s} sent on its control connection (what the server saw of it) */
    long bytesFrom(Side s) {
        return bytesFrom[s.ordinal()];
    }

    /** @return why it ended, or null */
    String endReason() {
        return endReason;
    }

    /** @return true once ended and nothing is left open */
    boolean finished() {
        return state == State.FINISHED;
    }

    /** @return the next deadline on the loop clock (none once finished) */
    long deadlineNs() {
        return session.deadlineNs();
    }

    /** @return the pending refusal, or null; its reason is {@link #rejectionDetail()} */
    Rejection pollRejection() {
        return session.pollRejection();
    }

    String rejectionDetail() {
        return session.rejectionDetail();
    }
}
