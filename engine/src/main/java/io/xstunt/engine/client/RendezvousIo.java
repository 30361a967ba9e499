package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O of a rendezvous: the {@link RendezvousProcedure} on its driver (the control channel),
 * the prediction's {@link EchoQuery}, and the {@link PunchRace} with its sockets (the connect
 * attempts and the listener on the predicted port). Ends with the winning connection handed over
 * as a blocking channel ({@link Rendezvous}), or a failure; every socket is released on every exit.
 * Network thread only.
 */
final class RendezvousIo {
    private static final Logger LOG = LoggerFactory.getLogger(RendezvousIo.class);
    /** Bound of the RACE strategy's connect retries (each after the retry delay). */
    static final int MAX_PUNCH_ATTEMPTS = 64;

    /** The outcome; exactly one call, on the network's thread. */
    interface Outcome {
        /** The direct connection, owned by the receiver. */
        void connected(Rendezvous r);

        /** The rendezvous failed; everything it opened is closed. */
        void failed(Failure error);
    }

    private final Network network;
    private final ClientConfig config;
    private final String peerId;
    private final RendezvousProcedure procedure;
    private final ProcedureDriver<RendezvousProcedure.Action> driver;
    private final Outcome outcome;
    private final InetAddress localAddress;
    private final PunchAttempts attempts;
    private PunchRace race;
    private ProcedureDriver<PunchRace.Action> raceDriver;
    private EchoQueryRun query;
    private BirthdaySweepRun sweep;
    /** The IPv6 endpoints of both sides when both registered one (null: IPv4 only), and its leg. */
    private final Ipv6Race.Plan ipv6Plan;
    /** This client as its server sees it: its public IPv4, or over IPv6 its source key. */
    private final int ownIp;
    /**
     * The port a client over IPv6 without an endpoint announces: any valid one, since no punch of
     * any family runs from it (the rendezvous fails or is relayed at once, {@link #punchWithoutIpv4}).
     */
    private static final int NO_PREDICTED_PORT = 9;
    private Ipv6Race ipv6;
    /** The listener's IPv4 punch waiting out IPv6's head start; null when none waits. */
    private io.xstunt.engine.loop.DeadlineTimers.Timer ipv4Start;
    private Acceptor acceptor;
    private Incoming justAccepted;
    private Connection wonConnection;
    private Incoming wonIncoming;
    private boolean finished;

    private RendezvousIo(Network network, ClientConfig config, String peerId, RendezvousProcedure procedure,
                         Ipv6Race.Plan ipv6Plan, int ownIp, Outcome outcome) {
        this.ownIp = ownIp;
        this.network = network;
        this.ipv6Plan = ipv6Plan;
        this.config = config;
        this.peerId = peerId;
        this.procedure = procedure;
        this.outcome = outcome;
        this.localAddress = config.localAddress();
        this.driver = new ProcedureDriver<>(network, procedure, this::carryOut);
        this.attempts = new PunchAttempts(network, localAddress,
                (attempt, ok, why) -> raceDriver.feed(now -> race.handleConnectResult(attempt, ok, why, now)));
    }

    /**
     * Runs {@code procedure} with the peer {@code peerId}; {@code outcome} hears how it went.
     * {@code ipv6Plan}: both sides' IPv6 endpoints, raced against the IPv4 punch; null: IPv4 only.
     */
    static RendezvousIo start(Network network, ClientConfig config, String peerId, RendezvousProcedure procedure,
                              Ipv6Race.Plan ipv6Plan, int ownIp, Outcome outcome) {
        RendezvousIo io = new RendezvousIo(network, config, peerId, procedure, ipv6Plan, ownIp, outcome);
        io.driver.feed(procedure::start);
        return io;
    }

    /** Fails the rendezvous from outside (client closing, server gone); sends ABORT if it can. */
    void abort(Failure error) {
        driver.feed(now -> procedure.abort(error));
    }

