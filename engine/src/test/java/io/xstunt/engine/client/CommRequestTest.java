package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.CommRequest.Action;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CommRequest driven without sockets, on a fake clock. */
class CommRequestTest {
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    long now = 77;

    static byte[] bytes(Msg m) {
        ByteBuffer b = ByteBuffer.allocate(Msg.SIZE);
        m.write(b);
        return b.array();
    }

    CommRequest connected(Msg m) {
        CommRequest r = new CommRequest(m, TIMEOUT);
        r.start(now);
        assertEquals(List.of(new Action.Connect()), r.drainActions());
        r.onConnected(now);
        return r;
    }

    @Test
    void connectReadsTheAnswer() {
        CommRequest r = connected(Msg.connect("alice", "bob"));
        assertArrayEquals(bytes(Msg.connect("alice", "bob")),
                assertInstanceOf(Action.Send.class, r.drainActions().get(0)).bytes());
        r.onBytes(ByteBuffer.wrap(new byte[] {0, 0}));
        assertTrue(r.drainActions().isEmpty(), "half an answer is not an answer");
        r.onBytes(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertEquals(List.of(new Action.Close(), new Action.Answered(-1)), r.drainActions());
        assertTrue(r.deadlineNs().isEmpty());
    }

    @Test
    void answersMapToTheReferenceErrors() {
        assertNull(CommRequest.connectAnswer(0, "bob"));
        assertEquals(ErrorStat.ERR_MATCH, CommRequest.connectAnswer(-1, "bob").code());
        int lan = Ipv4.toInt(Ipv4.parse("192.168.0.7"));
        Failure same = CommRequest.connectAnswer(lan, "bob");
        assertEquals(ErrorStat.ERR_SAME_NAT, same.code());
        assertEquals(lan, same.detail());
        assertEquals(Ipv4.parse("192.168.0.7"), same.peerLocalAddress());
    }

    @Test
    void noAnswerIsErrCommTimeout() {
        CommRequest r = connected(Msg.connect("alice", "bob"));
        r.drainActions();
        r.onTimeout(now + TIMEOUT.toNanos() - 1);
        assertTrue(r.drainActions().isEmpty());
        r.onTimeout(now + TIMEOUT.toNanos());
        List<Action> a = r.drainActions();
        assertEquals(new Action.Close(), a.get(0));
        assertEquals(ErrorStat.ERR_COMM_TIMEOUT, assertInstanceOf(Action.Failed.class, a.get(1)).error().code());
    }

    @Test
    void closedWithoutAnswerIsErrReceiveAndRefusedIsErrConnect() {
        CommRequest r = connected(Msg.connect("alice", "bob"));
        r.drainActions();
        r.onClosed(null);
        assertEquals(ErrorStat.ERR_RECEIVE, assertInstanceOf(Action.Failed.class, r.drainActions().get(1)).error().code());

        r = new CommRequest(Msg.connect("alice", "bob"), TIMEOUT);
        r.start(now);
        r.drainActions();
        r.onConnectFailed("Connection refused");
        assertEquals(ErrorStat.ERR_CONNECT, assertInstanceOf(Action.Failed.class, r.drainActions().get(1)).error().code());
    }

    @Test
    void deregisterIsDeliveredWhenTheFlushedConnectionCloses() {
        CommRequest r = connected(Msg.deregister("alice"));
        List<Action> a = r.drainActions();
        assertArrayEquals(bytes(Msg.deregister("alice")), assertInstanceOf(Action.Send.class, a.get(0)).bytes());
        assertEquals(new Action.CloseAfterFlush(), a.get(1));
        r.onClosed(null);
        assertEquals(List.of(new Action.Delivered()), r.drainActions());
        assertEquals(CommRequest.State.DONE, r.state());

        r = connected(Msg.deregister("alice"));
        r.drainActions();
        r.onClosed("Broken pipe");
        assertEquals(ErrorStat.ERR_SEND, assertInstanceOf(Action.Failed.class, r.drainActions().get(1)).error().code());
    }
}
