package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The communication service's procedure, driven by hand with a real {@link CommService} deciding. */
class CommResponderTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final long HANDSHAKE_NS = 1_000_000_000L;

    private final CommRequests comm = new CommRequests(HANDSHAKE_NS, 100, 5);

    private Integer exchange(Msg m, int sourceIp) {
        return comm.exchange(m, sourceIp);
    }

    @Test
    void connectAcceptedAnnouncesToBothSides() {
        Holder a = comm.clients.idle("a", IP_A, 11);
        Holder b = comm.clients.idle("b", IP_B, 12);
        assertEquals(0, exchange(Msg.connect("a", "b"), IP_A));
        assertEquals(List.of(1), comm.server.openedIds());
        int port = ScriptedServer.controlPort(1);
        assertEquals(List.of(new Echo(CommRequests.CONTROL_IP, port, 1, "b", IP_B, Protocol.ROLE_INITIATOR)),
                comm.effects.announcementsTo(a));
        assertEquals(List.of(new Echo(CommRequests.CONTROL_IP, port, 1, "a", IP_A, Protocol.ROLE_LISTENER)),
                comm.effects.announcementsTo(b));
        assertEquals(Protocol.CSTATE_BUSY, comm.clients.query("a"));
        assertEquals(Protocol.CSTATE_BUSY, comm.clients.query("b"));
        assertEquals(-1, exchange(Msg.connect("b", "a"), IP_B), "both are BUSY now");

        comm.clients.idle("c", IP_A, 13);
        comm.clients.idle("d", IP_B, 14);
        assertEquals(0, exchange(Msg.connect("c", "d"), IP_A));
        assertEquals(List.of(1, 2), comm.server.openedIds(), "session ids count up from 1");
    }

    @Test
    void noMatchCases() {
        comm.clients.idle("a", IP_A, 11);
        comm.clients.idle("b", IP_B, 12);
        assertEquals(-1, exchange(Msg.connect("a", "nobody"), IP_A));
        assertEquals(-1, exchange(Msg.connect("a", "a"), IP_A));
        assertEquals(-1, exchange(Msg.connect("ghost", "b"), IP_A));
        assertEquals(-1, exchange(Msg.connect("a", "b"), IP_B), "source IP is not a's");
        assertEquals(List.of(), comm.server.opened);
        comm.server.noListener = true;
        assertEquals(-1, exchange(Msg.connect("a", "b"), IP_A), "no control listener: no match");
        assertEquals(Protocol.CSTATE_IDLE, comm.clients.query("a"));
        assertEquals(List.of(), comm.effects.all(), "nothing announced");
    }

    /** A comm connection from IP_A that received {@code m} 10 ns after it opened. */
    private CommResponder connectAfter10(Msg m) {
        CommResponder s = comm.open(IP_A);
        comm.now += 10;
        comm.feed(s, m);
        return s;
    }

    @Test
    void aConnectNamingAnIdWhoseStateIsStillOnItsWayWaitsForIt() {
        // an original client: XInit returned once LogState(IDLE) was written; the server has not read it
        Holder a = comm.clients.pending("a", IP_A);
        comm.clients.idle("b", IP_B, 12);
        long start = comm.now + 10;
        CommResponder s = connectAfter10(Msg.connect("a", "b"));
        assertEquals(CommResponder.State.AWAIT_STATE, s.state());
        assertNull(CommRequests.reply(s), "no answer yet");
        assertEquals(start + CommResponder.RETRY_NS, s.deadlineNs());
        comm.timeout(s, start + CommResponder.RETRY_NS);
        assertEquals(CommResponder.State.AWAIT_STATE, s.state(), "still pending: asks again later");
        comm.registry.reportState("a", a, Protocol.CSTATE_IDLE, 11);
        comm.timeout(s, start + 2 * CommResponder.RETRY_NS);
        assertEquals(CommResponder.State.ANSWERED, s.state());
        assertEquals(0, CommRequests.reply(s).getInt(), "accepted once the state arrived");
        assertEquals(List.of(1), comm.server.openedIds());
        assertEquals(List.of(), comm.refusals(s));

        // the destination's state, likewise; one that never comes is -1 after the bounded wait
        comm.clients.pending("c", IP_B);
        comm.clients.idle("d", IP_A, 13);
        long begin = comm.now + 10;
        CommResponder late = connectAfter10(Msg.connect("d", "c"));
        long waitEnd = begin + Math.min(HANDSHAKE_NS, CommResponder.PENDING_WAIT_NS);
        long t = begin;
        long rounds = Math.min(HANDSHAKE_NS, CommResponder.PENDING_WAIT_NS) / CommResponder.RETRY_NS + 1;
        for (long i = 0; late.state() == CommResponder.State.AWAIT_STATE; i++) {
            assertTrue(i <= rounds, "asked again more than " + rounds + " times");
            assertTrue(late.deadlineNs() - waitEnd <= 0, "never past the bound");
            assertTrue(late.deadlineNs() - t > 0, "each time later");
            t = late.deadlineNs();
            comm.timeout(late, t);
        }
        assertEquals(waitEnd, t);
        assertEquals(-1, CommRequests.reply(late).getInt());
        assertEquals(List.of(Rejection.REGISTRATION_PENDING), comm.refusals(late));
        assertEquals(Closing.AFTER_FLUSH, late.outbound(0).closing());

        // a PROBE state that did arrive is no reason to wait: -1 at once, as before
        comm.clients.probe("e", IP_B, 14);
        assertEquals(-1, exchange(Msg.connect("d", "e"), IP_A));
    }

    @Test
    void sameNatAnswersDestinationsLocalIp() {
        comm.clients.idle("a", IP_A, 11);
        Holder b = comm.clients.idle("b", IP_A, Ipv4.toInt(Ipv4.parse("10.1.2.3")));
        assertEquals(Ipv4.toInt(Ipv4.parse("10.1.2.3")), exchange(Msg.connect("a", "b"), IP_A));
        assertEquals(List.of(), comm.effects.announcementsTo(b));
        assertEquals(Protocol.CSTATE_IDLE, comm.clients.query("b"));
    }

    @Test
    void queryAnswersStateOrMinusOne() {
        comm.clients.idle("a", IP_A, 11);
        comm.clients.pending("p", IP_B);
        assertEquals(Protocol.CSTATE_IDLE, exchange(Msg.query("a"), IP_B));
        assertEquals(Protocol.CSTATE_PROBE, exchange(Msg.query("p"), IP_B));
        assertEquals(-1, exchange(Msg.query("zed"), IP_B));
    }

    @Test
    void deregisterByHolderOnlyAndNoAnswer() {
        Holder a = comm.clients.idle("a", IP_A, 11);
        CommResponder stranger = comm.open(IP_B);
        comm.feed(stranger, Msg.deregister("a"));
        assertNull(CommRequests.reply(stranger));
        assertEquals(List.of(Rejection.DEREGISTER_DENIED), comm.refusals(stranger));
        assertEquals(Protocol.CSTATE_IDLE, comm.clients.query("a"));

        assertNull(exchange(Msg.deregister("a"), IP_A));
        assertEquals(-1, comm.clients.query("a"));
        assertEquals(1, comm.effects.disconnectsOf(a));
    }

    @Test
    void badMsgClosesAtOnce() {
        CommResponder s = comm.open(IP_A);
        comm.feed(s, ByteBuffer.allocate(WireVariant.ID32.msgSize()).putInt(0, 4242));
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertEquals(List.of(Rejection.BAD_BYTES), comm.refusals(s));
        assertFalse(s.outbound(0).hasTransmit());
        comm.close(s);
        assertEquals(List.of(), comm.refusals(s), "no TRUNCATED besides");
    }

    @Test
    void partialMsgWaitsThenTimesOut() {
        CommResponder s = comm.open(IP_A);
        long start = comm.now;
        ByteBuffer part = ByteBuffer.allocate(WireVariant.ID32.msgSize() - 1);
        comm.now += 5;
        comm.feed(s, part);
        assertEquals(WireVariant.ID32.msgSize() - 1, part.remaining(), "nothing consumed");
        assertEquals(Closing.OPEN, s.outbound(0).closing());
        comm.timeout(s, start + HANDSHAKE_NS);
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertEquals(List.of(Rejection.HANDSHAKE_TIMEOUT), comm.refusals(s));
        comm.close(s);
        // changed on purpose: a refusal that closes counts only itself, no TRUNCATED besides
        assertEquals(List.of(), comm.refusals(s));
    }

    @Test
    void aPeerThatClosesBeforeAWholeMsgIsTruncated() {
        CommResponder s = comm.open(IP_A);
        comm.feed(s, ByteBuffer.allocate(3));
        comm.close(s);
        assertEquals(List.of(Rejection.TRUNCATED), comm.refusals(s));
        assertEquals(CommResponder.State.CLOSED, s.state());
        assertFalse(s.hasDeadline());
    }

    @Test
    void bytesAfterTheMsgAreCounted() {
        comm.clients.idle("a", IP_A, 11);
        CommResponder s = comm.open(IP_B);
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.msgSize() + 3);
        Msg.query("a").write(b, WireVariant.ID32);
        comm.feed(s, b.position(b.capacity()).flip());
        assertEquals(0, b.remaining());
        assertEquals(List.of(Rejection.UNEXPECTED_DATA), comm.refusals(s));
        assertEquals(Protocol.CSTATE_IDLE, CommRequests.reply(s).getInt());
    }

    @Test
    void theHolderTokenAfterTheStructGoesWithTheMsg() {
        comm.clients.idle("t", IP_A, 11, 7L);
        comm.clients.idle("b", IP_B, 12);
        CommResponder s = comm.open(IP_A);
        ByteBuffer withToken = CommRequests.bytes(Msg.connect("t", "b").withToken(7L));
        ByteBuffer structOnly = withToken.slice(0, WireVariant.ID32.msgSize());
        comm.feed(s, structOnly);
        assertEquals(CommResponder.State.AWAIT_MSG, s.state(), "waits for the token its type field announces");
        comm.feed(s, withToken);
        assertEquals(0, CommRequests.reply(s).getInt(), "proven the holder");
        assertEquals(-1, exchange(Msg.connect("b", "t"), IP_B), "t is BUSY");
    }

    @Test
    void aDecisionThatNeverComesIsBounded() {
        comm.clients.idle("a", IP_A, 11);
        comm.withholdDecisions();
        CommResponder s = comm.open(IP_A);
        long start = comm.now;
        comm.now += 10;
        comm.feed(s, Msg.query("a"));
        assertEquals(CommResponder.State.DECIDING, s.state());
        assertEquals(start + 10 + HANDSHAKE_NS, s.deadlineNs(), "the decision's own bound");
        comm.timeout(s, start + 10 + HANDSHAKE_NS - 1);
        assertEquals(Closing.OPEN, s.outbound(0).closing(), "an early wake-up changes nothing");
        comm.timeout(s, start + 10 + HANDSHAKE_NS);
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertNull(CommRequests.reply(s));
        comm.close(s);
        assertEquals(CommResponder.State.CLOSED, s.state());
        assertFalse(s.hasDeadline());

        comm.decide(); // the answer comes after all
        assertNull(CommRequests.reply(s), "nothing is answered on a closed connection");
        assertEquals(CommResponder.State.CLOSED, s.state());
        assertEquals(List.of(Rejection.HANDSHAKE_TIMEOUT), comm.refusals(s), "the late registry is counted once");
    }

    @Test
    void aDecisionThatComesLaterIsAnsweredAsAtOnce() {
        comm.clients.idle("a", IP_A, 11);
        comm.clients.idle("b", IP_B, 12);
        comm.withholdDecisions();
        CommResponder s = comm.open(IP_A);
        comm.feed(s, Msg.connect("a", "b"));
        assertNull(CommRequests.reply(s));
        comm.now += 1_000;
        comm.decide();
        assertEquals(CommResponder.State.ANSWERED, s.state());
        assertEquals(0, CommRequests.reply(s).getInt());
        assertEquals(Closing.AFTER_FLUSH, s.outbound(0).closing());
        assertEquals(comm.now + HANDSHAKE_NS, s.deadlineNs(), "the answer's flush is bounded from when it came");
        assertEquals(List.of(1), comm.server.openedIds());
    }
}
