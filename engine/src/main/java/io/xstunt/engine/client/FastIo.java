package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.wire.FastGo;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O of one side of a FAST handshake (docs/PROTOCOL.md "FAST"): the {@link FastProcedure} and,
 * once the go's offset has passed, a {@link PunchRace} on the go's grid from the client's punch
 * port. The punch's listening socket is the client's reserved punch-port listener, shared by its
 * FAST sessions: the owner routes an accepted connection here by the peer's address
 * ({@link #accepted}). Ends with the direct connection, or a fail-over (the owner writes the
 * fail-over line and RACE takes over in the same call). Network thread only.
 */
final class FastIo {
    private static final Logger LOG = LoggerFactory.getLogger(FastIo.class);

    /** The outcome; exactly one call, on the network's thread. */
    interface Outcome {
        /** The direct connection, owned by the receiver. */
        void connected(Rendezvous r);

        /** The punch found nothing: fail over to a normal session {@code session}. */
        void failedOver(int session, String reason, Map<String, Duration> phases);

        /** The punch listens (true) or stopped (false): route the punch port's accepts from the peer here. */
        void routeAccepts(FastIo io, boolean on);
    }

    private final Network network;
    private final ClientConfig config;
    private final FastGo go;
    private final FastProcedure procedure;
    private final ProcedureDriver<FastProcedure.Action> driver;
    private final Outcome outcome;
    private final int punchPort;
    private final PunchAttempts attempts;
    private PunchRace race;
    private ProcedureDriver<PunchRace.Action> raceDriver;
    private int wonAttempt;
    private Incoming wonIncoming;
    private boolean finished;

    private FastIo(Network network, ClientConfig config, FastGo go, int punchPort, long startNs, long deadlineNs,
                   Outcome outcome) {
        this.network = network;
        this.config = config;
        this.go = go;
        this.outcome = outcome;
        this.punchPort = punchPort;
        this.procedure = new FastProcedure(punchPort, startNs, deadlineNs);
        this.driver = new ProcedureDriver<>(network, procedure, this::carryOut);
        this.attempts = new PunchAttempts(network, config.localAddress(),
                (attempt, ok, why) -> raceDriver.feed(now -> race.handleConnectResult(attempt, ok, why, now)));
    }

    /**
     * Starts one side from its go (read now).
     *
     * @param startNs when the request left (initiator) or the go was read (listener)
     * @param deadlineNs the end of the XConnect / XListen call
     */
    static FastIo start(Network network, ClientConfig config, FastGo go, int punchPort, long startNs, long deadlineNs,
                        Outcome outcome) {
        FastIo io = new FastIo(network, config, go, punchPort, startNs, deadlineNs, outcome);
        io.driver.feed(now -> io.procedure.handleGo(go, now));
        return io;
    }

    /** @return the local port this side punches from */
    int punchPort() {
        return punchPort;
    }

    /** @return the go this side runs */
    FastGo go() {
        return go;
    }

    /** Stops quietly (a normal session for the same pair took over, or the call ended). */
    void abort() {
        if (finished) {
            return;
        }
        finished = true;
        stopRace();
        releaseAll();
        if (wonIncoming != null) {
            wonIncoming.refuse();
            wonIncoming = null;
        }
        driver.closeAll();
    }

    /**
     * The punch port's listener accepted {@code in} from this side's peer. The race takes the
     * input at once but may carry out its actions later (this can be called from inside one of
     * them), so whether it won is read from its state.
     */
    void accepted(Incoming in) {
        if (finished || race == null || race.state() != PunchRace.State.RACING) {
            in.refuse();
            return;
        }
        wonIncoming = in; // before the feed: a win's actions may run inside it, and hand this over
        raceDriver.feed(race::handleAccepted);
        if (race.state() != PunchRace.State.WON) {
            wonIncoming = null;
            in.refuse();
        } else if (wonIncoming == in) {
            in.keep(); // won, handed over when the race's actions run
        }
    }

    private void carryOut(FastProcedure.Action a) {
        if (finished) {
            return; // aborted: a late deadline of the procedure has nobody to tell
        }
        switch (a) {
            case FastProcedure.Action.Punch p -> {
                // the go's offset is the wait before the grid's origin: PunchRace's RACE initiator
                // listens now and sends its first SYN at the origin, then on the grid
                race = new PunchRace(PunchStrategy.RACE, true, p.localPort(), p.peer(), p.retryPeriod(),
                        p.gridOriginNs(), RendezvousIo.MAX_PUNCH_ATTEMPTS);
                raceDriver = new ProcedureDriver<>(network, race, this::carryOut);
                raceDriver.feed(race::start);
            }
            case FastProcedure.Action.StopPunch s -> stopRace();
            case FastProcedure.Action.FailOver f -> {
                finished = true;
                releaseAll();
                LOG.info("FAST with '{}' (session {}): {}; failing over", go.peerId(), f.session(), f.reason());
                outcome.failedOver(f.session(), f.reason(), procedure.phases());
            }
            case FastProcedure.Action.Connected c -> succeeded(c.phases());
            case FastProcedure.Action.TimedOut t -> {
                // not reached: the procedure starts at the go
                finished = true;
                releaseAll();
                outcome.failedOver(go.session(), "timed out", procedure.phases());
            }
        }
    }

    private void carryOut(PunchRace.Action a) {
        switch (a) {
            case PunchRace.Action.Connect c -> {
                driver.feed(procedure::handleFirstSyn);
                attempts.connect(c.attempt(), c.localPort(), c.peer());
            }
            case PunchRace.Action.Listen l -> outcome.routeAccepts(this, true);
            case PunchRace.Action.CloseListen l -> outcome.routeAccepts(this, false);
            case PunchRace.Action.CloseConnect c -> attempts.close(c.attempt());
            case PunchRace.Action.Armed r -> { } // nobody to tell: the go told both sides when
            case PunchRace.Action.WonByConnect w -> {
                wonAttempt = w.attempt();
                driver.feed(procedure::handlePunched);
            }
            case PunchRace.Action.WonByAccept w -> driver.feed(procedure::handlePunched); // wonIncoming: accepted()
            case PunchRace.Action.Failed f -> driver.feed(now -> procedure.handlePunchFailed(f.error().getMessage(),
                    now));
        }
    }

    private void succeeded(Map<String, Duration> phases) {
        finished = true;
        Connection t = wonAttempt == 0 ? null : attempts.take(wonAttempt);
        releaseAll();
        boolean initiator = go.initiator();
        if (t != null) {
            InetSocketAddress remote = t.remoteAddress();
            t.handOver(ch -> deliver(ch, remote, phases), e -> outcome.failedOver(go.session(),
                    "cannot hand the connection over: " + e, phases));
        } else if (wonIncoming != null) {
            Incoming in = wonIncoming;
            wonIncoming = null;
            InetSocketAddress remote = in.remoteAddress();
            in.handOver(ch -> deliver(ch, remote, phases), e -> outcome.failedOver(go.session(),
                    "cannot hand the accepted connection over: " + e, phases));
        } else {
            LOG.warn("FAST with '{}': the punch won without a connection (attempt {}); failing over", go.peerId(),
                    wonAttempt);
            outcome.failedOver(go.session(), "punch won without a connection", phases);
        }
        LOG.debug("FAST with '{}' ({}) won", go.peerId(), initiator ? "initiator" : "listener");
    }

    private void deliver(ByteChannel ch, InetSocketAddress remote, Map<String, Duration> phases) {
        LOG.info("direct connection with '{}' at {} ({}, FAST), phases {}", go.peerId(), remote,
                go.initiator() ? "initiator" : "listener", phases);
        outcome.connected(new Rendezvous(ch, go.peerId(), remote, go.initiator(), phases));
    }

    private void stopRace() {
        if (race != null) {
            raceDriver.feed(now -> race.abort());
        }
    }

    private void releaseAll() {
        attempts.closeAll();
        outcome.routeAccepts(this, false);
    }
}
