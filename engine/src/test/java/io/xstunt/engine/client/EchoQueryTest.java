package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.EchoQuery.Action;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** One echo query driven by hand: connect, read the address reply, close with a reset. */
class EchoQueryTest {
    static final InetAddress LOCAL = Ipv4.parse("192.168.1.20");
    static final InetSocketAddress ENDPOINT = new InetSocketAddress("203.0.113.1", 8124);
    static final int PUBLIC = Ipv4.toInt(Ipv4.parse("198.51.100.4"));

    EchoQuery q;
    ByHand<Action> hand;

    /** Starts a query from a fresh port; @return the connection it asked for */
    Action.Open start(int localPort, boolean reusePort) {
        q = new EchoQuery(LOCAL, localPort, reusePort, ENDPOINT, WireVariant.ID32);
        hand = new ByHand<>(q, 1_000);
        Action.Open open = hand.feed(q::start).only(Action.Open.class);
        assertTrue(hand.deadline().isEmpty(), "its owner bounds it");
        return open;
    }

    /** Starts a query from a fresh port and connects it from local port 40000. */
    void connected() {
        start(0, false);
        assertTrue(hand.connected(0, new InetSocketAddress(LOCAL, 40000)).quiet(), "the server speaks first");
    }

    static ByteBuffer echo(int ip, int port) {
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        Echo.address(ip, port).write(b, WireVariant.ID32);
        return b.flip();
    }

    @Test
    void opensTheSocketItsOwnerAsksFor() {
        assertEquals(new Action.Open(SocketSpec.shared(LOCAL, 0, false), ENDPOINT), start(0, false));
        assertEquals(new Action.Open(SocketSpec.shared(LOCAL, 40000, true), ENDPOINT), start(40000, true),
                "the prediction's port is bound again by the punch");
    }

    @Test
    void oneRecordIsTheAnswerAndTheQueryClosesWithAResetWithoutWaitingForTheServer() {
        connected();
        ByteBuffer reply = echo(PUBLIC, 50001);
        ByteBuffer half = reply.slice(0, WireVariant.ID32.echoSize() / 2);
        assertTrue(hand.bytes(0, half).quiet());
        assertEquals(0, half.position(), "a partial echo waits for its rest");
        Outputs<Action> o = hand.bytes(0, reply);
        assertEquals(new Action.Answered(40000, new Observation(PUBLIC, 50001)), o.only(Action.Answered.class));
        assertEquals(Closing.RESET, o.closing(0), "no TIME_WAIT on either side, the port is free again");
        assertEquals(0, reply.remaining());
        assertTrue(hand.bytes(0, new byte[] {1, 2, 3}).quiet(), "anything after the one record is ignored");
        assertTrue(hand.closed(0, null).quiet(), "its own close: no second outcome");
    }

    @Test
    void theRecordAndWhatFollowsItInOneReadAreTheAnswer() {
        connected();
        ByteBuffer more = ByteBuffer.allocate(WireVariant.ID32.echoSize() + 4).put(echo(PUBLIC, 50001)).flip();
        more.limit(more.capacity());
        assertEquals(new Action.Answered(40000, new Observation(PUBLIC, 50001)),
                hand.bytes(0, more).only(Action.Answered.class));
        assertEquals(0, more.remaining());
    }

    @Test
    void thePublishedVariantsRecordIs52Bytes() {
        q = new EchoQuery(LOCAL, 0, false, ENDPOINT, WireVariant.ID31);
        hand = new ByHand<>(q, 1_000);
        hand.feed(q::start);
        hand.connected(0, new InetSocketAddress(LOCAL, 40000));
        // the reference's 56-byte reply, as an xstunt server sends it to either variant
        ByteBuffer reply = echo(PUBLIC, 50001);
        assertEquals(new Action.Answered(40000, new Observation(PUBLIC, 50001)),
                hand.bytes(0, reply.slice(0, 52)).only(Action.Answered.class));
    }

    @Test
    void aCloseBeforeTheEchoFails() {
        connected();
        assertTrue(hand.closed(0, null).only(Action.Failed.class).reason().contains("closed before the echo"));

        connected();
        hand.bytes(0, echo(PUBLIC, 50001).limit(WireVariant.ID32.echoSize() - 1));
        assertTrue(hand.closed(0, "java.io.IOException: Connection reset by peer").only(Action.Failed.class)
                .reason().contains("reset"), "half an echo is no echo");
    }

    @Test
    void aConnectThatFailsFails() {
        start(0, false);
        assertTrue(hand.connectFailed(0, "Connection refused").only(Action.Failed.class).reason()
                .contains(ENDPOINT.toString()));

        start(40000, true);
        assertTrue(hand.closed(0, "java.net.ConnectException: Connection refused").only(Action.Failed.class)
                .reason().contains("cannot connect from port 40000"), "closed before it was up: the connect failed");
    }

    @Test
    void anAbortedQueryClosesAndReportsNothing() {
        connected();
        Outputs<Action> o = hand.feed(n -> q.abort());
        assertTrue(o.actions().isEmpty());
        assertEquals(Closing.NOW, o.closing(0));
        ByteBuffer late = echo(PUBLIC, 50001);
        assertTrue(hand.bytes(0, late).quiet());
        assertEquals(0, late.remaining(), "what still arrives is dropped");
        assertTrue(hand.closed(0, null).quiet(), "its owner gave up on it: no outcome");
        assertTrue(hand.feed(n -> q.abort()).quiet(), "aborting twice is harmless");
    }
}