    private void carryOut(RendezvousProcedure.Action a) {
        switch (a) {
            case RendezvousProcedure.Action.ConnectControl c -> driver.connect(0,
                    SocketSpec.service(config.serviceLocalAddress()), c.address());
            case RendezvousProcedure.Action.Predict p -> predict(p.echoEndpoint());
            case RendezvousProcedure.Action.Punch p -> {
                String noIpv4 = noIpv4Punch(p.peer());
                if (noIpv4 != null) {
                    punchWithoutIpv4(p.retryPeriod(), p.gridOriginNs(), noIpv4);
                    return;
                }
                long headStartNs = startIpv6(p.retryPeriod(), p.gridOriginNs());
                race = new PunchRace(config.punchStrategy(), procedure.initiator(), p.localPort(), p.peer(),
                        p.retryPeriod(), p.gridOriginNs() + headStartNs, MAX_PUNCH_ATTEMPTS);
                raceDriver = new ProcedureDriver<>(network, race, this::carryOut);
                if (headStartNs > 0 && !procedure.initiator()) {
                    // the initiator's IPv4 SYNs leave on the grid shifted by the head start; the
                    // listener's first one leaves as its race starts, so that starts as late
                    PunchRace delayed = race;
                    ipv4Start = network.scheduleAt(network.nowNs() + headStartNs, () -> {
                        ipv4Start = null;
                        raceDriver.feed(delayed::start);
                    });
                } else {
                    raceDriver.feed(race::start);
                }
            }
            case RendezvousProcedure.Action.Sweep s -> {
                // the sweep has no grid: IPv6 retries a RST once every 1.25 round trips, as a punch would
                java.time.Duration retry = java.time.Duration.ofNanos(
                        Math.max(10_000_000L, s.rtt().toNanos() * 5 / 4 + 2_000_000L));
                String noIpv4 = noIpv4Punch(s.peer());
                if (noIpv4 != null) {
                    punchWithoutIpv4(retry, network.nowNs(), noIpv4);
                    return;
                }
                startIpv6(retry, network.nowNs());
                startSweep(s);
            }
            case RendezvousProcedure.Action.SweepSignal g -> {
                if (sweep != null) {
                    sweep.signal(g.code());
                }
            }
            case RendezvousProcedure.Action.AbortPunch p -> {
                if (race != null) {
                    raceDriver.feed(now -> race.abort());
                }
                abortIpv6();
                if (sweep != null) {
                    sweep.abort();
                }
            }
            case RendezvousProcedure.Action.Succeeded s -> succeeded(s);
            case RendezvousProcedure.Action.Failed f -> failed(f.error());
            case RendezvousProcedure.Action.Relayed r -> relayed(r);
        }
    }

    /**
     * The server relays the pair: the control connection (READY is written) becomes the
     * connection. Nothing after START was read, so nothing is lost in the hand-over.
     */
    private void relayed(RendezvousProcedure.Action.Relayed r) {
        finished = true;
        if (race != null) {
            raceDriver.feed(now -> race.abort());
        }
        abortSweep();
        releaseAll();
        Connection c = driver.release(0);
        if (c == null || c.isClosed()) {
            outcome.failed(new Failure(procedure.initiator() ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, 0,
                    "the control connection closed as the relay started"));
            return;
        }
        InetSocketAddress server = c.remoteAddress();
        RelayLink link = new RelayLink(procedure.relayPlan().session());
        c.handOver(ch -> {
            LOG.info("relayed connection with '{}' through {} ({}): {}, phases {}", peerId, server,
                    procedure.initiator() ? "initiator" : "listener", r.reason(), r.phases());
            outcome.connected(new Rendezvous(ch, peerId, server, procedure.initiator(), r.phases(),
                    ConnectionPath.RELAYED, r.reason(), link, 0));
        }, e -> outcome.failed(new Failure(procedure.initiator() ? ErrorStat.ERR_ASYMCLIENT
                : ErrorStat.ERR_ASYMSERVER, 0, "cannot hand the relayed connection over: " + e, e)));
    }

    private void carryOut(PunchRace.Action a) {
        switch (a) {
            case PunchRace.Action.Connect c -> {
                procedure.notePunchAttempt(c.attempt());
                attempts.connect(c.attempt(), c.localPort(), c.peer());
            }
            case PunchRace.Action.Listen l -> punchListen(l.localPort());
            case PunchRace.Action.CloseConnect c -> attempts.close(c.attempt());
            case PunchRace.Action.CloseListen c -> closeAcceptor();
            case PunchRace.Action.Armed r -> {
                if (config.punchStrategy() == PunchStrategy.ORIGINAL) {
                    // XSTUNT 1.0 closes the XTryConnect socket before it listens and says "ready".
                    // NIO closes a channel registered with a selector only at the next select, so
                    // "ready" waits for that: else the peer's SYN can still meet the old socket.
                    network.afterClosesSettle(() -> {
                        if (!finished) {
                            driver.feed(procedure::handlePunchArmed);
                        }
                    });
                } else {
                    driver.feed(procedure::handlePunchArmed);
                }
            }
            case PunchRace.Action.WonByConnect w -> {
                wonConnection = attempts.take(w.attempt());
                abortIpv6();
                driver.feed(procedure::handlePunched);
            }
            case PunchRace.Action.WonByAccept w -> {
                wonIncoming = justAccepted;
                justAccepted = null;
                abortIpv6();
                driver.feed(procedure::handlePunched);
            }
            case PunchRace.Action.Failed f -> driver.feed(now -> procedure.handlePunchFailed(f.error()));
        }
    }

