package io.xstunt.engine.client;

import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One side of a FAST handshake (docs/PROTOCOL.md "FAST"): from the request (initiator)
 * or the server's session start (listener) to the go, then the punch on the go's grid, or the
 * fail-over to a normal session when the punch finds nothing within its window. It speaks on no
 * connection of its own: the request, the go and the fail-over travel on the client's log
 * connection, the punch is {@link PunchRace}'s; this procedure decides when each happens.
 *
 * <p>Phases, for the API's result, the CLI's {@code connected} event and JFR: {@code request}
 * (start to the go), {@code announcement} (the go's start offset waited), {@code firstSyn} (the
 * grid origin to the punch's first connect, reported by the punch) and {@code connected} (first
 * SYN to the winning connect or accept).
 */
final class FastProcedure extends Procedure<FastProcedure.Action> {
    /** Retry periods a FAST punch gets before it fails over to a normal session (at least {@link #MIN_WINDOW_NS}). */
    static final int WINDOW_PERIODS = 4;
    /**
     * The least window, whatever the period: a few periods of 10 ms (peers next to the server)
     * are shorter than one busy machine's scheduling delay (NAT lab scenario 8, 40 peers' JVMs
     * on 2 cores, failed over with 40 ms) and than the kernel's SYN retransmission (1 s), after
     * which a SYN lost on the way arrives. A go is given only to two port-preserving peers, so
     * the window is rarely waited out in full.
     */
    static final long MIN_WINDOW_NS = 1_500_000_000L;
    /** The share of the call's time a FAST punch may use, so that RACE and the relay still fit. */
    static final int WINDOW_SHARE = 4;

    /** What the procedure asks for. */
    sealed interface Action {
        /**
         * Punch from {@code localPort} to {@code peer} on the grid {@code gridOriginNs + k * retryPeriod};
         * report {@link #handleFirstSyn}, then {@link #handlePunched} or {@link #handlePunchFailed}.
         */
        record Punch(int localPort, InetSocketAddress peer, Duration retryPeriod, long gridOriginNs) implements Action {
        }

        /** Stop the punch: it found nothing within its window (or failed), and fail over. */
        record StopPunch() implements Action {
        }

        /**
         * Write the fail-over line for {@code session} on the log connection: the server starts a
         * normal session, which RACE (and the relay) then serve within the same call.
         */
        record FailOver(int session, String reason) implements Action {
        }

        /** The direct connection is up (the punch handed it over); the phases it took. */
        record Connected(Map<String, Duration> phases) implements Action {
        }

        /** No go came before the call's deadline: the call fails as RACE's would (ERR_TIMEOUT). */
        record TimedOut() implements Action {
        }
    }

    private enum State { AWAIT_GO, PUNCHING, DONE }

    private final int punchPort;
    private final long deadlineNs;
    private final long startNs;
    private final Map<String, Duration> phases = new LinkedHashMap<>();
    private State state = State.AWAIT_GO;
    private int session;
    private long goNs;
    private long originNs;
    private long firstSynNs = -1;
    private long windowEndNs;

    /**
     * Starts waiting for the go.
     *
     * @param punchPort the local port this client punches from (the one it told the server)
     * @param startNs when the request left (initiator) or the session start was read (listener)
     * @param deadlineNs the end of the XConnect / XListen call
     */
    FastProcedure(int punchPort, long startNs, long deadlineNs) {
        super(0);
        this.punchPort = punchPort;
        this.startNs = startNs;
        this.deadlineNs = deadlineNs;
        deadline(deadlineNs);
    }

    /** The go arrived (read from the log connection). */
    void handleGo(FastGo go, long nowNs) {
        if (state != State.AWAIT_GO) {
            return; // a second go for one request: the first one is being served
        }
        state = State.PUNCHING;
        session = go.session();
        goNs = nowNs;
        phases.put("request", Duration.ofNanos(nowNs - startNs));
        originNs = nowNs + go.startOffsetNs();
        long window = Math.min(Math.max(WINDOW_PERIODS * go.retryPeriodNs(), MIN_WINDOW_NS),
                Math.max(0, deadlineNs - nowNs) / WINDOW_SHARE);
        windowEndNs = originNs + window;
        deadline(Math.min(windowEndNs, deadlineNs));
        emit(new Action.Punch(punchPort, new InetSocketAddress(Ipv4.toAddress(go.peerIp()), go.peerPort()),
                Duration.ofNanos(go.retryPeriodNs()), originNs));
    }

    /** The punch sent its first SYN (its first connect call). */
    void handleFirstSyn(long nowNs) {
        if (state == State.PUNCHING && firstSynNs < 0) {
            firstSynNs = nowNs;
            phases.put("announcement", Duration.ofNanos(originNs - goNs));
            phases.put("firstSyn", Duration.ofNanos(Math.max(0, nowNs - originNs)));
        }
    }

    /** The punch won: a connect or an accept completed. */
    void handlePunched(long nowNs) {
        if (state != State.PUNCHING) {
            return;
        }
        state = State.DONE;
        clearDeadline();
        // won by the peer's SYN before our first one left (our offset was still running): no SYN of ours
        long punchStartNs = firstSynNs >= 0 ? firstSynNs : Math.min(originNs, nowNs);
        phases.putIfAbsent("announcement", Duration.ofNanos(Math.max(0, punchStartNs - goNs)));
        phases.putIfAbsent("firstSyn", Duration.ZERO);
        phases.put("connected", Duration.ofNanos(nowNs - punchStartNs));
        emit(new Action.Connected(Collections.unmodifiableMap(new LinkedHashMap<>(phases))));
    }

    /** The punch gave up before the window ended (every attempt refused, a socket error). */
    void handlePunchFailed(String reason, long nowNs) {
        failOver(reason);
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.AWAIT_GO) {
            state = State.DONE;
            emit(new Action.TimedOut());
        } else if (state == State.PUNCHING) {
            failOver("no connection within " + Duration.ofNanos(windowEndNs - originNs).toMillis() + " ms");
        }
    }

    private void failOver(String reason) {
        if (state != State.PUNCHING) {
            return;
        }
        state = State.DONE;
        clearDeadline();
        emit(new Action.StopPunch());
        emit(new Action.FailOver(session, reason));
    }

    /** @return the phases measured so far (for a fail-over's report) */
    Map<String, Duration> phases() {
        return Collections.unmodifiableMap(phases);
    }
}
