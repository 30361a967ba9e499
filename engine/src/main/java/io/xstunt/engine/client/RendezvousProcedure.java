package io.xstunt.engine.client;

import io.xstunt.engine.ErrorCode;
import io.xstunt.engine.XstuntException;
import io.xstunt.engine.nat.PortPrediction;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireFormatException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rendezvous after an announcement (wire notes, rendezvous steps 2-8; XAsymClient on the
 * initiator, XAsymServer on the listener) as a sans-IO state machine: control channel, clock
 * sync, port prediction, address exchange, then the punch (delegated to {@link PunchRace} by the
 * adapter, which reports back).
 *
 * <p>Clock sync: the initiator sends OK(one) and measures the round trip to the listener's
 * OK(one), sends OK(one) and waits half that round trip (a timer); the listener reads it. Both
 * then predict (one echo query from a fresh port; predicted port = observed + increment) and
 * send OK(4 address bytes), OK(2 port bytes). The initiator starts the punch; when armed it sends
 * OK(one), "ready"; the listener starts its punch on "ready". Frames that arrive before their
 * state are queued, so the two sides need not be in lockstep.
 *
 * <p>An ABORT frame is answered with ACKABORT and fails the procedure (ERR_ASYMCLIENT on the
 * initiator, ERR_ASYMSERVER on the listener); a failure of our own sends ABORT(reason).
 *
 * <p>Error codes when a state's deadline passes (each state waits at most the echo timeout,
 * and never past the procedure's overall deadline; the punch waits until the overall deadline):
 * <table>
 * <caption>timeouts</caption>
 * <tr><td>CONTROL_CONNECTING</td><td>ERR_CONNECT</td></tr>
 * <tr><td>SYNC_*</td><td>ERR_ECHO_TIMEOUT</td></tr>
 * <tr><td>PREDICTING</td><td>ERR_PREDICT</td></tr>
 * <tr><td>EXCHANGING</td><td>ERR_ADDRPORT_RECEIVE</td></tr>
 * <tr><td>AWAIT_READY (listener)</td><td>ERR_TIMEOUT</td></tr>
 * <tr><td>PUNCHING</td><td>ERR_ASYM_TIMEOUT on the initiator (XAsymClient), ERR_TIMEOUT on the listener (XAsymServer)</td></tr>
 * </table>
 * The control channel closing before the punch: a clean close is the state's RECEIVE error
 * (ERR_SYN_RECEIVE, ERR_ADDRPORT_RECEIVE, ERR_RECEIVE), an I/O error its SEND error (ERR_SYN_SEND,
 * ERR_ADDRPORT_SEND, ERR_SEND). During the punch the control channel may close (the peer may have
 * finished first); only the deadline or an ABORT fails it then. Equal public IPs after the
 * exchange: ERR_HAIRPIN.
 */
public final class RendezvousProcedure extends Procedure<RendezvousProcedure.Action> {
    /** The machine's states. */
    public enum State {
        /** Connecting to the session's control port. */
        CONTROL_CONNECTING,
        /** Initiator: sent OK(one), waiting for the listener's (the round trip is measured). */
        SYNC_AWAIT_ECHO,
        /** Initiator: sent the second OK(one), waiting half the round trip. */
        SYNC_HALF_RTT,
        /** Listener: waiting for the initiator's first OK(one). */
        SYNC_AWAIT_FIRST,
        /** Listener: answered, waiting for the initiator's second OK(one). */
        SYNC_AWAIT_SECOND,
        /** The echo query of the port prediction is in flight. */
        PREDICTING,
        /** Own address sent; waiting for the peer's address and port frames. */
        EXCHANGING,
        /** Listener: waiting for the initiator's "ready". */
        AWAIT_READY,
        /** The punch runs. */
        PUNCHING,
        /** Direct connection up. */
        DONE,
        /** Failed. */
        FAILED
    }

