package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.FakeAcceptor;
import io.xstunt.engine.proc.FakeConnection;
import io.xstunt.engine.proc.FakeIncoming;
import io.xstunt.engine.proc.FakeNetwork;
import io.xstunt.engine.registry.ConnectDecision;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One rendezvous session on a network turned by hand: its control listener, its two connections, its end. */
class RendezvousSessionTest {
    private static final String IP_A = "198.51.100.1";
    private static final String IP_B = "198.51.100.2";
    private static final long START = 1_000;
    private static final Duration SESSION = Duration.ofSeconds(30);
    private static final Duration LINGER = Duration.ofSeconds(1);

    private final FakeNetwork net = new FakeNetwork(START);
    private final ServerConfig config = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
            .sessionTimeout(SESSION).handshakeTimeout(LINGER).maxRelayBacklog(300).build();
    private final InMemoryRegistry registry = new InMemoryRegistry(10, false);
    private final DirectClients clients = new DirectClients(registry);
    private final ServerStats stats = new ServerStats();
    private final Admission admission = new Admission(8, stats);
    private final List<SessionSummary> finished = new ArrayList<>();
    private final SessionRef ref = new SessionRef(DirectClients.SERVER, 1);
    private final RendezvousSession session;
    private final FakeAcceptor control;

    RendezvousSessionTest() throws Exception {
        clients.idle("a", Ipv4.toInt(Ipv4.parse(IP_A)), 11);
        clients.idle("b", Ipv4.toInt(Ipv4.parse(IP_B)), 12);
        ConnectDecision d = clients.checkConnect("a", "b", Ipv4.toInt(Ipv4.parse(IP_A)), 0L);
        session = RendezvousSession.open(net, ref, d.source(), d.destination(), config, registry, admission, stats,
                null, s -> finished.add(s.summary())); // original clients: no relay book is ever asked
        registry.beginSession(d.source(), d.destination(), ref);
        control = net.acceptor(0);
    }

    private FakeIncoming from(String ip) {
        return control.arrive(new InetSocketAddress(ip, 50000));
    }

    @Test
    void theControlListenerIsOnIp1AndTheSessionIsBounded() {
        assertEquals(Ipv4.parse("127.0.0.1"), control.address().getAddress());
        assertEquals(control.address().getPort(), session.controlPort());
        assertEquals(START + SESSION.toNanos(), net.earliestTimerNs());
        assertEquals(ControlRelay.State.AWAIT_BOTH, session.state());
    }

    @Test
    void theBytesOneSideSentBeforeTheOtherArrivedReachIt() {
        FakeConnection ca = from(IP_A).connection();
        ca.receive(new byte[] {1, 4, 1, 0, 0, 0}); // OK(1) before the listener is in
        FakeIncoming inB = from(IP_B);
        FakeConnection cb = inB.connection();
        assertTrue(inB.options().noDelay(), "clock sync through the relay: no Nagle delay");
        assertArrayEquals(new byte[] {1, 4, 1, 0, 0, 0}, cb.takeRead(), "delivered as soon as it is in");
        assertTrue(control.isClosed(), "the control listener closes once both are in");
        cb.receive(new byte[] {1, 2, 0x1f, (byte) 0x90});
        assertArrayEquals(new byte[] {1, 2, 0x1f, (byte) 0x90}, ca.takeRead());
        assertEquals(2, admission.connections());
    }

    @Test
    void aStrangerIsRefusedAndCounted() {
        FakeIncoming stranger = from("198.51.100.3");
        assertTrue(stranger.refused());
        FakeIncoming a = from(IP_A);
        assertTrue(from(IP_A).refused(), "one connection per side");
        assertEquals(2, stats.count(Rejection.CONTROL_REFUSED));
        assertEquals(1, admission.connections());
        assertFalse(a.refused());
    }

    @Test
    void whenASideClosesBothAreIdleAgainAndTheFinishIsReported() {
        FakeConnection ca = from(IP_A).connection();
        FakeConnection cb = from(IP_B).connection();
        ca.receive(new byte[3]);
        cb.takeRead();
        assertEquals(Protocol.CSTATE_BUSY, clients.query("a"));
        ca.peerCloses();
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertEquals(Protocol.CSTATE_IDLE, clients.query("b"));
        assertTrue(cb.isClosed(), "the other side flushed (nothing left) and closed");
        assertEquals(List.of(new SessionSummary(1, "a", "b", 3, 0, "INITIATOR closed its control connection")),
                finished);
        assertEquals(0, admission.connections());
        assertEquals(0, net.pendingTimers(), "nothing of it is left");
        assertEquals(0, stats.total());
    }

    @Test
    void anAbortEndsItAtOnce() {
        FakeConnection ca = from(IP_A).connection();
        session.abort("b deregistered");
        assertTrue(ca.isClosed());
        assertTrue(control.isClosed());
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertEquals(1, finished.size());
        assertEquals("b deregistered", finished.get(0).endReason());
        assertEquals(0, net.pendingTimers());
    }

    @Test
    void aSessionThatNobodyJoinsTimesOut() {
        net.advanceTo(START + SESSION.toNanos() - 1);
        assertEquals(List.of(), finished);
        net.advanceTo(START + SESSION.toNanos());
        assertEquals(1, stats.count(Rejection.SESSION_TIMEOUT));
        assertTrue(control.isClosed());
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertEquals(1, finished.size());
        assertEquals(0, net.pendingTimers());
    }

    @Test
    void aSideThatDoesNotReadIsCutAtTheLingerAfterTheEnd() {
        FakeConnection ca = from(IP_A).connection();
        FakeConnection cb = from(IP_B).connection();
        cb.peerReads(false);
        ca.receive(new byte[5]);
        ca.peerCloses();
        assertFalse(cb.isClosed(), "flushing its last bytes");
        net.advance(LINGER.toNanos());
        assertTrue(cb.isClosed(), "cut at the linger");
        assertEquals(1, finished.size());
    }
}
