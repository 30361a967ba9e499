package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommSessionTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int SERVER_IP = Ipv4.toInt(Ipv4.parse("192.0.2.1"));
    private static final long HANDSHAKE_NS = 1_000_000_000L;

    private final Registry registry = new Registry();
    private final List<Integer> opened = new ArrayList<>();
    private boolean failOpen;
    private final CommService service = new CommService(registry, (id, initiator, listener) -> {
        if (failOpen) {
            throw new IOException("no ports left");
        }
        opened.add(id);
        return new RendezvousHandle() {
            @Override
            public int sessionId() {
                return id;
            }

            @Override
            public int controlPort() {
                return 40000 + id;
            }

            @Override
            public void abort(String reason) {
            }
        };
    }, SERVER_IP);

    private RecordingEndpoint idle(String id, int ip, int localIp) {
        RecordingEndpoint e = new RecordingEndpoint();
        registry.claim(id, ip, e);
        registry.reportState(id, e, Protocol.CSTATE_IDLE, localIp);
        return e;
    }

    private static ByteBuffer bytes(Msg m) {
        ByteBuffer b = ByteBuffer.allocate(Msg.SIZE);
        m.write(b);
        return b.flip();
    }

    /** Runs one comm connection from {@code sourceIp}; returns the INT32 answer or null. */
    private Integer exchange(Msg m, int sourceIp) {
        CommSession s = new CommSession(service, sourceIp, HANDSHAKE_NS);
        s.onOpen(0);
        s.onBytes(bytes(m), 10);
        assertEquals(ProcedureOutput.Closing.AFTER_FLUSH, s.output().closing(), "closed after any message");
        assertEquals(CommSession.State.ANSWERED, s.state());
        ByteBuffer reply = s.output().pollTransmit();
        assertNull(s.output().pollTransmit());
        if (reply == null) {
            return null;
        }
        assertEquals(4, reply.remaining());
        return reply.getInt();
    }

    @Test
    void connectAcceptedAnnouncesToBothSides() {
        RecordingEndpoint a = idle("a", IP_A, 11);
        RecordingEndpoint b = idle("b", IP_B, 12);
        assertEquals(0, exchange(Msg.connect("a", "b"), IP_A));
        assertEquals(List.of(1), opened);
        assertEquals(List.of(new Echo(SERVER_IP, 40001, 1, "b", IP_B, Protocol.ROLE_INITIATOR)), a.announcements);
        assertEquals(List.of(new Echo(SERVER_IP, 40001, 1, "a", IP_A, Protocol.ROLE_LISTENER)), b.announcements);
        assertEquals(Protocol.CSTATE_BUSY, registry.query("a"));
        assertEquals(Protocol.CSTATE_BUSY, registry.query("b"));
        assertEquals(-1, exchange(Msg.connect("b", "a"), IP_B), "both are BUSY now");

        idle("c", IP_A, 13);
        idle("d", IP_B, 14);
        assertEquals(0, exchange(Msg.connect("c", "d"), IP_A));
        assertEquals(List.of(1, 2), opened, "session ids count up from 1");
    }

    @Test
    void noMatchCases() {
        idle("a", IP_A, 11);
        idle("b", IP_B, 12);
        assertEquals(-1, exchange(Msg.connect("a", "nobody"), IP_A));
        assertEquals(-1, exchange(Msg.connect("a", "a"), IP_A));
        assertEquals(-1, exchange(Msg.connect("ghost", "b"), IP_A));
        assertEquals(-1, exchange(Msg.connect("a", "b"), IP_B), "source IP is not a's");
        assertEquals(List.of(), opened);
        failOpen = true;
        assertEquals(-1, exchange(Msg.connect("a", "b"), IP_A), "no control listener: no match");
        assertEquals(Protocol.CSTATE_IDLE, registry.query("a"));
    }

    /** An ID held, whose LogState has not arrived. */
    private RecordingEndpoint pending(String id, int ip) {
        RecordingEndpoint e = new RecordingEndpoint();
        registry.claim(id, ip, e);
        return e;
    }

    /** A comm connection from IP_A that received {@code m} at time 10. */
    private CommSession connectAt10(Msg m) {
        CommSession s = new CommSession(service, IP_A, HANDSHAKE_NS);
        s.onOpen(0);
        s.onBytes(bytes(m), 10);
        return s;
    }

    @Test
    void aConnectNamingAnIdWhoseStateIsStillOnItsWayWaitsForIt() {
        // an original client: XInit returned once LogState(IDLE) was written; the server has not read it
        RecordingEndpoint a = pending("a", IP_A);
        idle("b", IP_B, 12);
        CommSession s = connectAt10(Msg.connect("a", "b"));
        assertEquals(CommSession.State.AWAIT_STATE, s.state());
        assertNull(s.output().pollTransmit(), "no answer yet");
        assertEquals(10 + CommSession.RETRY_NS, s.output().deadlineNs());
        s.onTimeout(10 + CommSession.RETRY_NS);
        assertEquals(CommSession.State.AWAIT_STATE, s.state(), "still pending: asks again later");
        registry.reportState("a", a, Protocol.CSTATE_IDLE, 11);
        s.onTimeout(10 + 2 * CommSession.RETRY_NS);
        assertEquals(CommSession.State.ANSWERED, s.state());
        assertEquals(0, s.output().pollTransmit().getInt(), "accepted once the state arrived");
        assertEquals(List.of(1), opened);
        assertNull(s.output().pollRejection());

        // the destination's state, likewise; one that never comes is -1 after the bounded wait
        pending("c", IP_B);
        idle("d", IP_A, 13);
        CommSession late = connectAt10(Msg.connect("d", "c"));
        long waitEnd = 10 + Math.min(HANDSHAKE_NS, CommSession.PENDING_WAIT_NS);
        long t = 10;
        while (late.state() == CommSession.State.AWAIT_STATE) {
            assertTrue(late.output().deadlineNs() - waitEnd <= 0, "never past the bound");
            t = late.output().deadlineNs();
            late.onTimeout(t);
        }
        assertEquals(waitEnd, t);
        assertEquals(-1, late.output().pollTransmit().getInt());
        assertEquals(Rejection.REGISTRATION_PENDING, late.output().pollRejection());
        assertEquals(ProcedureOutput.Closing.AFTER_FLUSH, late.output().closing());

        // a PROBE state that did arrive is no reason to wait: -1 at once, as before
        RecordingEndpoint e = pending("e", IP_B);
        registry.reportState("e", e, Protocol.CSTATE_PROBE, 14);
        assertEquals(-1, exchange(Msg.connect("d", "e"), IP_A));
    }

    @Test
    void sameNatAnswersDestinationsLocalIp() {
        idle("a", IP_A, 11);
        RecordingEndpoint b = idle("b", IP_A, Ipv4.toInt(Ipv4.parse("10.1.2.3")));
        assertEquals(Ipv4.toInt(Ipv4.parse("10.1.2.3")), exchange(Msg.connect("a", "b"), IP_A));
        assertEquals(List.of(), b.announcements);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("b"));
    }

    @Test
    void queryAnswersStateOrMinusOne() {
        idle("a", IP_A, 11);
        registry.claim("p", IP_B, new RecordingEndpoint());
        assertEquals(Protocol.CSTATE_IDLE, exchange(Msg.query("a"), IP_B));
        assertEquals(Protocol.CSTATE_PROBE, exchange(Msg.query("p"), IP_B));
        assertEquals(-1, exchange(Msg.query("zed"), IP_B));
    }

    @Test
    void deregisterByHolderOnlyAndNoAnswer() {
        RecordingEndpoint a = idle("a", IP_A, 11);
        CommSession stranger = new CommSession(service, IP_B, HANDSHAKE_NS);
        stranger.onOpen(0);
        stranger.onBytes(bytes(Msg.deregister("a")), 0);
        assertNull(stranger.output().pollTransmit());
        assertEquals(Rejection.DEREGISTER_DENIED, stranger.output().pollRejection());
        assertEquals(Protocol.CSTATE_IDLE, registry.query("a"));

        assertNull(exchange(Msg.deregister("a"), IP_A));
        assertEquals(-1, registry.query("a"));
        assertEquals(1, a.disconnects);
    }

    @Test
    void badMsgClosesAtOnce() {
        CommSession s = new CommSession(service, IP_A, HANDSHAKE_NS);
        s.onOpen(0);
        ByteBuffer b = ByteBuffer.allocate(Msg.SIZE).putInt(0, 4242);
        s.onBytes(b, 0);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.BAD_BYTES, s.output().pollRejection());
        assertFalse(s.output().hasTransmit());
    }

    @Test
    void partialMsgWaitsThenTimesOut() {
        CommSession s = new CommSession(service, IP_A, HANDSHAKE_NS);
        s.onOpen(0);
        ByteBuffer part = ByteBuffer.allocate(Msg.SIZE - 1);
        s.onBytes(part, 5);
        assertEquals(Msg.SIZE - 1, part.remaining(), "nothing consumed");
        assertSame(ProcedureOutput.Closing.OPEN, s.output().closing());
        s.onTimeout(HANDSHAKE_NS);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.HANDSHAKE_TIMEOUT, s.output().pollRejection());
    }

    @Test
    void bytesAfterTheMsgAreCounted() {
        idle("a", IP_A, 11);
        CommSession s = new CommSession(service, IP_B, HANDSHAKE_NS);
        s.onOpen(0);
        ByteBuffer b = ByteBuffer.allocate(Msg.SIZE + 3);
        Msg.query("a").write(b);
        s.onBytes(b.position(b.capacity()).flip(), 0);
        assertEquals(0, b.remaining());
        assertEquals(Rejection.UNEXPECTED_DATA, s.output().pollRejection());
        assertEquals(Protocol.CSTATE_IDLE, s.output().pollTransmit().getInt());
    }
}
