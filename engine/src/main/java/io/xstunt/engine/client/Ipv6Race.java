package io.xstunt.engine.client;

import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPv6 leg of a rendezvous (docs/PROTOCOL.md "IPv6"): a TCP simultaneous open between the two
 * peers' registered IPv6 endpoints. There is no NAT on IPv6, only stateful firewalls, so nothing
 * is predicted: each side connects from its registered port to the peer's and listens on it,
 * with the {@link PunchRace} of the IPv4 punch (RACE: the same grid origin, retries after a RST)
 * on its own sockets. {@link RendezvousIo} starts it where the IPv4 punch would start and gives
 * the IPv4 punch {@link Ipv6Setting#headStart()} later (Happy Eyeballs, RFC 8305); the first
 * connection of either family wins and the other's sockets close at once. A failure here only
 * leaves the IPv4 punch on its own. Network thread only.
 */
final class Ipv6Race {
    private static final Logger LOG = LoggerFactory.getLogger(Ipv6Race.class);

    /** What a rendezvous needs for it: both endpoints, and how long IPv6 leads. */
    record Plan(InetSocketAddress local, InetSocketAddress peer, Duration headStart) {
    }

    /** How it went; at most one call, on the network's thread. */
    interface Events {
        /** A connect won: {@code c} is the connection, owned by the receiver. */
        void wonByConnect(Connection c);

        /** The peer's connect was accepted and won: {@code in} is the connection, owned by the receiver. */
        void wonByAccept(Incoming in);
    }

    private final Network network;
    private final InetSocketAddress local;
    private final InetSocketAddress peer;
    private final PunchRace race;
    private final ProcedureDriver<PunchRace.Action> driver;
    private final Events events;
    private final PunchAttempts attempts;
    private Acceptor acceptor;
    private Incoming justAccepted;
    private boolean over;

    private Ipv6Race(Network network, boolean initiator, Plan plan, Duration retryPeriod, long gridOriginNs,
                     int maxAttempts, Events events) {
        this.network = network;
        this.local = plan.local();
        this.peer = plan.peer();
        this.events = events;
        this.race = new PunchRace(PunchStrategy.RACE, initiator, local.getPort(), peer, retryPeriod, gridOriginNs,
                maxAttempts);
        this.driver = new ProcedureDriver<>(network, race, this::carryOut);
        this.attempts = new PunchAttempts(network, local.getAddress(),
                (attempt, ok, why) -> driver.feed(now -> race.handleConnectResult(attempt, ok, why, now)));
    }

    /** Starts the simultaneous open of {@code plan} on the grid {@code gridOriginNs + k * retryPeriod}. */
    static Ipv6Race start(Network network, boolean initiator, Plan plan, Duration retryPeriod, long gridOriginNs,
                          int maxAttempts, Events events) {
        Ipv6Race r = new Ipv6Race(network, initiator, plan, retryPeriod, gridOriginNs, maxAttempts, events);
        LOG.info("IPv6 simultaneous open from {} to {} ({})", plan.local(), plan.peer(),
                initiator ? "initiator" : "listener");
        r.driver.feed(r.race::start);
        return r;
    }

    /**
     * @return the IPv6 endpoint a client with {@code setting} registers: its address and a port
     *     free on it now (bound once and released; every attempt binds it again with SO_REUSEADDR
     *     and SO_REUSEPORT), or null when it has none (off, no global address, cannot bind)
     */
    static InetSocketAddress localEndpoint(Network network, Ipv6Setting setting) {
        Inet6Address a = setting.resolve();
        if (a == null) {
            return null;
        }
        if (setting.port() != 0) {
            return new InetSocketAddress(a, setting.port());
        }
        try {
            Acceptor probe = network.listen(SocketSpec.listener(new InetSocketAddress(a, 0)), 1, (acc, in) -> in.refuse());
            int port = probe.address().getPort();
            probe.close();
            return new InetSocketAddress(a, port);
        } catch (IOException | RuntimeException e) {
            LOG.info("no IPv6 path: cannot bind a port on {}: {}", a, e.toString());
            return null;
        }
    }

    /** @return true once it won, failed or was aborted */
    boolean over() {
        return over;
    }

    /** Closes every socket it still has (the other family won, or the rendezvous ended). */
    void abort() {
        over = true;
        driver.feed(now -> race.abort());
    }

    private void carryOut(PunchRace.Action a) {
        switch (a) {
            case PunchRace.Action.Connect c -> attempts.connect(c.attempt(), local.getPort(), peer);
            case PunchRace.Action.Listen l -> listen();
            case PunchRace.Action.CloseConnect c -> attempts.close(c.attempt());
            case PunchRace.Action.CloseListen c -> {
                if (acceptor != null) {
                    acceptor.close();
                    acceptor = null;
                }
            }
            case PunchRace.Action.Armed r -> { } // "ready" is the IPv4 punch's to send
            case PunchRace.Action.WonByConnect w -> {
                over = true;
                events.wonByConnect(attempts.take(w.attempt()));
            }
            case PunchRace.Action.WonByAccept w -> {
                over = true;
                Incoming in = justAccepted;
                justAccepted = null;
                events.wonByAccept(in);
            }
            case PunchRace.Action.Failed f -> {
                over = true;
                LOG.info("IPv6 simultaneous open to {} failed: {}; the IPv4 punch goes on alone", peer,
                        f.error().getMessage());
            }
        }
    }

    private void listen() {
        try {
            acceptor = network.listen(SocketSpec.shared(local.getAddress(), local.getPort(), true), 4,
                    (acc, in) -> accepted(in));
        } catch (IOException | RuntimeException e) {
            driver.feed(now -> race.handleListenFailed(e.toString()));
        }
    }

    /** Only the peer's registered address may connect here; anyone else is refused. */
    private void accepted(Incoming in) {
        InetSocketAddress from = in.remoteAddress();
        if (over || from == null || !from.getAddress().equals(peer.getAddress())) {
            if (from != null && !over) {
                LOG.info("IPv6: refused a connection from {} on the punch port", from);
            }
            in.refuse();
            return;
        }
        justAccepted = in;
        driver.feed(race::handleAccepted);
        if (justAccepted != null) { // accepted but did not win
            justAccepted.refuse();
            justAccepted = null;
        }
    }
}
