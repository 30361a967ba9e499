package io.xstunt.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.registry.ConnectDecision.Verdict;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embedded registry's rules (the protocol's decisions 3 to 6) and the effects it asks for. */
class InMemoryRegistryTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int LOCAL = Ipv4.toInt(Ipv4.parse("10.0.0.7"));
    private static final SessionRef SESSION = new SessionRef(DirectClients.SERVER, 1);

    private final InMemoryRegistry registry = new InMemoryRegistry(10_000, false);
    private final RecordingEffects effects = new RecordingEffects();
    private final DirectClients clients = new DirectClients(registry);

    InMemoryRegistryTest() {
        registry.attach(DirectClients.SERVER, effects);
    }

    private ConnectDecision connect(String src, String dst, int ip) {
        return clients.checkConnect(src, dst, ip, 0L);
    }

    @Test
    void probeRegistrationIsReplacedFromTheSameIpOnly() {
        Holder probe = clients.probe("a", IP_A, LOCAL);
        assertEquals(ClaimOutcome.DUPLICATE, clients.claim(clients.newHolder(), "a", IP_B, 0L));
        assertEquals(0, effects.disconnectsOf(probe));

        Holder again = clients.newHolder();
        assertEquals(ClaimOutcome.REPLACED, clients.claim(again, "a", IP_A, 0L));
        assertEquals(1, effects.disconnectsOf(probe), "the replaced PROBE connection is disconnected");
        registry.release("a", probe); // its close arrives late: must not free the new holder
        registry.reportState("a", probe, Protocol.CSTATE_IDLE, LOCAL); // nor may its state count
        assertEquals(Protocol.CSTATE_PROBE, clients.query("a"));
        registry.reportState("a", again, Protocol.CSTATE_IDLE, LOCAL);
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertEquals(ClaimOutcome.DUPLICATE, clients.claim(clients.newHolder(), "a", IP_A, 0L),
                "an IDLE holder is never replaced");
        assertEquals(List.of(new RecordingEffects.Disconnect(probe, "its PROBE registration of a was replaced")),
                effects.all());
    }

    /** The A6 endpoint is in the record, so a MSG_CONNECT names it whatever server holds the peer. */
    @Test
    void theIpv6EndpointOfItsHolderIsInThePeer() throws Exception {
        Holder a = clients.idle("a", IP_A, LOCAL);
        Holder b = clients.idle("b", IP_B, LOCAL);
        java.net.InetSocketAddress endpoint = new java.net.InetSocketAddress(
                java.net.InetAddress.getByName("2001:db8::a"), 40001);
        registry.reportIpv6("a", b, endpoint); // not a's holder: ignored
        assertEquals(null, connect("b", "a", IP_B).destination().ipv6());
        registry.reportIpv6("a", a, endpoint);
        ConnectDecision d = connect("b", "a", IP_B);
        assertEquals(endpoint, d.destination().ipv6());
        assertEquals(null, d.source().ipv6());
    }

    @Test
    void releaseFreesTheIdAndAbortsItsSession() {
        Holder a = clients.idle("a", IP_A, LOCAL);
        clients.idle("b", IP_B, LOCAL);
        ConnectDecision d = connect("a", "b", IP_A);
        assertEquals(Verdict.ACCEPTED, d.verdict());
        registry.beginSession(d.source(), d.destination(), SESSION);
        assertEquals(Protocol.CSTATE_BUSY, clients.query("a"));
        assertEquals(2, registry.busyCount());

        registry.release("a", a);
        assertEquals(-1, clients.query("a"));
        assertEquals(List.of(SESSION), effects.aborts());
        registry.endSession(SESSION, "a", "b");
        assertEquals(Protocol.CSTATE_IDLE, clients.query("b"));
        assertEquals(0, registry.busyCount());
        assertEquals(1, clients.count());
    }

    @Test
    void connectRules() {
        Holder a = clients.idle("a", IP_A, LOCAL);
        Holder b = clients.idle("b", IP_B, LOCAL);
        clients.idle("c", IP_B, Ipv4.toInt(Ipv4.parse("10.0.0.9")));
        clients.pending("p", IP_B);
        clients.probe("q", IP_B, LOCAL);

        assertEquals(Verdict.NO_MATCH, connect("x", "b", IP_A).verdict(), "unknown source");
        assertEquals(Verdict.NO_MATCH, connect("a", "b", IP_B).verdict(), "source IP mismatch");
        assertEquals(Verdict.NO_MATCH, connect("a", "x", IP_A).verdict(), "unknown destination");
        assertEquals(Verdict.NO_MATCH, connect("a", "a", IP_A).verdict(), "destination is the source");
        assertEquals(Verdict.REGISTRATION_PENDING, connect("a", "p", IP_A).verdict(), "destination's state not in");
        assertEquals(Verdict.REGISTRATION_PENDING, connect("p", "a", IP_B).verdict(), "source's state not in");
        assertEquals(Verdict.NO_MATCH, connect("a", "q", IP_A).verdict(), "destination PROBE");
        assertEquals(Verdict.NO_MATCH, connect("q", "a", IP_B).verdict(), "source PROBE");
        for (ConnectDecision refused : List.of(connect("x", "b", IP_A), connect("a", "p", IP_A))) {
            assertEquals(-1, refused.reply());
            assertNotNull(refused.reason());
        }
        ConnectDecision same = connect("b", "c", IP_B);
        assertEquals(Verdict.SAME_NAT, same.verdict());
        assertEquals(Ipv4.toInt(Ipv4.parse("10.0.0.9")), same.reply(), "same NAT: destination's local IP");
        ConnectDecision ok = connect("a", "b", IP_A);
        assertEquals(Verdict.ACCEPTED, ok.verdict());
        assertEquals(0, ok.reply());
        assertNull(ok.reason());
        assertEquals(new Peer("a", IP_A, LOCAL, a), ok.source());
        assertEquals(new Peer("b", IP_B, LOCAL, b), ok.destination());
        registry.beginSession(ok.source(), ok.destination(), SESSION);
        assertEquals(Verdict.NO_MATCH, connect("c", "b", IP_B).verdict(), "destination BUSY");
        assertEquals(List.of(), effects.all(), "deciding asks for nothing");
    }

    @Test
    void sameNatWithUnsendableLocalIpIsNoMatch() {
        clients.idle("a", IP_A, LOCAL);
        clients.idle("b", IP_A, 0);
        clients.idle("c", IP_A, -1);
        assertEquals(-1, connect("a", "b", IP_A).reply(), "0.0.0.0 would read as accepted");
        assertEquals(Verdict.NO_MATCH, connect("a", "c", IP_A).verdict(), "255.255.255.255 as no match");
    }

    @Test
    void ownershipNeedsTheHoldersTokenWhenEitherSideHasOne() {
        clients.idle("t", IP_A, LOCAL, 7L);
        clients.idle("u", IP_A, LOCAL);
        clients.idle("b", IP_B, LOCAL);
        assertEquals(Verdict.NOT_HOLDER, clients.checkConnect("t", "b", IP_A, 0L).verdict(), "token missing");
        assertEquals(Verdict.NOT_HOLDER, clients.checkConnect("t", "b", IP_A, 8L).verdict(), "wrong token");
        assertEquals(Verdict.ACCEPTED, clients.checkConnect("t", "b", IP_A, 7L).verdict());
        assertEquals(Verdict.NOT_HOLDER, clients.checkConnect("u", "b", IP_A, 7L).verdict(), "a token u was never given");
        assertEquals(Verdict.ACCEPTED, clients.checkConnect("u", "b", IP_A, 0L).verdict(), "an original client");
        assertNotNull(clients.deregister("t", IP_A, 8L));
        assertEquals(Protocol.CSTATE_IDLE, clients.query("t"));
        assertNull(clients.deregister("t", IP_A, 7L));

        InMemoryRegistry strict = new InMemoryRegistry(10, true);
        strict.attach(DirectClients.SERVER, effects);
        DirectClients strictClients = new DirectClients(strict);
        strictClients.idle("o", IP_A, LOCAL);
        strictClients.idle("b", IP_B, LOCAL);
        assertEquals(Verdict.NOT_HOLDER, strictClients.checkConnect("o", "b", IP_A, 0L).verdict(),
                "strict: a request without a token is never the holder's");
        assertNotNull(strictClients.deregister("o", IP_A, 0L));
    }

    @Test
    void aFullRegistryRefusesNewIdsButStillReplacesAProbe() {
        InMemoryRegistry small = new InMemoryRegistry(2, false);
        small.attach(DirectClients.SERVER, effects);
        DirectClients c = new DirectClients(small);
        c.probe("a", IP_A, LOCAL);
        c.idle("b", IP_B, LOCAL);
        assertEquals(ClaimOutcome.FULL, c.claim(c.newHolder(), "c", IP_A, 0L));
        assertFalse(ClaimOutcome.FULL.taken());
        assertEquals(ClaimOutcome.REPLACED, c.claim(c.newHolder(), "a", IP_A, 0L));
        assertEquals(2, c.count());
    }

    @Test
    void deregisterOnlyByTheHoldersAddress() {
        Holder a = clients.idle("a", IP_A, LOCAL);
        assertNotNull(clients.deregister("a", IP_B, 0L));
        assertEquals(0, effects.disconnectsOf(a));
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertNull(clients.deregister("a", IP_A, 0L));
        assertEquals(1, effects.disconnectsOf(a));
        assertEquals(-1, clients.query("a"));
        assertNotNull(clients.deregister("a", IP_A, 0L), "already gone");
    }

    @Test
    void endSessionOnlyTouchesItsOwnClients() {
        clients.idle("a", IP_A, LOCAL);
        clients.idle("b", IP_B, LOCAL);
        ConnectDecision d = connect("a", "b", IP_A);
        registry.beginSession(d.source(), d.destination(), SESSION);
        registry.endSession(new SessionRef(DirectClients.SERVER, 2), "a", "b");
        assertEquals(Protocol.CSTATE_BUSY, clients.query("a"), "another session's end changes nothing");
        registry.endSession(SESSION, "a", "b");
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"));
        assertEquals(0, registry.busyCount());
    }

    @Test
    void aSessionBegunForARegistrationReplacedMeanwhileLeavesTheNewOneAlone() {
        Holder old = clients.idle("a", IP_A, LOCAL);
        Holder b = clients.idle("b", IP_B, LOCAL);
        ConnectDecision d = connect("a", "b", IP_A); // decided; meanwhile a's holder leaves, a new one registers
        registry.release("a", old);
        clients.probe("a", IP_A, LOCAL);
        registry.beginSession(d.source(), d.destination(), SESSION);
        assertEquals(Protocol.CSTATE_PROBE, clients.query("a"), "the new holder of a is not in the session");
        assertEquals(Protocol.CSTATE_BUSY, clients.query("b"));
        assertEquals(1, registry.busyCount());
        assertEquals(new Peer("b", IP_B, LOCAL, b), d.destination());
    }

    @Test
    void announceIsAnEffectForTheHolder() {
        Holder a = clients.idle("a", IP_A, LOCAL);
        Echo e = new Echo(1, 2, 3, "b", IP_B, Protocol.ROLE_INITIATOR);
        registry.announce(a, e);
        assertEquals(List.of(new RecordingEffects.Announce(a, e)), effects.all());
    }

    @Test
    void closeFreesEveryIdAbortsItsSessionsAndDisconnectsEveryHolder() {
        Holder a = clients.idle("a", IP_A, LOCAL);
        Holder b = clients.idle("b", IP_B, LOCAL);
        Holder p = clients.probe("p", IP_B, LOCAL);
        ConnectDecision d = connect("a", "b", IP_A);
        registry.beginSession(d.source(), d.destination(), SESSION);
        registry.close();
        assertEquals(0, clients.count());
        assertEquals(List.of(SESSION, SESSION), effects.aborts(), "once per client in it");
        for (Holder h : List.of(a, b, p)) {
            assertEquals(1, effects.disconnectsOf(h));
        }
    }
}
