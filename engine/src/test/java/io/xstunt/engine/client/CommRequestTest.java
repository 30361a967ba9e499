package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.CommRequest.Action;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** CommRequest driven by hand: no sockets, a fake clock. */
class CommRequestTest {
    static final Duration TIMEOUT = Duration.ofSeconds(2);
    static final InetSocketAddress LOCAL = new InetSocketAddress("192.168.1.20", 40200);
    static final long START = 77;

    CommRequest r;
    ByHand<Action> hand;

    static byte[] bytes(Msg m) {
        ByteBuffer b = ByteBuffer.allocate(m.encodedSize(WireVariant.ID32));
        m.write(b, WireVariant.ID32);
        return b.array();
    }

    /** Starts a request for {@code m}: it asks for its connection. */
    void start(Msg m) {
        r = new CommRequest(m, WireVariant.ID32, TIMEOUT);
        hand = new ByHand<>(r, START);
        assertEquals(new Action.Connect(), hand.feed(r::start).only(Action.Connect.class));
        assertEquals(START + TIMEOUT.toNanos(), hand.deadline().orElseThrow(), "the whole request is bounded");
    }

    /** Starts a request for {@code m} and connects it; @return what the connect produced */
    Outputs<Action> connected(Msg m) {
        start(m);
        return hand.connected(0, LOCAL);
    }

    @Test
    void connectWritesTheMessageAndReadsTheAnswer() {
        Outputs<Action> o = connected(Msg.connect("alice", "bob"));
        assertArrayEquals(bytes(Msg.connect("alice", "bob")), o.sentBytes(0));
        assertTrue(o.actions().isEmpty());
        assertEquals(Closing.OPEN, o.closing(0));
        ByteBuffer half = ByteBuffer.wrap(new byte[] {0, 0});
        assertTrue(hand.bytes(0, half).quiet(), "half an answer is not an answer");
        assertEquals(0, half.position());
        o = hand.bytes(0, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertEquals(new Action.Answered(-1), o.only(Action.Answered.class));
        assertEquals(Closing.NOW, o.closing(0), "the answer read, the connection closes at once");
        assertTrue(hand.deadline().isEmpty());
        assertEquals(CommRequest.State.DONE, r.state());
        assertTrue(hand.closed(0, null).quiet(), "the close it asked for is no second outcome");
    }

    @Test
    void theHolderTokenTravelsWithTheMessage() {
        Msg m = Msg.connect("alice", "bob").withToken(0x1234_5678_9abcL);
        assertArrayEquals(bytes(m), connected(m).sentBytes(0));
    }

    @Test
    void answersMapToTheReferenceErrors() {
        assertNull(CommRequest.connectAnswer(0, "bob"));
        assertEquals(ErrorStat.ERR_MATCH, CommRequest.connectAnswer(-1, "bob").code());
        int lan = Ipv4.toInt(Ipv4.parse("192.168.0.7"));
        Failure same = CommRequest.connectAnswer(lan, "bob");
        assertEquals(ErrorStat.ERR_SAME_NAT, same.code());
        // pnErrCode as the original reads the answer on x86: c0 a8 00 07 as a little-endian INT32
        assertEquals(0x0700A8C0, same.detail());
        assertEquals(192, same.detail() & 0xff, "the address's first byte in the low byte");
        assertEquals(Ipv4.parse("192.168.0.7"), same.peerLocalAddress());
    }

    @Test
    void noAnswerIsErrCommTimeout() {
        connected(Msg.connect("alice", "bob"));
        assertTrue(hand.justBeforeDeadline().quiet());
        Outputs<Action> o = hand.atDeadline();
        assertEquals(Closing.NOW, o.closing(0));
        assertEquals(ErrorStat.ERR_COMM_TIMEOUT, o.only(Action.Failed.class).error().code());
        assertEquals(CommRequest.State.FAILED, r.state());
    }

    @Test
    void closedWithoutAnswerIsErrReceiveAndRefusedIsErrConnect() {
        connected(Msg.connect("alice", "bob"));
        Outputs<Action> o = hand.closed(0, null);
        assertEquals(ErrorStat.ERR_RECEIVE, o.only(Action.Failed.class).error().code());

        start(Msg.connect("alice", "bob"));
        o = hand.connectFailed(0, "Connection refused");
        assertEquals(ErrorStat.ERR_CONNECT, o.only(Action.Failed.class).error().code());
        assertEquals(Closing.NOW, o.closing(0));

        start(Msg.connect("alice", "bob"));
        assertEquals(ErrorStat.ERR_CONNECT, hand.closed(0, "java.net.ConnectException: Connection refused")
                .only(Action.Failed.class).error().code(), "a connect that fails is reported as a close");
    }

    @Test
    void deregisterIsDeliveredWhenTheFlushedConnectionCloses() {
        Outputs<Action> o = connected(Msg.deregister("alice"));
        assertArrayEquals(bytes(Msg.deregister("alice")), o.sentBytes(0));
        assertEquals(Closing.AFTER_FLUSH, o.closing(0));
        assertTrue(o.actions().isEmpty());
        assertTrue(hand.bytes(0, new byte[] {1, 2, 3, 4}).quiet(), "no answer is read");
        assertEquals(new Action.Delivered(), hand.closed(0, null).only(Action.Delivered.class));
        assertEquals(CommRequest.State.DONE, r.state());
        assertTrue(hand.deadline().isEmpty());

        connected(Msg.deregister("alice"));
        assertEquals(ErrorStat.ERR_SEND, hand.closed(0, "Broken pipe").only(Action.Failed.class).error().code());
    }

    @Test
    void abortFailsOnceWithTheGivenError() {
        connected(Msg.connect("alice", "bob"));
        Failure gone = new Failure(ErrorStat.ERR_RECEIVE, 0, "server gone");
        Outputs<Action> o = hand.feed(n -> r.abort(gone));
        assertSame(gone, o.only(Action.Failed.class).error());
        assertEquals(Closing.NOW, o.closing(0));
        assertTrue(hand.deadline().isEmpty());
        assertTrue(hand.closed(0, null).quiet());
        assertTrue(hand.feed(n -> r.abort(gone)).quiet());
    }
}
