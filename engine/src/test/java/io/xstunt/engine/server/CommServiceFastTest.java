package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.FastRefusal;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.net.Inet4Address;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The communication service's FAST decisions without sockets (docs/PROTOCOL.md "FAST"): a request
 * gets a go to both, a normal session at once, or a refusal; a fail-over starts the normal session
 * once, whichever side sends it.
 */
class CommServiceFastTest {
    private static final Inet4Address A = Ipv4.parse("198.51.100.1");
    private static final Inet4Address B = Ipv4.parse("198.51.100.2");
    private static final int IP_A = Ipv4.toInt(A);
    private static final int IP_B = Ipv4.toInt(B);
    private static final long MS = 1_000_000;

    private final CommRequests comm = new CommRequests(1_000_000_000L, 3, 5);
    private final ScriptedServer server = comm.server;
    private Holder a;
    private Holder b;

    private void idlePair(boolean bFast, boolean bPreserving) {
        a = comm.clients.idle("a", IP_A, 11);
        b = comm.clients.idle("b", IP_B, 12);
        server.fast.put(a, new FastPlan.Client(A, 40000, true, true, 20 * MS));
        server.fast.put(b, new FastPlan.Client(B, 41000, bFast, bPreserving, 60 * MS));
    }

    private void request(Holder from, String src, String dst, int port) {
        comm.service.fast(from, from == a ? IP_A : IP_B, 0, src, new FastLine.Connect(dst, port));
    }

    @Test
    void twoFastPreservingPeersGetAGoEachAndNoSession() {
        idlePair(true, true);
        request(a, "a", "b", 40001);
        assertEquals(List.of(), server.opened, "no session on the server");
        assertEquals(List.of(), comm.effects.all(), "no announcement");
        assertEquals(2, server.fastWritten.size());
        Map.Entry<Holder, Object> toA = server.fastWritten.get(0);
        Map.Entry<Holder, Object> toB = server.fastWritten.get(1);
        assertEquals(a, toA.getKey());
        assertEquals(b, toB.getKey());
        FastGo goA = (FastGo) toA.getValue();
        FastGo goB = (FastGo) toB.getValue();
        assertEquals(IP_B, goA.peerIp());
        assertEquals(41000, goA.peerPort(), "the listener's punch port from its capability");
        assertEquals(IP_A, goB.peerIp());
        assertEquals(40001, goB.peerPort(), "the initiator's punch port from its request");
        assertTrue(goA.initiator());
        assertEquals("b", goA.peerId());
        assertEquals("a", goB.peerId());
        assertEquals(goA.session(), goB.session());
        // the initiator is the nearer (20 ms against 60): it waits half the difference
        assertEquals(20 * MS, goA.startOffsetNs());
        assertEquals(0, goB.startOffsetNs());
        assertEquals(List.of(b), server.announcementsTaken, "the listener's budget pays for the go");
        assertEquals(List.of(Protocol.COMM_ACCEPTED), server.fastAnswers, "counted as an accepted MSG_CONNECT");
    }

    @Test
    void aPeerWithoutFastOrNotPreservingGetsTheNormalSessionAtOnce() {
        idlePair(false, true);
        request(a, "a", "b", 40001);
        assertEquals(List.of(new SessionRef(DirectClients.SERVER, 1)), server.opened);
        assertEquals(2, comm.effects.all().size(), "both announced");
        assertEquals(List.of(), server.fastWritten, "no go, no refusal");
        assertTrue(server.fastDeclines.get(0).contains("NOT_FAST"), server.fastDeclines.toString());
    }

    @Test
    void aNotPreservingPeerGetsTheNormalSessionAtOnce() {
        idlePair(true, false);
        request(a, "a", "b", 40001);
        assertEquals(1, server.opened.size());
        assertTrue(server.fastDeclines.get(0).contains("NOT_PORT_PRESERVING"), server.fastDeclines.toString());
    }

    @Test
    void aPeerOfAnotherServerGetsTheNormalSession() {
        idlePair(true, true);
        server.fast.remove(b); // not held here: no round trip of it
        request(a, "a", "b", 40001);
        assertEquals(1, server.opened.size());
        assertEquals(List.of(), server.fastWritten);
    }

