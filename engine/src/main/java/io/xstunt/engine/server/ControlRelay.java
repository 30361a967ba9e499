package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Ipv4;
import java.nio.ByteBuffer;

/**
 * One rendezvous session's control channel, without I/O (the protocol's decision 1): accepts the
 * first control connection from each client's public IP on the session's own listener, refuses
 * any other, buffers (bounded) what one side sends before the other arrives, relays both ways, and
 * ends when a side closes, on {@link #handleAbort}, or at the session deadline.
 *
 * <p>A {@link Procedure} with two connections, numbered by {@link Side#ordinal()}: 0 the
 * initiator's, 1 the listener's. Its actions: {@link Action.StopListening} (both are in, or the
 * session ended), {@link Action.Ended} (its clients are IDLE again), {@link Action.Finished}
 * (nothing of it is left open), and {@link Refused}.
 */
final class ControlRelay extends Procedure<ControlRelay.Action> {
    /** The two clients of a session; a side's ordinal is its connection number. */
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

    /** What the session's I/O must do. */
    sealed interface Action permits Action.StopListening, Action.Ended, Action.Finished, Refused {
        /** Close the control listener: no more control connections are taken. */
        record StopListening() implements Action {
        }

        /** The session has ended (its clients may be IDLE again); the connections may still flush. */
        record Ended(String reason) implements Action {
        }

        /** Nothing of the session is left open: forget it. */
        record Finished() implements Action {
        }
    }

    /** The sides by connection number (values() would copy the array on every read). */
    private static final Side[] SIDES = Side.values();

    private final int initiatorIp;
    private final int listenerIp;
    private final int maxBacklog;
    private final long lingerNs;
    private final boolean[] open = new boolean[2];
    /** Per side: control bytes received from it (relayed, buffered or dropped). */
    private final long[] bytesFrom = new long[2];
    private ByteBuffer backlog;
    private State state = State.AWAIT_BOTH;
    private String endReason;

    /**
     * @param startNs when the session was accepted; it ends at {@code startNs + sessionNs}
     * @param lingerNs how long a closing connection may flush after the end
     */
    ControlRelay(int initiatorIp, int listenerIp, int maxBacklog, long startNs, long sessionNs, long lingerNs) {
        super(2);
        if (initiatorIp == listenerIp) {
            throw new IllegalArgumentException("both sides of a session share " + Ipv4.toString(initiatorIp)
                    + ": such a request is answered ERR_SAME_NAT, not relayed");
        }
        this.initiatorIp = initiatorIp;
        this.listenerIp = listenerIp;
        this.maxBacklog = maxBacklog;
        this.lingerNs = lingerNs;
        deadline(startNs + sessionNs);
    }

    // ---- inputs

    /**
     * A connection arrived on the control listener from {@code sourceIp}.
     *
     * @return the side it is (adopt it as that side's connection), or null if it is refused
     *     (close it; the refusal is an action)
     */
    Side handleArrival(int sourceIp, long nowNs) {
        Side side = sourceIp == initiatorIp ? Side.INITIATOR : sourceIp == listenerIp ? Side.LISTENER : null;
        boolean waiting = state == State.AWAIT_BOTH
                || state == State.AWAIT_INITIATOR && side == Side.INITIATOR
                || state == State.AWAIT_LISTENER && side == Side.LISTENER;
        if (side == null || !waiting || open[side.ordinal()]) {
            emit(new Refused(Rejection.CONTROL_REFUSED, "control connection from " + Ipv4.toString(sourceIp)
                    + " refused in state " + state));
            return null;
        }
        open[side.ordinal()] = true;
        if (open[side.other().ordinal()]) {
            state = State.RELAYING;
            emit(new Action.StopListening());
            if (backlog != null) {
                outbound(side.ordinal()).send(backlog.flip());
                backlog = null;
            }
        } else {
            state = side == Side.INITIATOR ? State.AWAIT_LISTENER : State.AWAIT_INITIATOR;
        }
        return side;
    }

