package io.xstunt.engine.simlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.sim.InboundPolicy;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import io.xstunt.engine.sim.NatRouter;
import io.xstunt.engine.client.StuntClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * FAST's fail-over (docs/PROTOCOL.md "FAST", 8) when the peer's SYN comes after the window: NAT
 * lab scenario 8 once saw the connector fail over while the listener's kernel still had a SYN
 * of its punch to re-send; the connector's request port, still listening, completed that
 * handshake, the listener took it for FAST's win and left, and the connector's RACE lost its
 * control channel (ERR_SYN_RECEIVE, SYNC_AWAIT_ECHO). Staged here in virtual time: both first
 * SYNs of the punch are lost, the connector's window is shorter than the kernel's 1 s
 * retransmission (a short XConnect timeout: its window is a quarter of what is left), the
 * listener's is not (a long listen timeout), and the server is farther than the peers are from
 * each other, so the listener's re-sent SYN completes before the normal session's announcement
 * reaches it.
 */
@Timeout(60)
class FastFailOverTest {
    private static final long SEED = 1;
    /** Each NAT's link: the peers are 2 x 5 ms apart. */
    private static final Duration NAT_LINK = Duration.ofMillis(5);
    /** The server's link: a peer-server round trip is 2 x (5 + 60) = 130 ms. */
    private static final Duration SERVER_LINK = Duration.ofMillis(60);
    /**
     * The connector's XConnect timeout: its go comes after one round trip (130 ms), so its window
     * is (3930 - 130) / 4 = 950 ms from the grid origin: it ends before either kernel re-sends its
     * SYN (1 s), so the connector's is never re-sent. The listener's re-sent SYN reaches the
     * connector's request port at 1 s + 10 ms: were the port still listening, the handshake would
     * complete on the listener (1 s + 2 x 10 ms) 60 ms before the normal session's announcement
     * (window + 2 x 65 ms) reaches it and ends its punch; closed, it answers with a RST.
     */
    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(3930);
    /** The listener's: long, so that its window is FAST's least (1.5 s) and its re-sent SYN falls in it. */
    private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(30);
    /** Slack over a bound the engine keeps itself, before a wait of the test gives up. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    @Test
    @DisplayName("A SYN of the listener's punch that comes after the connector failed over is refused: both end connected by RACE")
    void lateSynAfterFailOverIsRefused() throws IOException {
        // be_liberal: a strict conntrack drops the SYN-ACK of the connector's port (a new ISN where
        // the mapping knows its aborted SYN's), which would hide the late handshake instead of refusing it
        NatLab lab = NatLab.builder().seed(SEED).nat(NatMapping.PRESERVE).inbound(InboundPolicy.DROP)
                .delay(NAT_LINK).delaySrv(SERVER_LINK).liberal().build();
        StuntLab stunt = StuntLab.start(lab, SEED);
        NatRouter listenerNat = lab.nat1();
        NatRouter connectorNat = lab.nat2();
        // the connector's punch ports: the first SYN toward the listener's NAT leaves from the request's port
        List<Integer> connectorPorts = new ArrayList<>();
        connectorNat.onNewMapping(m -> {
            if (m.destination().getAddress().equals(listenerNat.publicAddress())) {
                connectorPorts.add(m.source().getPort());
            }
        });
        StuntClient listener = stunt.register(lab.h1(), "l1", StuntLab.clientConfig(PunchStrategy.FAST, LISTEN_TIMEOUT));
        StuntClient connector = stunt.register(lab.h2(), "c1", PunchStrategy.FAST, CONNECT_TIMEOUT);
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        listener.onIncoming(incoming::complete, incoming::completeExceptionally);
        // the punch's first SYN each way is lost after its NAT mapped it: each kernel re-sends it 1 s later
        lab.net().loseNextSyn(listenerNat.publicAddress(), connectorNat.publicAddress());
        lab.net().loseNextSyn(connectorNat.publicAddress(), listenerNat.publicAddress());

        CompletableFuture<Rendezvous> call = connector.connect("l1", CONNECT_TIMEOUT);
        lab.net().runUntil("XConnect's outcome", call::isDone, CONNECT_TIMEOUT.plus(SLACK));
        lab.net().tryRunUntil(incoming::isDone, SLACK);
        lab.net().tryRunUntil(() -> stunt.session("c1") != null, StuntLab.SESSION_TIMEOUT.plus(SLACK));
        String why = "connector " + outcome(call) + "\n  listener " + outcome(incoming) + "\n  sessions "
                + stunt.sessions() + "\n  connector's punch ports " + connectorPorts + "\n" + lab.net().trace().tail();

        // both calls end connected, by RACE (its phases; neither counts FAST as won), to each other
        Rendezvous c = assertRace(call, "connector", why);
        Rendezvous l = assertRace(incoming, "listener", why);
        assertTrue(c.phases().containsKey("fast.request"), "the connector tried FAST and failed over: " + why);
        assertEquals(listenerNat.publicAddress(), c.peerAddress().getAddress(), why);
        assertEquals(connectorNat.publicAddress(), l.peerAddress().getAddress(), why);
        assertEquals(localPort(c), l.peerAddress().getPort(), "the two ends of one connection: " + why);
        assertEquals(localPort(l), c.peerAddress().getPort(), "the two ends of one connection: " + why);
        StuntLab.Echoed echoed = StuntLab.echo(c.channel(), l.channel(), stunt.payload());
        assertTrue(echoed.complete(), "the payload's round trip over the RACE connection: " + echoed + "; " + why);
        // the server: one summary, the normal session's, with RACE's control bytes; the FAST session has none
        SessionSummary s = stunt.session("c1");
        assertNotNull(s, "the normal session's summary: " + why);
        assertEquals(List.of(s), stunt.sessions(), "one summary for the pair: " + why);
        assertEquals(SessionSummary.NORMAL, s.strategy(), why);
        assertEquals(SessionSummary.Path.UNREPORTED, s.path(), "without the relay nobody tells the server the path: "
                + why);
        assertTrue(s.bytesFromInitiator() > 0 && s.bytesFromListener() > 0, "RACE's control bytes: " + why);
        // the listener's SYNs passed the connector's NAT (the mapping of its own SYN): its port decided
        assertEquals(0, connectorNat.inboundTcp(), why);
        // nothing left open: the request's port is free, no session in flight, no registration left
        assertTrue(!connectorPorts.isEmpty(), "the connector punched: " + why);
        int requestPort = connectorPorts.getFirst();
        assertTrue(requestPort != localPort(c), "RACE's connection is not on the request's port: " + why);
        assertEquals(List.of(), lab.h2().boundOn(requestPort), "the request's punch port: " + why);
        c.closeQuietly();
        l.closeQuietly();
        stunt.deregister(listener);
        stunt.deregister(connector);
        NatMatrixTest.assertServerHoldsNothing(stunt, why);
    }

    /**
     * The race PROTOCOL.md names in FAST's known limits, staged: the connector's window (a quarter
     * of (4230 - 130) ms = 1025 ms) ends while the listener's re-sent SYN completes a simultaneous
     * open with it (the connector's own re-sent SYN lost as well), and the listener's report that
     * its punch won reaches the server before the connector's fail-over. The server still starts
     * the normal session for the side that failed over: the connector's XConnect ends connected by
     * RACE, not with ERR_TIMEOUT at its deadline; the listener's application gets the RACE
     * connection as a second incoming one (its first, FAST's, is closed by the connector).
     */
    @Test
    @DisplayName("A fail-over that reaches the server after the peer's report of a won punch still gets the normal session")
    void failOverAfterThePeersReportStillConnects() {
        Duration connectTimeout = Duration.ofMillis(4230);
        NatLab lab = NatLab.builder().seed(SEED).nat(NatMapping.PRESERVE).inbound(InboundPolicy.DROP)
                .delay(NAT_LINK).delaySrv(SERVER_LINK).liberal().build();
        StuntLab stunt = StuntLab.start(lab, SEED);
        NatRouter listenerNat = lab.nat1();
        NatRouter connectorNat = lab.nat2();
        StuntClient listener = stunt.register(lab.h1(), "l1", StuntLab.clientConfig(PunchStrategy.FAST, LISTEN_TIMEOUT));
        StuntClient connector = stunt.register(lab.h2(), "c1", PunchStrategy.FAST, connectTimeout);
        List<Rendezvous> incoming = new ArrayList<>();
        listener.onIncoming(incoming::add, e -> { });
        lab.net().loseNextSyn(listenerNat.publicAddress(), connectorNat.publicAddress());
        lab.net().loseNextSyn(connectorNat.publicAddress(), listenerNat.publicAddress());
        lab.net().loseNextSyn(connectorNat.publicAddress(), listenerNat.publicAddress());

        CompletableFuture<Rendezvous> call = connector.connect("l1", connectTimeout);
        lab.net().runUntil("XConnect's outcome", call::isDone, connectTimeout.plus(SLACK));
        lab.net().tryRunUntil(() -> incoming.size() >= 2, SLACK);
        lab.net().tryRunUntil(() -> stunt.sessions().size() >= 2, StuntLab.SESSION_TIMEOUT.plus(SLACK));
        String why = "connector " + outcome(call) + "\n  listener's incoming " + incoming.stream()
                .map(r -> r.peerAddress() + " " + r.phases()).toList() + "\n  sessions " + stunt.sessions() + "\n"
                + lab.net().trace().tail();
        Rendezvous c = assertRace(call, "connector", why);
        assertTrue(c.phases().containsKey("fast.request"), "the connector tried FAST and failed over: " + why);
        assertEquals(2, incoming.size(), "FAST's connection, then RACE's: " + why);
        assertTrue(incoming.get(0).phases().containsKey("connected"), "the listener counted FAST as won: " + why);
        Rendezvous l = assertRace(CompletableFuture.completedFuture(incoming.get(1)), "listener's second", why);
        StuntLab.Echoed echoed = StuntLab.echo(c.channel(), l.channel(), stunt.payload());
        assertTrue(echoed.complete(), "the payload's round trip over the RACE connection: " + echoed + "; " + why);
        assertEquals(List.of(SessionSummary.FAST, SessionSummary.NORMAL),
                stunt.sessions().stream().map(SessionSummary::strategy).toList(),
                "the FAST session ended by the listener's report, then the normal session: " + why);
        c.closeQuietly();
        incoming.forEach(Rendezvous::closeQuietly);
    }

    private static String outcome(CompletableFuture<Rendezvous> f) {
        if (!f.isDone()) {
            return "no outcome";
        }
        try {
            Rendezvous r = f.join();
            return r.peerAddress() + " " + r.phases();
        } catch (CompletionException e) {
            return "failed: " + e.getCause();
        }
    }

    private static int localPort(Rendezvous r) throws IOException {
        return ((InetSocketAddress) r.socketChannel().getLocalAddress()).getPort();
    }

    /** @return the connection {@code f} came to, out of RACE (a normal session's phases), not out of FAST */
    private static Rendezvous assertRace(CompletableFuture<Rendezvous> f, String side, String why) {
        assertTrue(f.isDone() && !f.isCompletedExceptionally(), side + " connected: " + why);
        Rendezvous r = f.join();
        assertTrue(r.phases().containsKey("punch") && r.phases().containsKey("sync"), side
                + " connected by RACE (control, sync, punch), phases " + r.phases() + ": " + why);
        assertTrue(r.phases().keySet().stream().noneMatch("connected"::equals), side
                + " did not count FAST as won, phases " + r.phases() + ": " + why);
        return r;
    }
}