    /**
     * Starts the IPv6 leg (Happy Eyeballs, RFC 8305: IPv6 first) when both sides registered an
     * IPv6 endpoint; its win ends the IPv4 punch or sweep at once.
     *
     * @return how much later the IPv4 punch starts (0 without the IPv6 leg)
     */
    private long startIpv6(java.time.Duration retryPeriod, long gridOriginNs) {
        if (ipv6Plan == null || ipv6 != null) {
            return 0;
        }
        ipv6 = Ipv6Race.start(network, procedure.initiator(), ipv6Plan, retryPeriod, gridOriginNs, MAX_PUNCH_ATTEMPTS,
                new Ipv6Race.Events() {
                    @Override
                    public void wonByConnect(Connection c) {
                        if (finished || wonConnection != null || wonIncoming != null) {
                            c.closeSilently();
                            return;
                        }
                        wonConnection = c;
                        ipv6Won();
                    }

                    @Override
                    public void wonByAccept(Incoming in) {
                        if (finished || wonConnection != null || wonIncoming != null) {
                            in.refuse();
                            return;
                        }
                        wonIncoming = in;
                        ipv6Won();
                    }
                });
        return ipv6Plan.headStart().toNanos();
    }

    /** IPv6 won: the IPv4 punch or sweep stops at once, and the procedure ends as after any punch. */
    private void ipv6Won() {
        if (race != null) {
            raceDriver.feed(now -> race.abort());
        }
        abortSweep();
        driver.feed(procedure::handlePunched);
    }

    private void abortIpv6() {
        if (ipv4Start != null) {
            ipv4Start.cancel(); // the IPv4 punch that waited for its turn: it never starts
            ipv4Start = null;
        }
        if (ipv6 != null && !ipv6.over()) {
            ipv6.abort();
        }
    }

    /**
     * The birthday sweep in place of the punch ({@link BirthdaySweepRun}); the initiator says
     * "ready" as it starts, as an armed punch does.
     */
    private void startSweep(RendezvousProcedure.Action.Sweep s) {
        sweep = BirthdaySweepRun.start(network, localAddress, s, new BirthdaySweepRun.Events() {
            @Override
            public void signal(int code) {
                driver.feed(now -> procedure.sendSweepSignal(code));
            }

            @Override
            public void syns(int syns) {
                procedure.notePunchAttempt(syns);
            }

            @Override
            public void won(Connection connection) {
                if (wonConnection != null || wonIncoming != null) {
                    connection.closeSilently(); // IPv6 won first
                    return;
                }
                wonConnection = connection;
                abortIpv6();
                driver.feed(procedure::handlePunched);
            }

            @Override
            public void missed(io.xstunt.engine.wire.RelayFrame.Reason reason, int probes) {
                driver.feed(now -> procedure.handleSweepMissed(reason, probes));
            }
        });
        LOG.info("rendezvous with '{}': birthday sweep as the {} side, {} to {}", peerId, s.role(), s.plan(),
                s.peer());
        if (procedure.initiator()) {
            driver.feed(procedure::handlePunchArmed);
        }
    }

    /**
     * @return why no IPv4 punch may run towards {@code peer}, or null if it may: this client is
     *     registered over IPv6 (it has no IPv4 path the server saw), or the peer's announced IP is a
     *     server's key of an IPv6 source (240.0.0.0/4: a SYN sent there reaches nobody)
     */
    private String noIpv4Punch(InetSocketAddress peer) {
        if (config.overIpv6()) {
            return "this client is registered over IPv6 and has no IPv4 path";
        }
        if (peer.getAddress() instanceof java.net.Inet4Address v4 && Ipv4.isSourceKey(Ipv4.toInt(v4))) {
            return "the peer is registered over IPv6 (its announced IP " + v4.getHostAddress()
                    + " is a server's key of 240.0.0.0/4, no IPv4 address)";
        }
        return null;
    }

    /**
     * The punch without its IPv4 leg: IPv6 alone where both sides have an endpoint (the initiator
     * says "ready" at once, as the race's IPv4 side would), else no common address family: the
     * punch fails at once, so the procedure asks for the relay where it may and fails otherwise,
     * with {@code why} in the error.
     */
    private void punchWithoutIpv4(java.time.Duration retryPeriod, long gridOriginNs, String why) {
        if (ipv6Plan != null) {
            LOG.info("rendezvous with '{}': IPv6 only, no IPv4 punch: {}", peerId, why);
            startIpv6(retryPeriod, gridOriginNs);
            if (procedure.initiator()) {
                driver.feed(procedure::handlePunchArmed);
            }
            return;
        }
        String message = "no common address family with '" + peerId + "': " + why
                + (config.overIpv6() ? "" : " and this client has no IPv6 endpoint");
        LOG.info("rendezvous with '{}': {}", peerId, message);
        Failure error = new Failure(procedure.initiator() ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, 0,
                message);
        driver.feed(now -> procedure.handleNoCommonFamily(error));
    }