    /** What the adapter must do. */
    public sealed interface Action {
        /** Connect to the control channel; report {@code onControlConnected} / {@code onControlConnectFailed}. */
        record ConnectControl(InetSocketAddress address) implements Action {
        }

        /** Write these bytes on the control channel. */
        record Send(byte[] bytes) implements Action {
        }

        /** Close the control channel after flushing; its close is not reported any more. */
        record CloseControl() implements Action {
        }

        /**
         * XPredict's I/O: bind a fresh local port (SO_REUSEADDR, SO_REUSEPORT), query
         * {@code echoEndpoint}, close; report {@code onPredicted} / {@code onPredictFailed}.
         */
        record Predict(InetSocketAddress echoEndpoint) implements Action {
        }

        /**
         * Start the punch from {@code localPort} to the peer's predicted {@code peer} address; a
         * refused connect is retried on the grid {@code gridOriginNs + k * retryPeriod} (see {@link PunchRace}).
         */
        record Punch(int localPort, InetSocketAddress peer, Duration retryPeriod, long gridOriginNs) implements Action {
        }

        /** Stop the punch and close its sockets. */
        record AbortPunch() implements Action {
        }

        /** The procedure succeeded (the adapter hands the punched connection over). */
        record Succeeded(InetSocketAddress peerPredicted, Map<String, Duration> phases) implements Action {
        }

        /** The procedure failed. */
        record Failed(XstuntException error) implements Action {
        }
    }

    /**
     * The punch's retry period: a little over one measured round trip through the server (so an
     * attempt that a RST-answering NAT refuses has failed before the next grid point), within
     * these bounds.
     */
    private static final Duration MIN_RETRY = Duration.ofMillis(10);
    private static final Duration MAX_RETRY = Duration.ofSeconds(2);

    private final boolean initiator;
    private final InetSocketAddress control;
    private final InetSocketAddress echoEndpoint;
    private final int increment;
    private final long echoTimeoutNs;
    private final long overallDeadlineNs;
    private final ArrayDeque<ControlFrame> inbox = new ArrayDeque<>();
    private final Map<String, Duration> phases;
    private State state = State.CONTROL_CONNECTING;
    private boolean controlOpen;
    private long phaseStartNs;
    private long syncSentNs;
    private long rttNs;
    private int ownPublicIp;
    private int localPort;
    private int peerIp;
    private int peerPort = -1;
    private boolean peerIpKnown;

