package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.SweepFrame;
import io.xstunt.engine.wire.WireFormatException;
import java.nio.ByteBuffer;
import java.util.function.IntPredicate;

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
 *
 * <p>The relay extension (docs/PROTOCOL.md, "Relay"), only in a session whose two clients both
 * asked for the extensions while relaying is on ({@code relayOffered}): the relay reads the frame
 * boundaries of both sides, consumes the {@link RelayFrame}s addressed to it and forwards the rest
 * unchanged (the birthday sweep's {@link SweepFrame}s among them: peer to peer). When both sides agree (HELLO says both NATs are random or a side wants the relay
 * only; or both sent REQUEST after punching in vain; a side that asks first makes the relay tell
 * the other, PEER_GAVE_UP), it asks its I/O for a relay slot ({@link Action.ReserveRelay}), writes
 * START to both, and once both answered READY hands both connections to a raw byte pipe
 * ({@link Action.Pipe}): from then on it hears nothing of them.
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
        FINISHED,
        /** Both connections went to a relay pipe: the session's own part is over. */
        PIPED
    }

    /** What the session's I/O must do. */
    sealed interface Action permits Action.StopListening, Action.Ended, Action.Finished, Action.ReserveRelay,
            Action.Pipe, Action.HoldReading, Refused {
        /** Close the control listener: no more control connections are taken. */
        record StopListening() implements Action {
        }

        /** The session has ended (its clients may be IDLE again); the connections may still flush. */
        record Ended(String reason) implements Action {
        }

        /** Nothing of the session is left open: forget it. */
        record Finished() implements Action {
        }

        /** Both want the relay: take a relay slot and answer {@link #handleRelayReserved}. */
        record ReserveRelay() implements Action {
        }

        /**
         * Both read START and answered READY: release both connections to a relay pipe.
         *
         * @param reason why the pair is relayed, as people read it
         * @param early bytes each side sent after its READY before the other's (index by side), or null
         */
        record Pipe(String reason, ByteBuffer[] early) implements Action {
        }

        /**
         * Side {@code connection} is READY and sent {@link #MAX_EARLY} bytes before its peer was:
         * stop reading it (TCP's window then slows its sender) until the pipe starts, which reads
         * it again. Backpressure, as the relay's own: a fast sender right after its READY is no
         * fault.
         */
        record HoldReading(int connection) implements Action {
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
    /** How it ended (for the operators' counts), once it has. */
    private ServerCounters.Outcome outcome;

    // ---- the relay extension (only when relayOffered)
    /** The most bytes a READY side may send before the other side is READY too. */
    static final int MAX_EARLY = 256 * 1024;
    private final boolean relayOffered;
    private final RelayFrame.Limits limits;
    private final IntPredicate upgradable;
    private final RelayFrame.Mode[] modes = new RelayFrame.Mode[2];
    private final boolean[] randomNat = new boolean[2];
    /** Per side: its HELLO said it reads sweep frames (only such a side gets them; an older client would fail on one). */
    private final boolean[] readsSweep = new boolean[2];
    /** Per side: its sweep frames that wait for the other side's HELLO (a few bytes, bounded). */
    private final java.util.List<java.util.List<byte[]>> heldSweep = java.util.List.of(new java.util.ArrayList<>(),
            new java.util.ArrayList<>());
    /** The most sweep frames held for a side whose HELLO has not come (OFFER and a signal or two). */
    private static final int MAX_HELD_SWEEP = 4;
    /** Per side: its first frame was not HELLO (an xstunt client without the relay): no relay for the pair. */
    private final boolean[] noRelay = new boolean[2];
    private final RelayFrame.Reason[] requested = new RelayFrame.Reason[2];
    private final int[] attempts = new int[2];
    private final boolean[] punched = new boolean[2];
    private final boolean[] ready = new boolean[2];
    private final ByteBuffer[] early = new ByteBuffer[2];
    /** Per side: not read until the pipe starts ({@link Action.HoldReading} emitted). */
    private final boolean[] holding = new boolean[2];
    private int upgradeOf;
    /** NONE, RESERVING, STARTING (START sent), REFUSED. */
    private int relayStep;
    private static final int STEP_NONE = 0;
    private static final int STEP_RESERVING = 1;
    private static final int STEP_STARTING = 2;
    private static final int STEP_REFUSED = 3;
    private RelayFrame.Reason relayReason = RelayFrame.Reason.NONE;
    private int relayAttempts;

    /**
     * @param startNs when the session was accepted; it ends at {@code startNs + sessionNs}
     * @param lingerNs how long a closing connection may flush after the end
     */
    ControlRelay(int initiatorIp, int listenerIp, int maxBacklog, long startNs, long sessionNs, long lingerNs) {
        this(initiatorIp, listenerIp, maxBacklog, startNs, sessionNs, lingerNs, false, null, n -> false);
    }

    /**
     * @param relayOffered both clients asked for the extensions and the server relays: the relay
     *     extension's frames are read (their announcements said so)
     * @param limits the limits START announces (when relayOffered)
     * @param upgradable whether a relayed session id names a relay between this session's two
     *     clients (HELLO's upgrade)
     */
    ControlRelay(int initiatorIp, int listenerIp, int maxBacklog, long startNs, long sessionNs, long lingerNs,
                 boolean relayOffered, RelayFrame.Limits limits, IntPredicate upgradable) {
        super(2);
        this.relayOffered = relayOffered;
        this.limits = limits;
        this.upgradable = upgradable;
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
        if (relayOffered && state != State.DRAINING && state != State.FINISHED && state != State.PIPED) {
            bytesFrom[connection] += in.remaining();
            readFrames(connection, in, nowNs);
            dropIfEnded(in);
            return;
        }
        Side side = SIDES[connection];
        int n = in.remaining();
        bytesFrom[connection] += n;
        pass(side, in, nowNs);
    }

    /** Relays (or buffers for an absent side) all of {@code in}, from {@code side}: the original behaviour. */
    private void pass(Side side, ByteBuffer in, long nowNs) {
        int n = in.remaining();
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
                end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.ABORTED, "relay backlog overflow");
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
        if (state == State.PIPED) {
            return;
        }
        Side side = SIDES[connection];
        open[connection] = false;
        outbound(connection).closeNow(); // nothing more goes to a closed connection
        if (state == State.DRAINING) {
            finishIfIdle();
        } else if (state != State.FINISHED) {
            end(nowNs, Outbound.Closing.AFTER_FLUSH, ServerCounters.Outcome.ENDED, side + " closed its control connection");
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.DRAINING) {
            closeOpenSides(Outbound.Closing.NOW);
        } else if (state != State.FINISHED && state != State.PIPED) {
            emit(new Refused(Rejection.SESSION_TIMEOUT, "session not finished in time, state " + state));
            end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.TIMED_OUT, "session timeout");
        }
    }

    /** Ends the session at once (a client went away, the server closes). */
    void handleAbort(String reason, long nowNs) {
        if (state == State.PIPED) {
            return; // the pipe's own abort ends it
        }
        if (state != State.FINISHED && state != State.DRAINING) {
            end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.ABORTED, reason);
        } else if (state == State.DRAINING) {
            closeOpenSides(Outbound.Closing.NOW);
        }
    }

    private void end(long nowNs, Outbound.Closing how, ServerCounters.Outcome end, String reason) {
        boolean wasListening = listening();
        if (endReason == null) {
            endReason = reason;
            outcome = end;
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

    // ---- the relay extension

    /**
     * Reads {@code in} frame by frame (a session with the relay offered): relay frames are
     * consumed here, runs of the protocol's own frames are relayed as they are, a partial frame is
     * left for the next read. After a side's READY its bytes are data: held until the other side is
     * READY too (then the pipe starts with them).
     */
    private void readFrames(int connection, ByteBuffer in, long nowNs) {
        Side side = SIDES[connection];
        while (in.hasRemaining() && state != State.DRAINING && state != State.FINISHED && state != State.PIPED) {
            if (ready[connection]) {
                holdEarly(connection, in, nowNs);
                return;
            }
            int len = RelayFrame.wholeFrameAt(in);
            if (len < 0) {
                return; // a partial frame: offered again with more bytes
            }
            int tag = in.get(in.position()) & 0xff;
            if (SweepFrame.isSweepTag(tag)) {
                byte[] frame = new byte[len];
                in.get(frame);
                if (modes[connection] == null) {
                    noRelay[connection] = true; // its first frame is not HELLO
                }
                forwardSweep(side, frame);
                continue;
            }
            if (RelayFrame.isRelayTag(tag)) {
                RelayFrame f;
                try {
                    f = RelayFrame.tryRead(in);
                } catch (WireFormatException e) {
                    malformed(nowNs, e.getMessage(), in);
                    return;
                }
                onRelayFrame(side, f, nowNs);
                continue;
            }
            if (!forwarded(tag)) { // (sweep frames are taken above)
                malformed(nowNs, "unknown control tag " + tag + " from the " + side, in);
                return;
            }
            if (modes[connection] == null) {
                noRelay[connection] = true; // its first frame is not HELLO: an xstunt client without the relay
            }
            int start = in.position();
            int end = start + len;
            while (end < in.limit()) { // the run of protocol frames that follows, relayed in one piece
                int next = RelayFrame.wholeFrameAt(in.duplicate().position(end));
                int t = in.get(end) & 0xff;
                if (next < 0 || !forwarded(t)) {
                    break;
                }
                end += next;
            }
            in.position(end);
            if (relayStep == STEP_STARTING) {
                continue; // START is out: the traversal's frames are moot, and the other side may already read data
            }
            pass(side, in.slice(start, end - start), nowNs);
        }
    }

    /** @return true for a frame of the protocol's own (OK, ABORT, ACKABORT), relayed as it is in runs */
    private static boolean forwarded(int tag) {
        return tag == Protocol.TAG_OK || tag == Protocol.TAG_ABORT || tag == Protocol.TAG_ACKABORT;
    }

    /** After the loop of {@link #readFrames}: an ended session takes no more bytes (the peer is going away). */
    private void dropIfEnded(ByteBuffer in) {
        if (state == State.DRAINING || state == State.FINISHED) {
            in.position(in.limit());
        }
    }

    private void malformed(long nowNs, String why, ByteBuffer in) {
        in.position(in.limit());
        emit(new Refused(Rejection.BAD_BYTES, "control channel with the relay offered: " + why));
        end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.ABORTED, "malformed control frame");
    }

    private void onRelayFrame(Side side, RelayFrame f, long nowNs) {
        int s = side.ordinal();
        switch (f.tag()) {
            case RelayFrame.TAG_HELLO -> {
                if (modes[s] != null || noRelay[s]) {
                    return; // only the first frame says hello
                }
                modes[s] = f.mode();
                randomNat[s] = f.randomNat();
                readsSweep[s] = f.readsSweep();
                releaseSweep(side.other());
                if (f.session() != 0 && side == Side.INITIATOR) {
                    if (!upgradable.test(f.session())) {
                        emit(new Refused(Rejection.RELAY_REFUSED, "upgrade of session " + f.session()
                                + ", which is no relay between these clients"));
                        end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.ABORTED, "upgrade of an unknown relay");
                        return;
                    }
                    upgradeOf = f.session();
                    toSide(Side.LISTENER, RelayFrame.upgrade(upgradeOf).encode());
                }
                decideAtOnce();
            }
            case RelayFrame.TAG_REQUEST -> {
                String no = refusal(side);
                if (no != null) {
                    toSide(side, RelayFrame.refused(no).encode());
                    return;
                }
                if (requested[s] != null) {
                    return;
                }
                requested[s] = f.reason();
                attempts[s] = f.attempts();
                if (requested[1 - s] != null) {
                    Side first = relayReason == RelayFrame.Reason.NONE ? side.other() : side;
                    reserve(requested[first.ordinal()], attempts[first.ordinal()]);
                } else {
                    toSide(side.other(), RelayFrame.gaveUp(RelayFrame.TAG_PEER_GAVE_UP, f.reason(), f.attempts()).encode());
                }
            }
            case RelayFrame.TAG_PUNCHED -> {
                // the side holds its direct connection and closes its control connection right after:
                // end now, as its close would (the close may come a loop turn later, after a new
                // MSG_CONNECT of the same client that must find it IDLE)
                punched[s] = true;
                end(nowNs, Outbound.Closing.AFTER_FLUSH, ServerCounters.Outcome.ENDED, side + " connected directly");
            }
            case RelayFrame.TAG_READY -> {
                if (relayStep != STEP_STARTING || ready[s]) {
                    return;
                }
                ready[s] = true;
                if (ready[1 - s]) {
                    pipe();
                }
            }
            default -> { } // the server's own tags, sent by a client: nothing to do
        }
    }

    /**
     * A sweep frame from {@code from}: forwarded as it is to the other side if its HELLO said it
     * reads them, dropped if it did not (or sent none), held until its HELLO if it has not come yet.
     */
    private void forwardSweep(Side from, byte[] frame) {
        int o = from.other().ordinal();
        if (relayStep == STEP_STARTING) {
            return; // START is out: the traversal's frames are moot
        }
        if (modes[o] != null) {
            if (readsSweep[o]) {
                toSide(from.other(), frame);
            }
        } else if (!noRelay[o] && heldSweep.get(from.ordinal()).size() < MAX_HELD_SWEEP) {
            heldSweep.get(from.ordinal()).add(frame);
        }
    }

    /** {@code from}'s held sweep frames, now that the other side's HELLO is in. */
    private void releaseSweep(Side from) {
        java.util.List<byte[]> held = heldSweep.get(from.ordinal());
        for (byte[] frame : held) {
            if (readsSweep[from.other().ordinal()]) {
                toSide(from.other(), frame);
            }
        }
        held.clear();
    }

    /** After both HELLOs: a pair whose ports cannot be predicted, or that wants the relay only, starts it now. */
    private void decideAtOnce() {
        if (modes[0] == null || modes[1] == null || upgradeOf != 0 || relayStep != STEP_NONE) {
            return;
        }
        boolean relayOnly = modes[0] == RelayFrame.Mode.RELAY_ONLY || modes[1] == RelayFrame.Mode.RELAY_ONLY;
        if (relayOnly && (modes[0] == RelayFrame.Mode.DIRECT_ONLY || modes[1] == RelayFrame.Mode.DIRECT_ONLY)) {
            relayStep = STEP_REFUSED;
            byte[] no = RelayFrame.refused("one side wants the relay only, the other direct connections only").encode();
            toSide(Side.INITIATOR, no);
            toSide(Side.LISTENER, no.clone());
        } else if (relayOnly) {
            reserve(RelayFrame.Reason.RELAY_ONLY, 0);
        } else if (randomNat[0] && randomNat[1] && refusal(Side.INITIATOR) == null) {
            reserve(RelayFrame.Reason.BOTH_RANDOM, 0);
        }
    }

    /** @return why {@code side}'s REQUEST cannot be granted, or null */
    private String refusal(Side side) {
        int o = side.other().ordinal();
        if (relayStep == STEP_REFUSED) {
            return "the relay was refused for this session";
        }
        if (upgradeOf != 0) {
            return "an upgrade to a direct connection is never relayed";
        }
        if (noRelay[o] || modes[o] == null) {
            return "the peer does not use the relay";
        }
        if (modes[o] == RelayFrame.Mode.DIRECT_ONLY || modes[side.ordinal()] == RelayFrame.Mode.DIRECT_ONLY) {
            return "direct connections only were asked for";
        }
        if (punched[o]) {
            return "the peer connected directly";
        }
        return null;
    }

    private void reserve(RelayFrame.Reason reason, int tries) {
        if (relayStep != STEP_NONE) {
            return;
        }
        relayStep = STEP_RESERVING;
        relayReason = reason;
        relayAttempts = tries;
        emit(new Action.ReserveRelay());
    }

    /**
     * The I/O's answer to {@link Action.ReserveRelay}.
     *
     * @param why null if a relay slot is taken for this session, else why none is (a limit)
     */
    void handleRelayReserved(String why, long nowNs) {
        if (relayStep != STEP_RESERVING || state != State.RELAYING) {
            return;
        }
        if (why != null) {
            relayStep = STEP_REFUSED;
            emit(new Refused(Rejection.RELAY_REFUSED, why));
            byte[] no = RelayFrame.refused(why).encode();
            outbound(0).send(no);
            outbound(1).send(no.clone());
            return;
        }
        relayStep = STEP_STARTING;
        byte[] start = RelayFrame.start(relayReason, relayAttempts, limits).encode();
        outbound(0).send(start);
        outbound(1).send(start.clone());
    }

    private void holdEarly(int connection, ByteBuffer in, long nowNs) {
        ByteBuffer e = early[connection];
        if (e == null) {
            e = early[connection] = ByteBuffer.allocate(Math.min(MAX_EARLY, Math.max(1024, 2 * in.remaining())));
        }
        if (e.remaining() < in.remaining()) {
            int need = e.position() + in.remaining();
            if (need > 2 * MAX_EARLY) {
                // reads went on after HoldReading: the I/O did not stop them
                in.position(in.limit());
                emit(new Refused(Rejection.RELAY_OVERFLOW, "more than " + 2 * MAX_EARLY + " bytes before the peer"
                        + " was ready"));
                end(nowNs, Outbound.Closing.NOW, ServerCounters.Outcome.ABORTED, "relay data before the peer was ready");
                return;
            }
            e = early[connection] = ByteBuffer.allocate(Math.max(need, Math.min(MAX_EARLY, 2 * need))).put(e.flip());
        }
        e.put(in);
        if (e.position() >= MAX_EARLY && !holding[connection]) {
            holding[connection] = true;
            emit(new Action.HoldReading(connection));
        }
    }

    private void pipe() {
        state = State.PIPED;
        clearDeadline();
        ByteBuffer[] held = {early[0] == null ? null : early[0].flip(), early[1] == null ? null : early[1].flip()};
        early[0] = null;
        early[1] = null;
        String reason = relayReason.describe(relayAttempts);
        endReason = "relayed: " + reason;
        outcome = ServerCounters.Outcome.ENDED;
        emit(new Action.Ended(endReason));
        emit(new Action.Pipe(reason, held));
    }

    /** Bytes for {@code side}: sent if it is connected, else kept for it with what the other side sent meanwhile. */
    private void toSide(Side side, byte[] bytes) {
        if (open[side.ordinal()]) {
            outbound(side.ordinal()).send(bytes);
            return;
        }
        if (backlog == null) {
            backlog = ByteBuffer.allocate(maxBacklog);
        }
        if (backlog.remaining() >= bytes.length) {
            backlog.put(bytes);
        }
    }

    /** @return true once a relay pipe took the connections */
    boolean piped() {
        return state == State.PIPED;
    }

    /** @return true if a side said its punch won (a direct connection) */
    boolean punchedDirect() {
        return punched[0] || punched[1];
    }

    /** @return true if a relay slot is held for this session (reserved, starting or piped) */
    boolean relayReserved() {
        return relayStep == STEP_STARTING || state == State.PIPED;
    }

    /** @return true if the relay extension runs on this session's control channel */
    boolean relayOffered() {
        return relayOffered;
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

    /** @return how the session ended (null while it runs) */
    ServerCounters.Outcome outcome() {
        return outcome;
    }

    /** @return what {@code side}'s HELLO said of its NAT ({@link ServerCounters.NatClass#UNKNOWN} without one) */
    ServerCounters.NatClass natClass(Side side) {
        int s = side.ordinal();
        if (modes[s] == null) {
            return ServerCounters.NatClass.UNKNOWN;
        }
        return randomNat[s] ? ServerCounters.NatClass.RANDOM : ServerCounters.NatClass.PREDICTABLE;
    }

    /** @return why it ended, or null */
    String endReason() {
        return endReason;
    }
}