    /**
     * Bytes arrived from side {@code connection}; all are consumed: buffered or dropped here, or,
     * while relaying, forwarded by reference to the other side ({@link Outbound#forward}: the
     * driver's send consumes them before this input is over).
     */
    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        Side side = SIDES[connection];
        int n = in.remaining();
        bytesFrom[connection] += n;
        if (state == State.RELAYING) {
            outbound(side.other().ordinal()).forward(in); // no copy per read: see forward's borrowing rule
        } else if (state == State.AWAIT_INITIATOR || state == State.AWAIT_LISTENER) {
            if (backlog == null) {
                backlog = ByteBuffer.allocate(maxBacklog);
            }
            if (n > backlog.remaining()) {
                in.position(in.limit());
                emit(new Refused(Rejection.RELAY_OVERFLOW, "more than " + maxBacklog + " control bytes for a side"
                        + " that is not connected"));
                end(nowNs, Outbound.Closing.NOW, "relay backlog overflow");
            } else {
                backlog.put(in);
            }
        } else {
            in.position(in.limit()); // ended: the peer is going away
        }
    }

    /** The connection of side {@code connection} is closed, whoever closed it. */
    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        Side side = SIDES[connection];
        open[connection] = false;
        outbound(connection).closeNow(); // nothing more goes to a closed connection
        if (state == State.DRAINING) {
            finishIfIdle();
        } else if (state != State.FINISHED) {
            end(nowNs, Outbound.Closing.AFTER_FLUSH, side + " closed its control connection");
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.DRAINING) {
            closeOpenSides(Outbound.Closing.NOW);
        } else if (state != State.FINISHED) {
            emit(new Refused(Rejection.SESSION_TIMEOUT, "session not finished in time, state " + state));
            end(nowNs, Outbound.Closing.NOW, "session timeout");
        }
    }

    /** Ends the session at once (a client went away, the server closes). */
    void handleAbort(String reason, long nowNs) {
        if (state != State.FINISHED && state != State.DRAINING) {
            end(nowNs, Outbound.Closing.NOW, reason);
        } else if (state == State.DRAINING) {
            closeOpenSides(Outbound.Closing.NOW);
        }
    }

    private void end(long nowNs, Outbound.Closing how, String reason) {
        boolean wasListening = listening();
        if (endReason == null) {
            endReason = reason;
            emit(new Action.Ended(reason));
        }
        backlog = null;
        state = State.DRAINING;
        if (wasListening) {
            emit(new Action.StopListening());
        }
        deadline(nowNs + lingerNs);
        closeOpenSides(how);
        finishIfIdle();
    }

    private void closeOpenSides(Outbound.Closing how) {
        for (Side s : Side.values()) {
            if (open[s.ordinal()]) {
                if (how == Outbound.Closing.NOW) {
                    outbound(s.ordinal()).closeNow();
                } else {
                    outbound(s.ordinal()).closeAfterFlush();
                }
            }
        }
    }

    private void finishIfIdle() {
        if (!open[0] && !open[1] && state != State.FINISHED) {
            state = State.FINISHED;
            clearDeadline();
            emit(new Action.Finished());
        }
    }

    // ---- what the session's I/O and its summary read

    State state() {
        return state;
    }

    /** @return true while the control listener must stay open (until both are in, or the end) */
    boolean listening() {
        return state == State.AWAIT_BOTH || state == State.AWAIT_INITIATOR || state == State.AWAIT_LISTENER;
    }

    /** @return true once the session has ended (its clients may be IDLE again) */
    boolean ended() {
        return endReason != null;
    }

    /** @return how many bytes side {@code s} sent on its control connection (what the server saw of it) */
    long bytesFrom(Side s) {
        return bytesFrom[s.ordinal()];
    }

    /** @return why it ended, or null */
    String endReason() {
        return endReason;
    }
}