    /**
     * @param initiator true on the XConnect side ("asymmetric client"), false on the listener
     * @param control the session's control channel (the announcement's nIP:wPort)
     * @param echoEndpoint the echo endpoint used by the port prediction
     * @param increment the fingerprint's port increment
     * @param echoTimeout bound of each wait on the control channel and of the prediction
     * @param overallDeadlineNs the procedure's overall deadline (XConnect's / XListen's timeout)
     * @param priorPhases phases measured before this procedure (comm, announce), or empty
     */
    public RendezvousProcedure(boolean initiator, InetSocketAddress control, InetSocketAddress echoEndpoint,
                               int increment, Duration echoTimeout, long overallDeadlineNs,
                               Map<String, Duration> priorPhases) {
        this.initiator = initiator;
        this.control = control;
        this.echoEndpoint = echoEndpoint;
        this.increment = increment;
        this.echoTimeoutNs = echoTimeout.toNanos();
        this.overallDeadlineNs = overallDeadlineNs;
        this.phases = new LinkedHashMap<>(priorPhases);
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** @return true on the XConnect side */
    public boolean initiator() {
        return initiator;
    }

    /** @return the measured round trip through the server (initiator, after sync) */
    public Duration rtt() {
        return Duration.ofNanos(rttNs);
    }

    /** Starts: connect to the control channel. */
    public void start(long nowNs) {
        phaseStartNs = nowNs;
        emit(new Action.ConnectControl(control));
        waitAtMostEcho(nowNs);
    }

    private void waitAtMostEcho(long nowNs) {
        long d = nowNs + echoTimeoutNs;
        deadline(d - overallDeadlineNs < 0 ? d : overallDeadlineNs);
    }

    /** The control channel is up. */
    public void onControlConnected(long nowNs) {
        if (state != State.CONTROL_CONNECTING) {
            return;
        }
        controlOpen = true;
        phase("control", nowNs);
        if (initiator) {
            emit(new Action.Send(frame(ControlFrame.one())));
            syncSentNs = nowNs;
            state = State.SYNC_AWAIT_ECHO;
        } else {
            state = State.SYNC_AWAIT_FIRST;
        }
        waitAtMostEcho(nowNs);
        process(nowNs);
    }

    /** The control channel could not be connected. */
    public void onControlConnectFailed(String reason) {
        if (state == State.CONTROL_CONNECTING) {
            fail(ErrorCode.ERR_CONNECT, "cannot connect to the control channel " + control + ": " + reason);
        }
    }

    /** Bytes on the control channel: consumes every whole frame. */
    public void onControlBytes(ByteBuffer in, long nowNs) {
        if (state == State.DONE || state == State.FAILED) {
            in.position(in.limit());
            return;
        }
        try {
            ControlFrame f;
            while ((f = ControlFrame.tryRead(in)) != null) {
                if (f.tag() == io.xstunt.engine.wire.Protocol.TAG_ABORT) {
                    emit(new Action.Send(frame(ControlFrame.ackAbort())));
                    failNoAbort(initiator ? ErrorCode.ERR_ASYMCLIENT : ErrorCode.ERR_ASYMSERVER,
                            "the peer aborted the rendezvous: " + f.text());
                    in.position(in.limit());
                    return;
                }
                if (f.tag() == io.xstunt.engine.wire.Protocol.TAG_OK) {
                    inbox.add(f);
                }
                // ACKABORT: the answer to our ABORT; nothing to do
            }
        } catch (WireFormatException e) {
            in.position(in.limit());
            fail(ErrorCode.ERR_RECEIVE, "malformed control frame: " + e.getMessage());
            return;
        }
        process(nowNs);
    }

    /** Runs queued frames as far as the state allows. */
    private void process(long nowNs) {
        while (!inbox.isEmpty()) {
            ControlFrame f = inbox.peek();
            switch (state) {
                case SYNC_AWAIT_ECHO -> {
                    inbox.poll();
                    if (!f.isOne()) {
                        fail(ErrorCode.ERR_SYN_RECEIVE, "expected the sync echo OK(one), got " + f);
                        return;
                    }
                    rttNs = Math.max(0, nowNs - syncSentNs);
                    emit(new Action.Send(frame(ControlFrame.one())));
                    state = State.SYNC_HALF_RTT;
                    deadline(nowNs + rttNs / 2);
                }
                case SYNC_AWAIT_FIRST, SYNC_AWAIT_SECOND -> {
                    inbox.poll();
                    if (!f.isOne()) {
                        fail(ErrorCode.ERR_SYN_RECEIVE, "expected sync OK(one), got " + f);
                        return;
                    }
                    if (state == State.SYNC_AWAIT_FIRST) {
                        syncSentNs = nowNs;
                        emit(new Action.Send(frame(ControlFrame.one())));
                        state = State.SYNC_AWAIT_SECOND;
                        waitAtMostEcho(nowNs);
                    } else {
                        rttNs = Math.max(0, nowNs - syncSentNs);
                        predict(nowNs);
                    }
                }
                case EXCHANGING -> {
                    inbox.poll();
                    try {
                        if (!peerIpKnown) {
                            peerIp = f.asAddress();
                            peerIpKnown = true;
                            continue;
                        }
                        peerPort = f.asPort();
                    } catch (WireFormatException e) {
                        fail(ErrorCode.ERR_ADDRPORT_RECEIVE, e.getMessage());
                        return;
                    }
                    exchanged(nowNs);
                }
                case AWAIT_READY -> {
                    inbox.poll();
                    if (!f.isOne()) {
                        fail(ErrorCode.ERR_RECEIVE, "expected \"ready\" OK(one), got " + f);
                        return;
                    }
                    phase("exchange", nowNs);
                    punch(nowNs);
                }
                case PUNCHING -> {
                    inbox.poll(); // nothing is expected now; an extra frame is harmless
                }
                default -> {
                    return; // not yet: keep it queued (e.g. the peer's address while we predict)
                }
            }
        }
    }

    private void predict(long nowNs) {
        phase("sync", nowNs);
        state = State.PREDICTING;
        emit(new Action.Predict(echoEndpoint));
        waitAtMostEcho(nowNs);
    }

    /**
     * The prediction's echo query answered.
     *
     * @param boundLocalPort the local port it connected from (rebound for the punch)
     * @param publicIp the public IP the echo service saw
     * @param publicPort the public port the echo service saw
     */
    public void onPredicted(int boundLocalPort, int publicIp, int publicPort, long nowNs) {
        if (state != State.PREDICTING) {
            return;
        }
        if (publicPort < 1 || publicPort > 65535) {
            fail(ErrorCode.ERR_PREDICT, "echo reported port " + publicPort);
            return;
        }
        localPort = boundLocalPort;
        ownPublicIp = publicIp;
        int predicted = PortPrediction.predict(publicPort, increment);
        phase("predict", nowNs);
        emit(new Action.Send(frame(ControlFrame.address(publicIp))));
        emit(new Action.Send(frame(ControlFrame.port(predicted))));
        state = State.EXCHANGING;
        waitAtMostEcho(nowNs);
        process(nowNs);
    }

    /** The prediction failed: ERR_PREDICT. */
    public void onPredictFailed(String reason) {
        if (state == State.PREDICTING) {
            fail(ErrorCode.ERR_PREDICT, "port prediction against " + echoEndpoint + " failed: " + reason);
        }
    }

    private void exchanged(long nowNs) {
        if (peerIp == ownPublicIp) {
            fail(ErrorCode.ERR_HAIRPIN, "both sides have the public IP " + Ipv4.toString(peerIp));
            return;
        }
        if (peerPort == 0) {
            fail(ErrorCode.ERR_ADDRPORT_RECEIVE, "the peer sent port 0");
            return;
        }
        if (initiator) {
            phase("exchange", nowNs);
            punch(nowNs);
        } else {
            state = State.AWAIT_READY;
            deadline(overallDeadlineNs);
        }
    }

    private void punch(long nowNs) {
        state = State.PUNCHING;
        deadline(overallDeadlineNs);
        long period = Math.min(Math.max(rttNs + rttNs / 4 + MIN_RETRY.toNanos() / 5, MIN_RETRY.toNanos()),
                MAX_RETRY.toNanos());
        // the grid origin: when the listener reads "ready", which the initiator sends right now
        long origin = initiator ? nowNs + rttNs / 2 : nowNs;
        emit(new Action.Punch(localPort, peerAddress(), Duration.ofNanos(period), origin));
    }

    /** @return the peer's predicted public address (after the exchange) */
    public InetSocketAddress peerAddress() {
        return new InetSocketAddress(Ipv4.toAddress(peerIp), Math.max(peerPort, 0));
    }

    /** Initiator: the punch listens; send "ready". */
    public void onPunchArmed(long nowNs) {
        if (state == State.PUNCHING && initiator && controlOpen) {
            emit(new Action.Send(frame(ControlFrame.one())));
        }
    }

    /** The punch produced the direct connection. */
    public void onPunched(long nowNs) {
        if (state != State.PUNCHING) {
            return;
        }
        phase("punch", nowNs);
        state = State.DONE;
        clearDeadline();
        closeControl();
        emit(new Action.Succeeded(peerAddress(), Collections.unmodifiableMap(phases)));
    }

    /** The punch failed for good. */
    public void onPunchFailed(XstuntException error) {
        if (state == State.PUNCHING) {
            failWith(error);
        }
    }

    /**
     * The control channel closed.
     *
     * @param ioError the I/O error that closed it, or null for a clean close by the relay
     */
    public void onControlClosed(String ioError, long nowNs) {
        boolean wasOpen = controlOpen;
        controlOpen = false;
        if (!wasOpen || state == State.PUNCHING || state == State.DONE || state == State.FAILED) {
            return; // during the punch the peer may have won and closed first
        }
        boolean clean = ioError == null;
        String why = "the control channel closed" + (clean ? "" : ": " + ioError) + " (state " + state + ")";
        switch (state) {
            case SYNC_AWAIT_ECHO, SYNC_HALF_RTT, SYNC_AWAIT_FIRST, SYNC_AWAIT_SECOND ->
                    fail(clean ? ErrorCode.ERR_SYN_RECEIVE : ErrorCode.ERR_SYN_SEND, why);
            case PREDICTING, EXCHANGING -> fail(clean ? ErrorCode.ERR_ADDRPORT_RECEIVE : ErrorCode.ERR_ADDRPORT_SEND,
                    why);
            default -> fail(clean ? ErrorCode.ERR_RECEIVE : ErrorCode.ERR_SEND, why);
        }
    }

    /** A deadline passed: the half-RTT wait ends, or the state's wait timed out (see the table above). */
    public void onTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.SYNC_HALF_RTT && overallDeadlineNs - nowNs > 0) {
            predict(nowNs);
            return;
        }
        String why = "timed out in state " + state;
        switch (state) {
            case CONTROL_CONNECTING -> fail(ErrorCode.ERR_CONNECT, "connecting to the control channel " + why);
            case SYNC_AWAIT_ECHO, SYNC_HALF_RTT, SYNC_AWAIT_FIRST, SYNC_AWAIT_SECOND ->
                    fail(ErrorCode.ERR_ECHO_TIMEOUT, "clock sync through the server " + why);
            case PREDICTING -> fail(ErrorCode.ERR_PREDICT, "port prediction " + why);
            case EXCHANGING -> fail(ErrorCode.ERR_ADDRPORT_RECEIVE, "waiting for the peer's address " + why);
            case AWAIT_READY -> fail(ErrorCode.ERR_TIMEOUT, "waiting for the initiator's \"ready\" " + why);
            case PUNCHING -> fail(initiator ? ErrorCode.ERR_ASYM_TIMEOUT : ErrorCode.ERR_TIMEOUT,
                    "no direct connection with " + peerAddress() + " before the deadline");
            default -> {
            }
        }
    }

    /** Gives up from outside (client closing, server gone): sends ABORT if it can. */
    public void abort(XstuntException error) {
        failWith(error);
    }

    private void fail(ErrorCode code, String message) {
        failWith(new XstuntException(code, 0, message));
    }

    private void failWith(XstuntException error) {
        if (state == State.DONE || state == State.FAILED) {
            return;
        }
        if (controlOpen) {
            emit(new Action.Send(frame(ControlFrame.abort(error.getMessage()))));
        }
        failNoAbort(error);
    }

    private void failNoAbort(ErrorCode code, String message) {
        failNoAbort(new XstuntException(code, 0, message));
    }

    private void failNoAbort(XstuntException error) {
        if (state == State.PUNCHING) {
            emit(new Action.AbortPunch());
        }
        state = State.FAILED;
        clearDeadline();
        inbox.clear();
        closeControl();
        emit(new Action.Failed(error));
    }

    private void closeControl() {
        controlOpen = false;
        emit(new Action.CloseControl());
    }

    private void phase(String name, long nowNs) {
        phases.put(name, Duration.ofNanos(nowNs - phaseStartNs));
        phaseStartNs = nowNs;
    }

    /** @return the bytes of one frame */
    static byte[] frame(ControlFrame f) {
        ByteBuffer b = ByteBuffer.allocate(f.encodedLength());
        f.write(b);
        return b.array();
    }
}