    private void predict(InetSocketAddress endpoint) {
        if (config.overIpv6()) {
            // the echo service is IPv4 and over IPv6 there is no NAT to predict: this side is where
            // the server saw it (its key) at the port of its IPv6 endpoint; no IPv4 punch runs from it
            int port = ipv6Plan != null ? ipv6Plan.local().getPort() : NO_PREDICTED_PORT;
            driver.feed(now -> procedure.handlePredicted(port, ownIp, port, now));
            return;
        }
        query = EchoQueryRun.start(network, new EchoQuery(localAddress, 0, true, endpoint,
                config.wireVariant()), o -> {
            query = null;
            switch (o) {
                case EchoQuery.Action.Answered r -> driver.feed(now -> procedure.handlePredicted(r.boundPort(),
                        r.observation().publicIp(), r.observation().publicPort(), now));
                case EchoQuery.Action.Failed f -> driver.feed(now -> procedure.handlePredictFailed(f.reason(), now));
                case EchoQuery.Action.Open x -> throw new IllegalStateException("opened by its run");
            }
        });
    }

    private void punchListen(int localPort) {
        int peerIp = Ipv4.toInt(procedure.peerAddress().getAddress());
        try {
            acceptor = network.listen(SocketSpec.shared(localAddress, localPort, true), 4,
                    (acc, in) -> onPunchAccept(in, peerIp));
        } catch (IOException | RuntimeException e) {
            raceDriver.feed(now -> race.handleListenFailed(e.toString()));
        }
    }

    private void onPunchAccept(Incoming in, int peerIp) {
        InetSocketAddress from = in.remoteAddress();
        if (from == null) {
            in.refuse();
            return;
        }
        if (finished || race == null || Ipv4.toInt(from.getAddress()) != peerIp) {
            LOG.info("rendezvous with '{}': refused a connection from {} on the punch port", peerId, from);
            in.refuse();
            return;
        }
        justAccepted = in;
        raceDriver.feed(race::handleAccepted);
        if (justAccepted != null) { // accepted but did not win
            justAccepted.refuse();
            justAccepted = null;
        }
    }

    private void closeAcceptor() {
        if (acceptor != null) {
            acceptor.close();
            acceptor = null;
        }
    }

    private void succeeded(RendezvousProcedure.Action.Succeeded s) {
        finished = true;
        releaseAll();
        if (wonConnection != null) {
            Connection t = wonConnection;
            wonConnection = null;
            InetSocketAddress remote = t.remoteAddress();
            t.handOver(ch -> deliver(ch, remote, s), e -> outcome.failed(asymmetric(ErrorStat.ERR_CONNECT,
                    "cannot hand the connection over: " + e, e)));
        } else if (wonIncoming != null) {
            Incoming in = wonIncoming;
            wonIncoming = null;
            InetSocketAddress remote = in.remoteAddress();
            in.handOver(ch -> deliver(ch, remote, s), e -> outcome.failed(asymmetric(ErrorStat.ERR_ACCEPT,
                    "cannot hand the accepted connection over: " + e, e)));
        } else {
            outcome.failed(new Failure(ErrorStat.ERR_FAIL, 0, "punch won without a connection"));
        }
    }

    /** @return a failure of the punch's last step as the original reports it: XAsymClient's or XAsymServer's */
    private Failure asymmetric(ErrorStat inner, String message, Exception cause) {
        return new Failure(procedure.initiator() ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, inner.value(),
                message, cause);
    }

    private void deliver(ByteChannel ch, InetSocketAddress remote, RendezvousProcedure.Action.Succeeded s) {
        LOG.info("direct connection with '{}' at {} ({}), phases {}", peerId, remote,
                procedure.initiator() ? "initiator" : "listener", s.phases());
        outcome.connected(new Rendezvous(ch, peerId, remote, procedure.initiator(), s.phases(), ConnectionPath.DIRECT,
                null, null, procedure.upgradeOf()));
    }

    private void failed(Failure error) {
        finished = true;
        if (race != null) {
            raceDriver.feed(now -> race.abort());
        }
        abortSweep();
        releaseAll();
        if (wonConnection != null) {
            wonConnection.closeSilently();
            wonConnection = null;
        }
        if (wonIncoming != null) {
            wonIncoming.refuse();
            wonIncoming = null;
        }
        LOG.info("rendezvous with '{}' ({}) failed: {}", peerId, procedure.initiator() ? "initiator" : "listener",
                error.getMessage());
        outcome.failed(error);
    }

    private void abortSweep() {
        if (sweep != null) {
            sweep.abort();
        }
    }

    /** Closes everything but the winner; the control channel flushes its last frames first. */
    private void releaseAll() {
        abortIpv6();
        if (query != null) {
            query.abort();
            query = null;
        }
        attempts.closeAll();
        closeAcceptor();
    }
}
