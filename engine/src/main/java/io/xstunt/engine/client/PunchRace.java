package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.proc.Procedure;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The direct-connection step of a rendezvous (XTryConnect plus the tail of XAsymClient /
 * XAsymServer), as a sans-IO state machine over abstract sockets ({@link Procedure} without
 * connections of its own: its sockets are never read, the winner is handed over): "connect attempt
 * n from the predicted local port", "listen on the predicted local port".
 *
 * <p>{@link PunchStrategy#RACE} (ours): the initiator listens on its predicted local port and
 * is {@linkplain Action.Armed armed} at once (the procedure sends "ready"); the listener connects
 * when it reads "ready" and also listens on its own predicted port. Attempts are made on a grid
 * of instants both sides share, {@code gridOrigin + k * retryPeriod}, where the grid origin is
 * the moment the listener reads "ready" (the initiator places it half a measured round trip
 * through the server after it sends "ready"). So the initiator's first SYN leaves at the origin
 * too, not before "ready": the two SYNs are out at about the same instant and meet in a TCP
 * simultaneous open, each passing the other's NAT just after that NAT has seen its own side's
 * SYN leave. That is one peer-to-peer round trip sooner than a SYN sent before "ready" (which
 * the listener's NAT drops, leaving the initiator to wait for the listener's SYN and its own
 * SYN-ACK to come back) and it still opens the initiator's hole before the listener's SYN
 * arrives, which needs only the direct path to be no faster than zero. The connecting socket
 * stays open, and whichever completes first wins: a connect, or an accept. A connect refused
 * (RST) before the procedure's deadline is retried from the same local port (a timer, not a
 * sleep) at the next grid point, at most {@code maxAttempts} times, for NATs that answer
 * unsolicited SYNs with RST: such a NAT closes the hole our SYN opened as soon as its RST comes
 * back, so only SYNs that cross on the wire get through. A grid point that finds the previous
 * attempt still pending is skipped.
 *
 * <p>{@link PunchStrategy#ORIGINAL} (XSTUNT 1.0): the initiator's XTryConnect connects and waits
 * up to {@link #TRY_CONNECT_WAIT} for that connect to fail; a connect that succeeds is
 * ERR_TRYCONNECT, as in the original. It then closes that socket, listens on a new one bound to
 * the same port, is armed, and accepts. The listener connects once; a failed connect is
 * ERR_CONNECT.
 *
 * <p>The overall bound is the enclosing {@link RendezvousProcedure}'s; this machine's own
 * deadline is only the retry timer or the XTryConnect wait.
 */
public final class PunchRace extends Procedure<PunchRace.Action> {
    /** XTryConnect's wait for its connect to fail (1000 ms in XSTUNT 1.0). */
    public static final Duration TRY_CONNECT_WAIT = Duration.ofMillis(1000);

    /** The machine's states. */
    public enum State {
        /** Not started. */
        IDLE,
        /** ORIGINAL initiator: the XTryConnect SYN is out; waiting for it to fail. */
        TRYING,
        /** Connecting and/or accepting; the first to complete wins. */
        RACING,
        /** A direct connection is up. */
        WON,
        /** Failed (or aborted). */
        FAILED
    }

    /** What the adapter must do. */
    public sealed interface Action {
        /**
         * Open attempt {@code attempt}: a socket bound to {@code localPort} (SO_REUSEADDR,
         * SO_REUSEPORT) connecting to {@code peer}; report {@link #handleConnectResult}.
         */
        record Connect(int attempt, int localPort, InetSocketAddress peer) implements Action {
        }

        /** Listen on {@code localPort} (SO_REUSEADDR, SO_REUSEPORT); report {@link #handleAccepted} or {@link #handleListenFailed}. */
        record Listen(int localPort) implements Action {
        }

        /** Close connect attempt {@code attempt} if it is still open. */
        record CloseConnect(int attempt) implements Action {
        }

        /** Close the listening socket. */
        record CloseListen() implements Action {
        }

        /** The initiator is ready for the peer's connect: send "ready" on the control channel. */
        record Armed() implements Action {
        }

        /** Connect attempt {@code attempt} won: hand its connection over. */
        record WonByConnect(int attempt) implements Action {
        }

        /** The connection just accepted won: hand it over. */
        record WonByAccept() implements Action {
        }

        /** The punch failed. */
        record Failed(Failure error) implements Action {
        }
    }

    private final PunchStrategy strategy;
    private final boolean initiator;
    private final int localPort;
    private final InetSocketAddress peer;
    private final long retryPeriodNs;
    private final long gridOriginNs;
    private final int maxAttempts;
    private State state = State.IDLE;
    private int attempt;
    private boolean connectPending;
    private boolean listening;

    /**
     * @param strategy RACE or ORIGINAL
     * @param initiator true on the XConnect side (the "asymmetric client")
     * @param localPort the predicted local port to bind
     * @param peer the peer's predicted public address
     * @param retryPeriod spacing of the retry grid (RACE); at least a round trip, so that an
     *     attempt has failed before the next grid point
     * @param gridOriginNs the retry grid's origin, on the same clock as {@code nowNs}
     * @param maxAttempts connect attempts at most (RACE); at least 1
     */
    public PunchRace(PunchStrategy strategy, boolean initiator, int localPort, InetSocketAddress peer,
                     Duration retryPeriod, long gridOriginNs, int maxAttempts) {
        super(0);
        this.strategy = strategy == PunchStrategy.FAST ? PunchStrategy.RACE : strategy; // FAST falls back to RACE
        this.initiator = initiator;
        this.localPort = localPort;
        this.peer = peer;
        this.retryPeriodNs = Math.max(1, retryPeriod.toNanos());
        this.gridOriginNs = gridOriginNs;
        this.maxAttempts = Math.max(1, maxAttempts);
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** @return connect attempts made so far */
    public int attempts() {
        return attempt;
    }

    /**
     * Starts: the listener's first SYN leaves at once, the RACE initiator's at the grid origin, the
     * ORIGINAL initiator's (XTryConnect) at once.
     */
    public void start(long nowNs) {
        if (state != State.IDLE) {
            return;
        }
        if (initiator && strategy == PunchStrategy.RACE) {
            listen();
            state = State.RACING;
            if (gridOriginNs - nowNs > 0) {
                deadline(gridOriginNs); // onTimeout connects
            } else {
                connect();
            }
            return;
        }
        connect();
        if (!initiator) {
            if (strategy == PunchStrategy.RACE) {
                // a retried SYN of the initiator that finds our connect already refused lands here
                listening = true;
                emit(new Action.Listen(localPort));
            }
            state = State.RACING;
        } else {
            state = State.TRYING;
            deadline(nowNs + TRY_CONNECT_WAIT.toNanos());
        }
    }

    private void connect() {
        attempt++;
        connectPending = true;
        emit(new Action.Connect(attempt, localPort, peer));
    }

    private void listen() {
        listening = true;
        emit(new Action.Listen(localPort));
        emit(new Action.Armed());
    }

    /**
     * A connect attempt finished.
     *
     * @param connected true if it is established, false if it failed
     * @param failure why it failed (null when connected)
     */
    public void handleConnectResult(int attempt, boolean connected, String failure, long nowNs) {
        if (attempt != this.attempt || !connectPending) {
            if (connected) {
                emit(new Action.CloseConnect(attempt)); // a stale attempt: not ours any more
            }
            return;
        }
        connectPending = false;
        if (state == State.TRYING) {
            if (connected) {
                fail(ErrorStat.ERR_TRYCONNECT, "XTryConnect's connect to " + peer + " succeeded; the original"
                        + " procedure expects it to fail");
                return;
            }
            clearDeadline();
            listen();
            state = State.RACING;
            return;
        }
        if (state != State.RACING) {
            if (connected) {
                emit(new Action.CloseConnect(attempt));
            }
            return;
        }
        if (connected) {
            win(new Action.WonByConnect(attempt));
            return;
        }
        if (strategy == PunchStrategy.ORIGINAL) {
            fail(ErrorStat.ERR_CONNECT, "connect to the peer at " + peer + " failed: " + failure);
        } else if (this.attempt < maxAttempts) {
            deadline(nextGridPointNs(nowNs));
        } else if (!listening) {
            fail(ErrorStat.ERR_CONNECT, "connect to the peer at " + peer + " failed " + this.attempt
                    + " times; last: " + failure);
        }
        // else: an initiator out of attempts still waits for the peer's connect until the deadline
    }

    /** @return the first retry grid point after {@code nowNs} */
    long nextGridPointNs(long nowNs) {
        long since = nowNs - gridOriginNs;
        if (since < 0) {
            return gridOriginNs;
        }
        return gridOriginNs + (since / retryPeriodNs + 1) * retryPeriodNs;
    }

    /** The listening socket accepted a connection. */
    public void handleAccepted(long nowNs) {
        if (state == State.RACING && listening) {
            win(new Action.WonByAccept());
        }
    }

    /** The listening socket could not be opened. */
    public void handleListenFailed(String reason) {
        if (state == State.RACING || state == State.TRYING) {
            listening = false;
            fail(ErrorStat.ERR_LISTEN, "cannot listen on local port " + localPort + ": " + reason);
        }
    }

    /** A deadline passed: the XTryConnect wait is over, or a retry is due. */
    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        clearDeadline();
        if (state == State.TRYING) {
            connectPending = false;
            emit(new Action.CloseConnect(attempt)); // XSTUNT 1.0 closes the socket that sent the SYN
            listen();
            state = State.RACING;
        } else if (state == State.RACING && !connectPending) {
            connect();
        }
    }

    /** Closes every socket of the race (the procedure failed or timed out). */
    public void abort() {
        if (state == State.WON || state == State.FAILED) {
            return;
        }
        closeAll();
        state = State.FAILED;
    }

    private void win(Action winner) {
        state = State.WON;
        closeAll();
        emit(winner);
    }

    private void closeAll() {
        clearDeadline();
        if (connectPending) {
            emit(new Action.CloseConnect(attempt));
            connectPending = false;
        }
        if (listening) {
            emit(new Action.CloseListen());
            listening = false;
        }
    }

    private void fail(ErrorStat code, String message) {
        closeAll();
        state = State.FAILED;
        emit(new Action.Failed(new Failure(code, 0, message)));
    }
}