    @Test
    void anUnknownPeerIsRefusedOnTheLogConnectionAsMsgConnectWouldBe() {
        idlePair(true, true);
        request(a, "a", "nobody", 40001);
        assertEquals(List.of(Map.entry(a, (Object) new FastRefusal(Protocol.COMM_NO_MATCH, "nobody"))),
                server.fastWritten);
        assertEquals(List.of(), server.opened);
        assertEquals(List.of(Protocol.COMM_NO_MATCH), server.fastAnswers);
    }

    @Test
    void theSessionLimitRefusesTheNormalSessionOnTheLogConnection() {
        idlePair(false, true);
        server.inFlight = 3;
        request(a, "a", "b", 40001);
        assertEquals(List.of(Map.entry(a, (Object) new FastRefusal(Protocol.COMM_NO_MATCH, "b"))), server.fastWritten);
        assertTrue(server.fastDeclines.stream().anyMatch(d -> d.startsWith("SESSION_LIMIT")), server.fastDeclines.toString());
    }

    @Test
    void aFailOverStartsTheNormalSessionOnceWhicheverSideSendsIt() {
        idlePair(true, true);
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        comm.service.fast(b, IP_B, 0, "b", new FastLine.FailOver(session, "no connection within 400 ms"));
        assertEquals(1, server.opened.size(), "the normal session");
        assertEquals(2, comm.effects.all().size(), "announced to both");
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session, "no connection within 400 ms"));
        assertEquals(1, server.opened.size(), "once");
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session + 7, "unknown"));
        assertEquals(1, server.opened.size(), "an unknown session starts nothing");
    }

    @Test
    void aFailOverFromAThirdClientStartsNothing() {
        idlePair(true, true);
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        Holder c = comm.clients.idle("c", Ipv4.toInt(Ipv4.parse("198.51.100.3")), 13);
        comm.service.fast(c, 0, 0, "c", new FastLine.FailOver(session, "not mine"));
        assertEquals(List.of(), server.opened);
        assertInstanceOf(FastGo.class, server.fastWritten.get(1).getValue());
    }

    @Test
    void theFirstReportOfAWonPunchEndsTheSessionDirectAndFreesItsSlot() {
        idlePair(true, true);
        server.nowNs = 5_000 * MS;
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        assertEquals(1, comm.service.fastInFlight(), "in flight from the go on");
        assertEquals(List.of(5_000 * MS + CommRequests.FAST_TIMEOUT.toNanos()), server.fastExpiries);
        server.nowNs += 7 * MS;
        comm.service.fast(b, IP_B, 0, "b", new FastLine.Done(session));
        assertEquals(0, comm.service.fastInFlight());
        assertEquals(1, server.fastEnded.size());
        SessionSummary s = server.fastEnded.get(0).getKey();
        assertEquals(ServerCounters.Outcome.ENDED, server.fastEnded.get(0).getValue());
        assertEquals(session, s.sessionId());
        assertEquals("a", s.initiatorId());
        assertEquals("b", s.listenerId());
        assertEquals(SessionSummary.Path.DIRECT, s.path());
        assertEquals(SessionSummary.FAST, s.strategy());
        assertEquals(Map.of("punch", java.time.Duration.ofMillis(7)), s.phases());
        assertEquals(0, s.bytesFromInitiator() + s.bytesFromListener(), "no control channel");
        comm.service.fast(a, IP_A, 0, "a", new FastLine.Done(session));
        comm.service.fast(b, IP_B, 0, "b", new FastLine.FailOver(session, "late"));
        assertEquals(1, server.fastEnded.size(), "ended once");
        assertEquals(List.of(), server.opened, "the reporter's own fail-over after its report starts nothing");
    }

    @Test
    void aFailOverOfTheOtherSideAfterAReportStillStartsTheNormalSessionOnce() {
        idlePair(true, true);
        server.nowNs = 1_000 * MS;
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        comm.service.fast(b, IP_B, 0, "b", new FastLine.Done(session));
        Holder c = comm.clients.idle("c", Ipv4.toInt(Ipv4.parse("198.51.100.3")), 13);
        comm.service.fast(c, 0, 0, "c", new FastLine.FailOver(session, "not mine"));
        assertEquals(List.of(), server.opened, "a stranger's fail-over starts nothing");
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session, "window ended during the handshake"));
        assertEquals(1, server.opened.size(), "the side without a connection gets the normal session");
        assertEquals(2, comm.effects.all().size(), "announced to both");
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session, "again"));
        assertEquals(1, server.opened.size(), "once");
    }

    @Test
    void aLateFailOverAfterTheSessionTimeoutStartsNothing() {
        idlePair(true, true);
        server.nowNs = 1_000 * MS;
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        comm.service.fast(b, IP_B, 0, "b", new FastLine.Done(session));
        comm.service.expireFast(server.fastExpiries.get(0));
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session, "too late"));
        assertEquals(List.of(), server.opened, "forgotten at the session timeout");
    }

    @Test
    void aReportFromAThirdClientEndsNothing() {
        idlePair(true, true);
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        Holder c = comm.clients.idle("c", Ipv4.toInt(Ipv4.parse("198.51.100.3")), 13);
        comm.service.fast(c, 0, 0, "c", new FastLine.Done(session));
        assertEquals(List.of(), server.fastEnded);
        assertEquals(1, comm.service.fastInFlight());
    }

    @Test
    void aFailedOverSessionIsNoLongerInFlightAndReportsNothingItself() {
        idlePair(true, true);
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        comm.service.fast(a, IP_A, 0, "a", new FastLine.FailOver(session, "no connection within 400 ms"));
        assertEquals(0, comm.service.fastInFlight(), "the normal session is the pair's session now");
        assertEquals(List.of(), server.fastEnded, "the normal session reports the pair");
    }

    @Test
    void withoutAReportTheSessionEndsUnreportedAtTheTimeout() {
        idlePair(true, true);
        server.nowNs = 1_000 * MS;
        request(a, "a", "b", 40001);
        long deadline = server.fastExpiries.get(0);
        comm.service.expireFast(deadline - 1);
        assertEquals(1, comm.service.fastInFlight(), "not before its timeout");
        comm.service.expireFast(deadline);
        assertEquals(0, comm.service.fastInFlight());
        assertEquals(SessionSummary.Path.UNREPORTED, server.fastEnded.get(0).getKey().path());
        assertEquals(ServerCounters.Outcome.TIMED_OUT, server.fastEnded.get(0).getValue());
    }

    @Test
    void aSideThatLeavesBeforeAnyReportEndsItsSessionUnreportedAtOnce() {
        idlePair(true, true);
        server.nowNs = 2_000 * MS;
        request(a, "a", "b", 40001);
        int session = ((FastGo) server.fastWritten.get(0).getValue()).session();
        Holder c = comm.clients.idle("c", Ipv4.toInt(Ipv4.parse("198.51.100.3")), 13);
        comm.service.left(c);
        assertEquals(1, comm.service.fastInFlight(), "a third client's departure ends nothing");
        server.nowNs += 30 * MS;
        comm.service.left(b);
        assertEquals(0, comm.service.fastInFlight(), "not held until the timeout");
        assertEquals(1, server.fastEnded.size());
        SessionSummary s = server.fastEnded.get(0).getKey();
        assertEquals(session, s.sessionId());
        assertEquals(SessionSummary.Path.UNREPORTED, s.path());
        assertEquals(ServerCounters.Outcome.ABORTED, server.fastEnded.get(0).getValue());
        assertTrue(s.endReason().contains("listener left"), s.endReason());
        comm.service.left(a);
        comm.service.fast(a, IP_A, 0, "a", new FastLine.Done(session));
        comm.service.expireFast(server.fastExpiries.get(0));
        assertEquals(1, server.fastEnded.size(), "ended once");
    }

    @Test
    void fastSessionsCountAgainstTheSessionLimit() {
        idlePair(true, true);
        server.inFlight = 2; // limit 3
        request(a, "a", "b", 40001);
        assertInstanceOf(FastGo.class, server.fastWritten.get(0).getValue(), "the third session");
        request(a, "a", "b", 40002);
        assertEquals(new FastRefusal(Protocol.COMM_NO_MATCH, "b"), server.fastWritten.get(2).getValue(),
                "a fourth is refused as MSG_CONNECT is");
        assertTrue(server.fastDeclines.stream().anyMatch(d -> d.startsWith("SESSION_LIMIT")), server.fastDeclines.toString());
    }
}
