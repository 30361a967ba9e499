package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.PunchGrid;
import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.SweepFrame;
import io.xstunt.engine.wire.WireFormatException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rendezvous after an announcement (wire notes, rendezvous steps 2-8; XAsymClient on the
 * initiator, XAsymServer on the listener) as a sans-IO state machine ({@link Procedure}, one
 * connection: the session's control channel): control channel, {@link ClockSync clock sync},
 * port prediction and {@link AddressExchange address exchange}, then the punch (a
 * {@link PunchRace} that the owner runs and reports on).
 *
 * <p>The frames each side writes, in this order, are the original's: the initiator OK(one),
 * OK(one), OK(address), OK(port), OK(one) "ready"; the listener OK(one), OK(address), OK(port).
 * Frames are read strictly in that order (a frame that arrives early waits in the socket buffer
 * or here), so each side may write ahead of the other without changing a byte on the wire. Two
 * timings of the same sequence (docs/PROTOCOL.md, "Timing: sequential and pipelined"):
 * <b>pipelined</b> (ours, with the RACE punch: the prediction starts with the procedure and each
 * side writes its frames as soon as the original's order allows) and <b>sequential</b> (the
 * original's, with the ORIGINAL punch: sync, half a round trip's pause, then prediction). The
 * initiator starts the punch when it has the listener's address; when armed it sends "ready";
 * the listener starts its punch on "ready".
 *
 * <p>Errors are the original's: a failure in the asymmetric phase (from the prediction on: XPredict,
 * the address exchange, "ready", the punch, XAsymClient and XAsymServer in the original) is
 * ERR_ASYMCLIENT on the initiator and ERR_ASYMSERVER on the listener, with the failing step's own
 * code as its detail ({@code pnErrCode}); a failure before it (the control channel, the clock
 * sync) is that step's code. An ABORT frame is answered with ACKABORT and fails the procedure as
 * a failed read of the frame it came in place of (the original reads it so); a failure of our own
 * sends ABORT(reason), except the hairpin case, which follows the original's sequence (see
 * {@link #advance}).
 *
 * <p>{@link #state()} names the first step, in the original's order, that is not done yet; each
 * {@link State} carries the errors of its waits. Each state waits at most the echo timeout, and
 * never past the procedure's overall deadline; "ready" and the punch wait until the overall
 * deadline, the punch ending in ERR_ASYM_TIMEOUT on the initiator (XAsymClient) and ERR_TIMEOUT on
 * the listener (XAsymServer). The control channel closing before the punch: a clean close is the
 * state's RECEIVE error, an I/O error its SEND error; during the punch the control channel may
 * close (the peer may have finished first), and only the deadline or an ABORT fails it then. A
 * failed prediction fails at once (ERR_PREDICT); equal public IPs after the exchange, ERR_HAIRPIN.
 *
 * <p>The relay extension ({@link RelayPlan}, docs/PROTOCOL.md "Relay"), only when the
 * announcement said the server relays this pair: HELLO goes first on the control channel; the
 * punch then runs within a window ({@link #punchEndNs}) that both sides derive from the punch's
 * shared grid origin, so that they give up at about the same moment and the relay still fits in
 * the procedure's deadline; giving up (or a punch that failed, or the server's PEER_GAVE_UP) sends
 * REQUEST and waits ({@link State#RELAY_WAIT}); START makes this side answer READY and hand its
 * control connection over as the relayed connection ({@link Action.Relayed}). A punch that wins
 * says PUNCHED before the control channel closes. REFUSED, or no START by the deadline, fails as
 * the punch would have (ERR_ASYM_TIMEOUT on the initiator, ERR_TIMEOUT on the listener).
 *
 * <p>The birthday sweep ({@link BirthdaySweep}, docs/PROTOCOL.md "Birthday sweep"), only when the
 * announcement also said that the server forwards its frames: after HELLO each side sends its
 * OFFER; where the punch would start, a pair that both offer to sweep and of which exactly one NAT
 * is random runs the sweep instead ({@link Action.Sweep}; its SIGNALs pass through here), within a
 * window long enough for its whole budget; a sweep that misses asks for the relay with its reason
 * ("birthday sweep missed after N probes").
 */
public final class RendezvousProcedure extends Procedure<RendezvousProcedure.Action> {
    /**
     * The machine's states, each with the errors of its waits (see the class comment): when its
     * deadline passes, when the control channel closes cleanly, when it fails with an I/O error.
     */
    public enum State {
        /** Connecting to the session's control port. */
        CONTROL_CONNECTING(ErrorStat.ERR_CONNECT, ErrorStat.ERR_CONNECT, ErrorStat.ERR_CONNECT),
        /** Initiator: sent OK(one), waiting for the listener's (the round trip is measured). */
        SYNC_AWAIT_ECHO(ErrorStat.ERR_ECHO_TIMEOUT, ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND),
        /** Initiator, sequential timing: sent the second OK(one), waiting half the round trip. */
        SYNC_HALF_RTT(ErrorStat.ERR_ECHO_TIMEOUT, ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND),
        /** Listener: waiting for the initiator's first OK(one). */
        SYNC_AWAIT_FIRST(ErrorStat.ERR_ECHO_TIMEOUT, ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND),
        /** Listener: answered, waiting for the initiator's second OK(one). */
        SYNC_AWAIT_SECOND(ErrorStat.ERR_ECHO_TIMEOUT, ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND),
        /** The echo query of the port prediction is in flight. */
        PREDICTING(ErrorStat.ERR_PREDICT, ErrorStat.ERR_ADDRPORT_RECEIVE, ErrorStat.ERR_ADDRPORT_SEND),
        /** Waiting for the peer's address and port frames. */
        EXCHANGING(ErrorStat.ERR_ADDRPORT_RECEIVE, ErrorStat.ERR_ADDRPORT_RECEIVE, ErrorStat.ERR_ADDRPORT_SEND),
        /** Listener: waiting for the initiator's "ready". */
        AWAIT_READY(ErrorStat.ERR_TIMEOUT, ErrorStat.ERR_RECEIVE, ErrorStat.ERR_SEND),
        /** The punch runs (its timeout depends on the side: see {@link #handleTimeout}). */
        PUNCHING(ErrorStat.ERR_TIMEOUT, ErrorStat.ERR_RECEIVE, ErrorStat.ERR_SEND),
        /** Relay extension: asked for the relay (or wants it only); waiting for the server's START. */
        RELAY_WAIT(ErrorStat.ERR_TIMEOUT, ErrorStat.ERR_RECEIVE, ErrorStat.ERR_SEND),
        /** Relayed: the control connection is the connection. */
        RELAYED(null, null, null),
        /** Direct connection up. */
        DONE(null, null, null),
        /** Failed. */
        FAILED(null, null, null);

        private final ErrorStat timeout;
        private final ErrorStat closed;
        private final ErrorStat broken;

        State(ErrorStat timeout, ErrorStat closed, ErrorStat broken) {
            this.timeout = timeout;
            this.closed = closed;
            this.broken = broken;
        }
    }

    /** What the owner must do. */
    public sealed interface Action {
        /** Open the control channel (connection 0) to {@code address}. */
        record ConnectControl(InetSocketAddress address) implements Action {
        }

        /**
         * XPredict's I/O: an {@link EchoQuery} from a fresh local port (SO_REUSEADDR,
         * SO_REUSEPORT) to {@code echoEndpoint}; report {@link #handlePredicted} / {@link #handlePredictFailed}.
         */
        record Predict(InetSocketAddress echoEndpoint) implements Action {
        }

        /**
         * Start the punch ({@link PunchRace}) from {@code localPort} to the peer's predicted
         * {@code peer} address; a refused connect is retried on the grid
         * {@code gridOriginNs + k * retryPeriod}. Report {@link #handlePunchArmed},
         * {@link #handlePunched} and {@link #handlePunchFailed}.
         */
        record Punch(int localPort, InetSocketAddress peer, Duration retryPeriod, long gridOriginNs) implements Action {
        }

        /**
         * Start the birthday sweep instead of the punch: as {@code role}, with {@code plan}, from
         * {@code localPort} (easy side) to {@code peer} (see {@link BirthdaySweep}). Report
         * {@link #handlePunched}, {@link #handleSweepMissed}, the SYNs with {@link #notePunchAttempt},
         * and send its signals with {@link #sendSweepSignal}.
         */
        record Sweep(BirthdaySweep.Role role, BirthdaySweep.Plan plan, int localPort, InetSocketAddress peer,
                     Duration rtt) implements Action {
        }

        /** The peer's sweep SIGNAL({@code code}): feed it to the sweep. */
        record SweepSignal(int code) implements Action {
        }

        /** Stop the punch (or the sweep) and close its sockets. */
        record AbortPunch() implements Action {
        }

        /** The procedure succeeded (the owner hands the punched connection over). */
        record Succeeded(InetSocketAddress peerPredicted, Map<String, Duration> phases) implements Action {
        }

        /** The procedure failed. */
        record Failed(Failure error) implements Action {
        }

        /**
         * Relayed (READY is sent): hand the control connection over as the connection.
         *
         * @param reason why, as people read it
         * @param limits the relay's limits
         * @param phases the phases so far, "relay" last
         */
        record Relayed(String reason, RelayFrame.Limits limits, Map<String, Duration> phases) implements Action {
        }
    }

    /** The least time the punch gets before a side gives up and asks for the relay. */
    static final Duration MIN_PUNCH_WINDOW = Duration.ofSeconds(2);
    /** The most: a pair that has not punched by then will not. */
    static final Duration MAX_PUNCH_WINDOW = Duration.ofSeconds(8);
    /** Punch retry periods in the window (it is at least {@link #MIN_PUNCH_WINDOW}). */
    static final int PUNCH_WINDOW_PERIODS = 16;
    /** What is kept of the deadline for the relay to start (at least; 4 round trips if more). */
    static final Duration RELAY_RESERVE = Duration.ofSeconds(1);

    /**
     * Codes that only a step of the asymmetric phase can fail with, whatever state the procedure
     * names (the pipelined prediction runs alongside the sync; the peer's address may come during
     * the sequential initiator's pause).
     */
    private static final Set<ErrorStat> ASYMMETRIC_ONLY = EnumSet.of(ErrorStat.ERR_PREDICT,
            ErrorStat.ERR_ADDRPORT_RECEIVE, ErrorStat.ERR_ADDRPORT_SEND, ErrorStat.ERR_HAIRPIN,
            ErrorStat.ERR_ASYM_TIMEOUT, ErrorStat.ERR_TRYCONNECT, ErrorStat.ERR_LISTEN, ErrorStat.ERR_ACCEPT);
    /** The sweep's window beyond its longest run, so that the easy side's own "missed" (with its count) comes first. */
    static final Duration SWEEP_SLACK = Duration.ofSeconds(1);
    /** The most sweep SIGNALs kept before the sweep starts (a run needs one). */
    private static final int MAX_EARLY_SIGNALS = 4;

    private final Outbound control = outbound(0);
    private final boolean initiator;
    private final boolean pipelined;
    private final InetSocketAddress controlAddress;
    private final InetSocketAddress echoEndpoint;
    private final long echoTimeoutNs;
    private final long overallDeadlineNs;
    private final RendezvousPhases phases;
    private final ClockSync sync;
    private final AddressExchange exchange;
    private State state = State.CONTROL_CONNECTING;
    private boolean controlOpen;
    /** Listener: the initiator's "ready" is still to be read. */
    private boolean awaitingReady;
    private long startNs;
    /** How long the control channel's connect took: a round trip to the server (set before the punch). */
    private long controlConnectNs;
    private long predictStartNs;
    private boolean predictRequested;
    private final RelayPlan relay;
    /** The relay may still be asked for (offered, allowed, not refused, not an upgrade). */
    private boolean relayPossible;
    private int upgradeOf;
    private int punchAttempts;
    private long punchEndNs;
    /** This side's sweep OFFER (null: the session does not forward sweep frames). */
    private final SweepFrame.Offer sweepOffer;
    private SweepFrame.Offer peerSweepOffer;
    /** The sweep runs in place of the punch. */
    private boolean sweeping;
    /** The peer's SIGNALs read before this side's sweep started. */
    private final List<Integer> earlySignals = new ArrayList<>();

    /**
     * @param initiator true on the XConnect side ("asymmetric client"), false on the listener
     * @param pipelined true for the pipelined timing (ours), false for the original's sequential one
     * @param control the session's control channel (the announcement's nIP:wPort)
     * @param echoEndpoint the echo endpoint used by the port prediction
     * @param increment the fingerprint's port increment
     * @param echoTimeout bound of each wait on the control channel and of the prediction
     * @param overallDeadlineNs the procedure's overall deadline (XConnect's / XListen's timeout)
     * @param priorPhases phases measured before this procedure (comm, announce), or empty
     */
    public RendezvousProcedure(boolean initiator, boolean pipelined, InetSocketAddress control,
                               InetSocketAddress echoEndpoint, int increment, Duration echoTimeout,
                               long overallDeadlineNs, Map<String, Duration> priorPhases) {
        this(initiator, pipelined, control, echoEndpoint, increment, echoTimeout, overallDeadlineNs, priorPhases,
                RelayPlan.NONE);
    }

    /**
     * @param relay what the relay extension allows this rendezvous ({@link RelayPlan#NONE}: the original's)
     * @see #RendezvousProcedure(boolean, boolean, InetSocketAddress, InetSocketAddress, int, Duration, long, Map)
     */
    public RendezvousProcedure(boolean initiator, boolean pipelined, InetSocketAddress control,
                               InetSocketAddress echoEndpoint, int increment, Duration echoTimeout,
                               long overallDeadlineNs, Map<String, Duration> priorPhases, RelayPlan relay) {
        this(initiator, pipelined, control, echoEndpoint, increment, echoTimeout, overallDeadlineNs, priorPhases,
                relay, null);
    }

    /**
     * @param sweepOffer this side's birthday sweep OFFER, when the announcement said the server
     *     forwards sweep frames (and the relay extension is offered); null: no sweep
     * @see #RendezvousProcedure(boolean, boolean, InetSocketAddress, InetSocketAddress, int, Duration, long, Map,
     *     RelayPlan)
     */
    public RendezvousProcedure(boolean initiator, boolean pipelined, InetSocketAddress control,
                               InetSocketAddress echoEndpoint, int increment, Duration echoTimeout,
                               long overallDeadlineNs, Map<String, Duration> priorPhases, RelayPlan relay,
                               SweepFrame.Offer sweepOffer) {
        super(1);
        this.sweepOffer = relay.offered() ? sweepOffer : null;
        this.relay = relay;
        this.upgradeOf = relay.upgradeOf();
        this.relayPossible = relay.offered() && relay.mode() != RelayFrame.Mode.DIRECT_ONLY && upgradeOf == 0;
        this.initiator = initiator;
        this.pipelined = pipelined;
        this.controlAddress = control;
        this.echoEndpoint = echoEndpoint;
        this.echoTimeoutNs = echoTimeout.toNanos();
        this.overallDeadlineNs = overallDeadlineNs;
        this.phases = new RendezvousPhases(priorPhases);
        this.sync = new ClockSync(initiator, pipelined);
        this.exchange = new AddressExchange(increment);
        this.awaitingReady = !initiator;
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** @return true on the XConnect side */
    public boolean initiator() {
        return initiator;
    }

    /** @return true for the pipelined timing, false for the original's sequential one */
    public boolean pipelined() {
        return pipelined;
    }

    /** @return the measured round trip through the server (after sync) */
    public Duration rtt() {
        return Duration.ofNanos(sync.rttNs());
    }

    /** @return the relayed session this rendezvous replaces (an upgrade's), else 0 */
    public int upgradeOf() {
        return upgradeOf;
    }

    /** @return the relay extension's plan */
    public RelayPlan relayPlan() {
        return relay;
    }

    /** @return true when this side wants the relay only: it does not punch */
    private boolean relayOnly() {
        return relay.offered() && relay.mode() == RelayFrame.Mode.RELAY_ONLY && upgradeOf == 0;
    }

    /** Starts: connect to the control channel (pipelined: and start the prediction). */
    public void start(long nowNs) {
        startNs = nowNs;
        phases.start(nowNs);
        emit(new Action.ConnectControl(controlAddress));
        if (pipelined && !relayOnly()) {
            requestPrediction(nowNs);
        }
        waitAtMostEcho(nowNs);
    }

    private void waitAtMostEcho(long nowNs) {
        long d = nowNs + echoTimeoutNs;
        deadline(d - overallDeadlineNs < 0 ? d : overallDeadlineNs);
    }

    private void requestPrediction(long nowNs) {
        predictRequested = true;
        predictStartNs = nowNs;
        emit(new Action.Predict(echoEndpoint));
    }

    @Override
    public void handleConnected(int connection, InetSocketAddress local, long nowNs) {
        if (state != State.CONTROL_CONNECTING) {
            return;
        }
        controlOpen = true;
        controlConnectNs = nowNs - startNs;
        phases.end("control", nowNs);
        if (relay.offered()) {
            control.send(RelayFrame.hello(relay.mode(), relay.randomNat(), sweepOffer != null, upgradeOf).encode());
            if (sweepOffer != null) {
                control.send(SweepFrame.offer(sweepOffer).encode());
            }
        }
        if (relayOnly()) {
            state = State.RELAY_WAIT;
            deadline(overallDeadlineNs);
            return;
        }
        if (sync.start(nowNs)) {
            send(ControlFrame.one());
        }
        advance(nowNs);
    }

    @Override
    public void handleConnectFailed(int connection, String reason, long nowNs) {
        if (state == State.CONTROL_CONNECTING) {
            fail(ErrorStat.ERR_CONNECT, "cannot connect to the control channel " + controlAddress + ": " + reason);
        }
    }

    /** Bytes on the control channel: consumes every whole frame. */
    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        if (state == State.DONE || state == State.FAILED || state == State.RELAYED) {
            in.position(in.limit());
            return;
        }
        try {
            ControlFrame f;
            while (true) {
                if (relay.offered() && RelayFrame.startsRelayFrame(in)) {
                    RelayFrame r = RelayFrame.tryRead(in);
                    if (r == null) {
                        break;
                    }
                    onRelayFrame(r, in, nowNs);
                    if (state == State.RELAYED || state == State.DONE || state == State.FAILED) {
                        return;
                    }
                    continue;
                }
                if (sweepOffer != null && SweepFrame.startsSweepFrame(in)) {
                    SweepFrame w = SweepFrame.tryRead(in);
                    if (w == null) {
                        break;
                    }
                    onSweepFrame(w);
                    continue;
                }
                if ((f = ControlFrame.tryRead(in)) == null) {
                    break;
                }
                if (state == State.RELAY_WAIT && f.tag() == Protocol.TAG_OK) {
                    continue; // the peer's frames from before it asked for the relay too
                }
                if (f.tag() == Protocol.TAG_ABORT) {
                    send(ControlFrame.ackAbort());
                    failNoAbort(inPhase(new Failure(state.closed, 0, "the peer aborted the rendezvous: " + f.text())));
                    in.position(in.limit());
                    return;
                }
                // ACKABORT: the answer to our ABORT; nothing to do
                if (f.tag() == Protocol.TAG_OK && !receive(f, nowNs)) {
                    in.position(in.limit());
                    return;
                }
            }
        } catch (WireFormatException e) {
            in.position(in.limit());
            fail(state.closed, "malformed control frame: " + e.getMessage());
            return;
        }
        advance(nowNs);
    }

    /** Takes the next expected frame; @return false if the procedure failed on it */
    private boolean receive(ControlFrame f, long nowNs) {
        if (sync.expectsFrame()) {
            ClockSync.Result r = sync.onFrame(f, nowNs);
            if (r == ClockSync.Result.UNEXPECTED) {
                fail(ErrorStat.ERR_SYN_RECEIVE, "expected sync OK(one), got " + f);
                return false;
            }
            if (r == ClockSync.Result.SEND_ONE) {
                send(ControlFrame.one());
                if (!pipelined && initiator) {
                    deadline(sync.pauseEndNs()); // the original's pause, so that both predict together
                }
            }
        } else if (exchange.expectsFrame()) {
            try {
                exchange.onFrame(f);
            } catch (WireFormatException e) {
                fail(ErrorStat.ERR_ADDRPORT_RECEIVE, e.getMessage());
                return false;
            }
        } else if (awaitingReady) {
            if (!f.isOne()) {
                fail(ErrorStat.ERR_RECEIVE, "expected \"ready\" OK(one), got " + f);
                return false;
            }
            awaitingReady = false;
        }
        // else: nothing is expected now; an extra frame is harmless
        return true;
    }

    /**
     * Does whatever the steps done so far allow: the prediction (sequential timing), our address,
     * the punch; then names the state and sets its deadline.
     */
    private void advance(long nowNs) {
        if (state == State.PUNCHING || state == State.DONE || state == State.FAILED || state == State.RELAY_WAIT
                || state == State.RELAYED) {
            return;
        }
        boolean syncDone = controlOpen && sync.done();
        if (syncDone && !phases.has("sync")) {
            phases.end("sync", nowNs);
        }
        if (!predictRequested && syncDone) {
            requestPrediction(nowNs);
        }
        if (sync.sent()) {
            ControlFrame[] own = exchange.takeOwnFrames();
            if (own != null) {
                send(own[0]);
                send(own[1]);
            }
        }
        if (exchange.sent() && exchange.peerKnown()) {
            Failure bad = exchange.check();
            if (bad != null && bad.code() == ErrorStat.ERR_HAIRPIN) {
                if (hairpin(bad)) {
                    return;
                }
            } else if (bad != null) {
                failWith(inPhase(bad));
                return;
            } else if (syncDone && !awaitingReady) {
                punch(nowNs);
                return;
            }
        }
        State next;
        if (!controlOpen) {
            next = State.CONTROL_CONNECTING;
        } else if (!sync.sent()) {
            next = initiator ? State.SYNC_AWAIT_ECHO : State.SYNC_AWAIT_FIRST;
        } else if (sync.step() == ClockSync.Step.AWAIT_SECOND) {
            next = State.SYNC_AWAIT_SECOND;
        } else if (!syncDone) {
            next = State.SYNC_HALF_RTT;
        } else if (!exchange.isPredicted()) {
            next = State.PREDICTING;
        } else if (!exchange.peerKnown()) {
            next = State.EXCHANGING;
        } else {
            next = State.AWAIT_READY;
        }
        if (next != state) {
            state = next;
            if (next == State.AWAIT_READY) {
                deadline(overallDeadlineNs);
            } else if (next != State.SYNC_HALF_RTT) { // the pause's deadline is set where it starts
                waitAtMostEcho(nowNs);
            }
        }
    }

    /**
     * Equal public IPs: the hairpin case, in the original's sequence, so that an original peer fails
     * with ERR_HAIRPIN as it would with its own kind, not with the ERR_RECEIVE an ABORT would make
     * of its read of "ready": the initiator sends "ready" and fails (XAsymClient checks after
     * sending it), the listener fails once it has read "ready" (XAsymServer checks after reading
     * it); no ABORT, no punch.
     *
     * @return true if the procedure failed now; false while the listener waits for "ready"
     */
    private boolean hairpin(Failure bad) {
        if (initiator && controlOpen) {
            send(ControlFrame.one());
        } else if (awaitingReady) {
            return false;
        }
        failNoAbort(inPhase(bad));
        return true;
    }

    /**
     * @return {@code inner} as the original reports it: in the asymmetric phase (from the
     *     prediction on), ERR_ASYMCLIENT on the initiator or ERR_ASYMSERVER on the listener with the
     *     inner code's value as its detail; before it, {@code inner} itself
     */
    private Failure inPhase(Failure inner) {
        boolean asymmetric = ASYMMETRIC_ONLY.contains(inner.code()) || state == State.PREDICTING
                || state == State.EXCHANGING || state == State.AWAIT_READY || state == State.PUNCHING;
        if (!asymmetric) {
            return inner;
        }
        return new Failure(initiator ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, inner.code().value(),
                (initiator ? "XAsymClient" : "XAsymServer") + ": " + inner.getMessage(), inner);
    }

    /**
     * The prediction's echo query answered.
     *
     * @param boundLocalPort the local port it connected from (bound again for the punch)
     * @param publicIp the public IP the echo service saw
     * @param publicPort the public port the echo service saw
     */
    public void handlePredicted(int boundLocalPort, int publicIp, int publicPort, long nowNs) {
        if (!predictRequested || exchange.isPredicted() || state == State.DONE || state == State.FAILED
                || state == State.RELAY_WAIT || state == State.RELAYED) {
            return;
        }
        Failure bad = exchange.predicted(boundLocalPort, publicIp, publicPort);
        if (bad != null) {
            failWith(inPhase(bad));
            return;
        }
        phases.alongside("predict", nowNs - predictStartNs);
        advance(nowNs);
    }

    /** The prediction failed: ERR_PREDICT. */
    public void handlePredictFailed(String reason, long nowNs) {
        if (predictRequested && !exchange.isPredicted() && state != State.RELAY_WAIT && state != State.RELAYED) {
            fail(ErrorStat.ERR_PREDICT, "port prediction against " + echoEndpoint + " failed: " + reason);
        }
    }

    private void punch(long nowNs) {
        phases.end("exchange", nowNs);
        state = State.PUNCHING;
        deadline(overallDeadlineNs);
        long rttNs = gridRoundTripNs();
        long period = PunchGrid.retryPeriodNs(rttNs);
        // the grid origin: when the listener reads "ready", which the initiator sends right now
        long origin = initiator ? nowNs + rttNs / 2 : nowNs;
        BirthdaySweep.Role role = BirthdaySweep.roleOf(sweepOffer, peerSweepOffer);
        BirthdaySweep.Plan plan = role == null ? null : BirthdaySweep.planOf(sweepOffer, peerSweepOffer);
        sweeping = plan != null;
        if (relayPossible) {
            // both sides count the window from the grid origin they share, so they give up together
            long window = sweeping ? BirthdaySweep.longest(plan, Duration.ofNanos(rttNs)).plus(SWEEP_SLACK).toNanos()
                    : Math.min(Math.max(PUNCH_WINDOW_PERIODS * period, MIN_PUNCH_WINDOW.toNanos()),
                    MAX_PUNCH_WINDOW.toNanos());
            long reserve = Math.max(RELAY_RESERVE.toNanos(), 4 * rttNs);
            punchEndNs = Math.min(origin + window, overallDeadlineNs - reserve);
            deadline(punchEndNs - nowNs > 0 ? punchEndNs : nowNs);
        }
        if (sweeping) {
            emit(new Action.Sweep(role, plan, exchange.localPort(), peerAddress(), Duration.ofNanos(rttNs)));
            for (int code : earlySignals) {
                emit(new Action.SweepSignal(code));
            }
            earlySignals.clear();
            return;
        }
        emit(new Action.Punch(exchange.localPort(), peerAddress(), Duration.ofNanos(period), origin));
    }

    /** A sweep frame from the peer: its OFFER, or a SIGNAL for the running sweep (kept until it runs). */
    private void onSweepFrame(SweepFrame f) {
        if (f.tag() == SweepFrame.TAG_OFFER) {
            if (peerSweepOffer == null) {
                peerSweepOffer = f.offer();
            }
        } else if (state == State.PUNCHING && sweeping) {
            emit(new Action.SweepSignal(f.code()));
        } else if (state != State.PUNCHING && earlySignals.size() < MAX_EARLY_SIGNALS) {
            earlySignals.add(f.code());
        }
    }

    /** The sweep's SIGNAL({@code code}) for the peer. */
    public void sendSweepSignal(int code) {
        if (state == State.PUNCHING && sweeping && controlOpen) {
            control.send(SweepFrame.signal(code).encode());
        }
    }

    /** @return true if the sweep runs (or ran) in place of the punch */
    public boolean sweeping() {
        return sweeping;
    }

    /**
     * The sweep missed: the relay is asked for with {@code reason} and the {@code probes} count; a
     * pair without the relay fails as the punch fails at its deadline, now.
     */
    public void handleSweepMissed(RelayFrame.Reason reason, int probes) {
        if (state != State.PUNCHING || !sweeping) {
            return;
        }
        punchAttempts = Math.max(punchAttempts, probes);
        if (relayPossible && controlOpen) {
            askRelay(reason);
        } else {
            fail(initiator ? ErrorStat.ERR_ASYM_TIMEOUT : ErrorStat.ERR_TIMEOUT, reason.describe(punchAttempts)
                    + " with " + peerAddress());
        }
    }

    /**
     * The round trip through the server that places and spaces the retry grid of the punch. The
     * listener's sync sample is that round trip. The initiator's is too, unless the listener's
     * control connection came up after its own: its first OK(one) then waited in the relay, and
     * the sample holds the wait. Both sides connect on announcements the server writes at one
     * instant, so with the initiator's leg to the server {@code i} (half its control connect) and
     * the listener's {@code l > i} the sample is {@code 6l - 2i}, not {@code 2i + 2l}: the round
     * trip is at most {@code (sample + 8i) / 3}, which is the sample itself when {@code l <= i}
     * and is never below the true round trip when the initiator connected at once. Without this
     * the initiator placed the grid's origin late by half the wait (2(l - i)); through two NATs
     * that answer unsolicited SYNs with RST, SYNs that do not cross close each other's holes, so
     * once l exceeded 3i the first attempts failed and the grids met only by the chance of their
     * different periods, or never.
     */
    private long gridRoundTripNs() {
        long sample = sync.rttNs();
        // 8i is four times the control connect's 2i
        return initiator ? Math.min(sample, (sample + 4 * controlConnectNs) / 3) : sample;
    }

    /** @return the peer's predicted public address (after the exchange) */
    public InetSocketAddress peerAddress() {
        return exchange.peerAddress();
    }

    /** Initiator: the punch listens; send "ready". */
    public void handlePunchArmed(long nowNs) {
        if (state == State.PUNCHING && initiator && controlOpen) {
            send(ControlFrame.one());
        }
    }

    /** The punch made connect attempt {@code n} (the relay's reason counts them). */
    public void notePunchAttempt(int n) {
        punchAttempts = Math.max(punchAttempts, n);
    }

    /** @return when the punch gives up for the relay (meaningful while punching with the relay possible) */
    long punchEndNs() {
        return punchEndNs;
    }

    /** The punch produced the direct connection. */
    public void handlePunched(long nowNs) {
        if (state != State.PUNCHING) {
            return;
        }
        phases.end(sweeping ? "sweep" : "punch", nowNs);
        state = State.DONE;
        clearDeadline();
        if (relay.offered() && controlOpen) {
            control.send(RelayFrame.empty(RelayFrame.TAG_PUNCHED).encode()); // so the peer does not ask for a relay
        }
        closeControl();
        emit(new Action.Succeeded(peerAddress(), phases.inOrder()));
    }

    /** The punch failed for good. */
    public void handlePunchFailed(Failure error) {
        giveUpPunch(error, RelayFrame.Reason.PUNCH_FAILED);
    }

    /**
     * No punch can run: the two sides have no address family in common (one is IPv6 only, the
     * other has no IPv6 endpoint); the relay at once where possible, else {@code error}.
     */
    public void handleNoCommonFamily(Failure error) {
        giveUpPunch(error, RelayFrame.Reason.NO_COMMON_FAMILY);
    }

    private void giveUpPunch(Failure error, RelayFrame.Reason reason) {
        if (state == State.PUNCHING) {
            if (relayPossible && controlOpen) {
                askRelay(reason);
            } else {
                failWith(inPhase(error));
            }
        }
    }

    /** Gives up punching (the race's sockets close) and asks the server for the relay. */
    private void askRelay(RelayFrame.Reason reason) {
        if (state == State.PUNCHING) {
            emit(new Action.AbortPunch());
        }
        relayPossible = false;
        state = State.RELAY_WAIT;
        deadline(overallDeadlineNs);
        control.send(RelayFrame.gaveUp(RelayFrame.TAG_REQUEST, reason, punchAttempts).encode());
    }

    /** A frame of the relay extension from the server. */
    private void onRelayFrame(RelayFrame f, ByteBuffer in, long nowNs) {
        switch (f.tag()) {
            case RelayFrame.TAG_START -> {
                if (state == State.DONE || state == State.FAILED || state == State.RELAYED) {
                    return;
                }
                RelayFrame.Limits limits;
                try {
                    limits = f.limits();
                } catch (WireFormatException e) {
                    in.position(in.limit());
                    fail(ErrorStat.ERR_RECEIVE, "malformed relay START: " + e.getMessage());
                    return;
                }
                if (in.hasRemaining()) {
                    // the server writes nothing after START before our READY: such bytes would be lost
                    in.position(in.limit());
                    fail(ErrorStat.ERR_RECEIVE, "bytes after the relay's START");
                    return;
                }
                if (state == State.PUNCHING) {
                    emit(new Action.AbortPunch());
                }
                state = State.RELAYED;
                clearDeadline();
                phases.end("relay", nowNs);
                control.send(RelayFrame.empty(RelayFrame.TAG_READY).encode());
                emit(new Action.Relayed(f.reason().describe(f.attempts()), limits, phases.inOrder()));
            }
            case RelayFrame.TAG_REFUSED -> {
                relayPossible = false;
                if (state == State.RELAY_WAIT) {
                    fail(initiator ? ErrorStat.ERR_ASYM_TIMEOUT : ErrorStat.ERR_TIMEOUT, "no direct connection, and"
                            + " the server refused to relay: " + f.text());
                }
            }
            case RelayFrame.TAG_PEER_GAVE_UP -> {
                if (relayPossible && state != State.RELAY_WAIT && state != State.DONE && state != State.FAILED) {
                    askRelay(f.reason());
                }
            }
            case RelayFrame.TAG_UPGRADE -> {
                boolean waitedForRelayOnly = state == State.RELAY_WAIT && relayOnly();
                upgradeOf = f.session();
                relayPossible = false; // a way back to direct is never relayed itself
                if (waitedForRelayOnly) {
                    // this side wants the relay only, and so waited for START; a way back to direct
                    // punches like any rendezvous (the peer's sync is already on its way)
                    state = State.CONTROL_CONNECTING; // named again by advance
                    if (pipelined) {
                        requestPrediction(nowNs);
                    }
                    if (sync.start(nowNs)) {
                        send(ControlFrame.one());
                    }
                    advance(nowNs);
                }
            }
            default -> { } // a client's tag: not for us
        }
    }

    /**
     * The control channel closed.
     *
     * @param ioError the I/O error that closed it, or null for a clean close by the relay
     */
    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        if (state == State.CONTROL_CONNECTING) {
            handleConnectFailed(connection, ioError == null ? "closed" : ioError, nowNs);
            return;
        }
        boolean wasOpen = controlOpen;
        controlOpen = false;
        relayPossible = false;
        if (!wasOpen || state == State.PUNCHING || state == State.DONE || state == State.FAILED
                || state == State.RELAYED) {
            return; // during the punch the peer may have won and closed first
        }
        boolean clean = ioError == null;
        fail(clean ? state.closed : state.broken, "the control channel closed" + (clean ? "" : ": " + ioError)
                + " (state " + state + ")");
    }

    /** A deadline passed: the half-RTT pause ends, or the state's wait timed out (see the table above). */
    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs)) {
            return;
        }
        if (state == State.SYNC_HALF_RTT && overallDeadlineNs - nowNs > 0) {
            sync.pauseOver();
            advance(nowNs);
            return;
        }
        if (state == State.DONE || state == State.FAILED || state == State.RELAYED) {
            return;
        }
        if (state == State.PUNCHING && relayPossible && overallDeadlineNs - nowNs > 0) {
            // the window is over: both sides give up about now
            askRelay(sweeping ? RelayFrame.Reason.SWEEP_MISSED : RelayFrame.Reason.PUNCH_TIMED_OUT);
            return;
        }
        String why = switch (state) {
            case CONTROL_CONNECTING -> "connecting to the control channel " + controlAddress;
            case PREDICTING -> "port prediction";
            case EXCHANGING -> "waiting for the peer's address";
            case AWAIT_READY -> "waiting for the initiator's \"ready\"";
            case PUNCHING -> "no direct connection with " + peerAddress() + " before the deadline;";
            case RELAY_WAIT -> "no direct connection, and no relay started before the deadline;";
            default -> "clock sync through the server";
        };
        // XAsymClient's punch ends in ERR_ASYM_TIMEOUT, XAsymServer's in ERR_TIMEOUT
        ErrorStat code = (state == State.PUNCHING || state == State.RELAY_WAIT) && initiator
                ? ErrorStat.ERR_ASYM_TIMEOUT : state.timeout;
        fail(code, why + " timed out in state " + state);
    }

    /** Gives up from outside (client closing, server gone): sends ABORT if it can. */
    public void abort(Failure error) {
        failWith(error);
    }

    private void fail(ErrorStat code, String message) {
        failWith(inPhase(new Failure(code, 0, message)));
    }

    private void failWith(Failure error) {
        if (state == State.DONE || state == State.FAILED || state == State.RELAYED) {
            return;
        }
        if (controlOpen) {
            send(ControlFrame.abort(error.getMessage()));
        }
        failNoAbort(error);
    }

    private void failNoAbort(Failure error) {
        if (state == State.PUNCHING) {
            emit(new Action.AbortPunch());
        }
        state = State.FAILED;
        clearDeadline();
        closeControl();
        emit(new Action.Failed(error));
    }

    private void closeControl() {
        controlOpen = false;
        control.closeAfterFlush();
    }

    private void send(ControlFrame f) {
        control.send(frame(f));
    }

    /** @return the bytes of one frame */
    static byte[] frame(ControlFrame f) {
        ByteBuffer b = ByteBuffer.allocate(f.encodedLength());
        f.write(b);
        return b.array();
    }
}
