package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.proc.Outputs;
import io.xstunt.engine.server.ControlRelay.Action;
import io.xstunt.engine.server.ControlRelay.Side;
import io.xstunt.engine.server.ControlRelay.State;
import io.xstunt.engine.wire.Ipv4;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One rendezvous session's control channel, driven by hand on a fake clock. */
class ControlRelayTest {
    private static final int IP_I = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_L = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int IP_X = Ipv4.toInt(Ipv4.parse("198.51.100.3"));
    private static final long SESSION_NS = 30_000_000_000L;
    private static final long LINGER_NS = 1_000_000_000L;

    private final RecordedActions<ControlRelay, Action> hand = new RecordedActions<>(0);
    private final ControlRelay relay = hand.of(new ControlRelay(IP_I, IP_L, 300, 0, SESSION_NS, LINGER_NS));

    private Side arrive(int ip, long at) {
        hand.now = at;
        return hand.ask(relay, now -> relay.handleArrival(ip, now));
    }

    private void bytes(Side from, ByteBuffer in, long at) {
        hand.now = at;
        hand.feed(relay, from.ordinal(), in);
    }

    private void closed(Side s, long at) {
        hand.now = at;
        hand.close(relay, s.ordinal());
    }

    private byte[] sentTo(Side s) {
        return Outputs.sent(relay, s.ordinal());
    }

    private Closing closing(Side s) {
        return relay.outbound(s.ordinal()).closing();
    }

    private static ByteBuffer frame(int... bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes.length);
        for (int x : bytes) {
            b.put((byte) x);
        }
        return b.flip();
    }

    @Test
    void pairsByIpBuffersEarlyBytesAndRelaysBothWays() {
        assertTrue(relay.listening());
        assertEquals(Side.INITIATOR, arrive(IP_I, 1));
        assertEquals(State.AWAIT_LISTENER, relay.state());
        ByteBuffer ok = frame(1, 4, 1, 0, 0, 0);
        bytes(Side.INITIATOR, ok, 2);
        assertFalse(ok.hasRemaining());
        assertArrayEquals(new byte[0], sentTo(Side.LISTENER), "nothing to send before the listener is in");
        assertEquals(List.of(), hand.actions());

        assertEquals(Side.LISTENER, arrive(IP_L, 3));
        assertEquals(State.RELAYING, relay.state());
        assertFalse(relay.listening(), "the control listener closes once both are in");
        assertEquals(List.of(new Action.StopListening()), hand.actions());
        assertArrayEquals(new byte[] {1, 4, 1, 0, 0, 0}, sentTo(Side.LISTENER), "early bytes delivered");

        bytes(Side.LISTENER, frame(1, 2, 0x1f, 0x90), 4);
        assertArrayEquals(new byte[] {1, 2, 0x1f, (byte) 0x90}, sentTo(Side.INITIATOR));
        bytes(Side.INITIATOR, frame(3, 0), 5);
        assertArrayEquals(new byte[] {3, 0}, sentTo(Side.LISTENER));
        assertFalse(relay.ended());
        assertEquals(8, relay.bytesFrom(Side.INITIATOR), "6 buffered + 2 relayed");
        assertEquals(4, relay.bytesFrom(Side.LISTENER));
        assertEquals(List.of(), hand.refusals(relay));
    }

    @Test
    void relayingForwardsTheInputItselfWithoutACopy() {
        arrive(IP_I, 1);
        arrive(IP_L, 1);
        ByteBuffer in = frame(1, 4, 1, 0, 0, 0);
        bytes(Side.INITIATOR, in, 2);
        ByteBuffer out = relay.outbound(Side.LISTENER.ordinal()).pollTransmit();
        assertSame(in, out, "borrowed (Outbound#forward): the driver sends it before the read is over");
        assertEquals(6, out.remaining());
        assertNull(relay.outbound(Side.LISTENER.ordinal()).pollTransmit());
        assertEquals(6, relay.bytesFrom(Side.INITIATOR));
    }

    @Test
    void refusesStrangersAndSecondConnections() {
        assertNull(arrive(IP_X, 1));
        assertEquals(List.of(Rejection.CONTROL_REFUSED), hand.refusals(relay));
        assertEquals(Side.LISTENER, arrive(IP_L, 1));
        assertNull(arrive(IP_L, 1), "first from each side only");
        assertEquals(List.of(Rejection.CONTROL_REFUSED), hand.refusals(relay));
        assertEquals(Side.INITIATOR, arrive(IP_I, 1));
        assertNull(arrive(IP_I, 1));
        assertEquals(List.of(Rejection.CONTROL_REFUSED), hand.refusals(relay));
        assertEquals(State.RELAYING, relay.state());
    }

    @Test
    void aSideClosingEndsTheSessionAndFlushesTheOther() {
        arrive(IP_I, 1);
        arrive(IP_L, 1);
        hand.actions();
        bytes(Side.LISTENER, frame(1, 0), 2);
        closed(Side.LISTENER, 3);
        assertTrue(relay.ended());
        assertEquals(State.DRAINING, relay.state());
        assertEquals(List.of(new Action.Ended("LISTENER closed its control connection")), hand.actions());
        assertEquals(Closing.AFTER_FLUSH, closing(Side.INITIATOR));
        assertArrayEquals(new byte[] {1, 0}, sentTo(Side.INITIATOR), "the last bytes still go out");
        assertEquals(3 + LINGER_NS, relay.deadlineNs(), "the flush is bounded");
        closed(Side.INITIATOR, 4);
        assertEquals(State.FINISHED, relay.state());
        assertEquals(List.of(new Action.Finished()), hand.actions(), "ended once, finished once");
        assertFalse(relay.hasDeadline());
        assertEquals(List.of(), hand.refusals(relay));
    }

    @Test
    void stuckFlushIsCutAtTheLinger() {
        arrive(IP_I, 1);
        arrive(IP_L, 1);
        closed(Side.INITIATOR, 10);
        hand.timeout(relay, 10 + LINGER_NS);
        assertEquals(Closing.NOW, closing(Side.LISTENER));
        closed(Side.LISTENER, 10 + LINGER_NS);
        assertEquals(State.FINISHED, relay.state());
        assertEquals(List.of(), hand.refusals(relay), "a cut flush is no refusal");
    }

    @Test
    void timeoutWhenASideNeverConnects() {
        arrive(IP_I, 1);
        hand.timeout(relay, SESSION_NS - 1);
        assertFalse(relay.ended(), "early wake-up");
        hand.timeout(relay, SESSION_NS);
        assertTrue(relay.ended());
        assertEquals(List.of(Rejection.SESSION_TIMEOUT), hand.refusals(relay));
        assertFalse(relay.listening());
        assertEquals(List.of(new Action.Ended("session timeout"), new Action.StopListening()), hand.actions());
        assertEquals(Closing.NOW, closing(Side.INITIATOR));
        closed(Side.INITIATOR, SESSION_NS);
        assertEquals(State.FINISHED, relay.state());
        assertEquals(List.of(new Action.Finished()), hand.actions());
    }

    @Test
    void timeoutWithNobodyConnectedFinishesAtOnce() {
        hand.timeout(relay, SESSION_NS);
        assertEquals(State.FINISHED, relay.state());
        assertFalse(relay.listening());
        assertEquals(List.of(new Action.Ended("session timeout"), new Action.StopListening(), new Action.Finished()),
                hand.actions());
        assertFalse(relay.hasDeadline());
    }

    @Test
    void abortClosesEverythingNow() {
        arrive(IP_L, 1);
        hand.now = 2;
        hand.input(relay, now -> relay.handleAbort("initiator deregistered", now));
        assertTrue(relay.ended());
        assertEquals("initiator deregistered", relay.endReason());
        assertEquals(Closing.NOW, closing(Side.LISTENER));
        assertNull(arrive(IP_I, 3), "no one joins an ended session");
        closed(Side.LISTENER, 3);
        assertEquals(State.FINISHED, relay.state());
    }

    @Test
    void anAbortWhileDrainingCutsTheFlushAndEndsNothingTwice() {
        arrive(IP_I, 1);
        arrive(IP_L, 1);
        closed(Side.INITIATOR, 2);
        assertEquals(Closing.AFTER_FLUSH, closing(Side.LISTENER));
        hand.input(relay, now -> relay.handleAbort("server closing", now));
        assertEquals(Closing.NOW, closing(Side.LISTENER));
        assertEquals("INITIATOR closed its control connection", relay.endReason(), "the first end stands");
        closed(Side.LISTENER, 3);
        assertEquals(List.of(new Action.StopListening(), new Action.Ended("INITIATOR closed its control connection"),
                new Action.Finished()), hand.actions());
        hand.input(relay, now -> relay.handleAbort("late", now));
        assertEquals(List.of(), hand.actions(), "a finished session ignores an abort");
    }

    @Test
    void backlogOverflowEndsTheSession() {
        arrive(IP_I, 1);
        bytes(Side.INITIATOR, ByteBuffer.allocate(200), 2);
        assertFalse(relay.ended());
        ByteBuffer over = ByteBuffer.allocate(101);
        bytes(Side.INITIATOR, over, 3);
        assertFalse(over.hasRemaining(), "consumed all the same");
        assertTrue(relay.ended());
        assertEquals(List.of(Rejection.RELAY_OVERFLOW), hand.refusals(relay));
        assertEquals(Closing.NOW, closing(Side.INITIATOR));
    }

    @Test
    void bothSidesMustDiffer() {
        assertThrows(IllegalArgumentException.class, () -> new ControlRelay(IP_I, IP_I, 300, 0, 1, 1));
    }

    private static final io.xstunt.engine.wire.RelayFrame.Mode ALLOWED = io.xstunt.engine.wire.RelayFrame.Mode.RELAY_ALLOWED;

    private static ControlRelay extended(RecordedActions<ControlRelay, Action> h) {
        ControlRelay r = h.of(new ControlRelay(IP_I, IP_L, 300, 0, SESSION_NS, LINGER_NS, true,
                new io.xstunt.engine.wire.RelayFrame.Limits(0, 0, 0), n -> false));
        h.ask(r, now -> r.handleArrival(IP_I, now));
        h.ask(r, now -> r.handleArrival(IP_L, now));
        return r;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    private static final byte[] OFFER = io.xstunt.engine.wire.SweepFrame.offer(
            new io.xstunt.engine.wire.SweepFrame.Offer(true, true, 256, 1024, 500)).encode();
    private static final byte[] SIGNAL = io.xstunt.engine.wire.SweepFrame.signal(1).encode();
    private static final byte[] OK = {1, 1, 1};

    @Test
    void sweepFramesCrossAsTheyAreToASideThatReadsThemAndOtherTagsEndTheSession() {
        RecordedActions<ControlRelay, Action> h = new RecordedActions<>(0);
        ControlRelay r = extended(h);
        h.feed(r, Side.LISTENER.ordinal(), ByteBuffer.wrap(io.xstunt.engine.wire.RelayFrame.hello(ALLOWED, false, true,
                0).encode()));
        byte[] hello = io.xstunt.engine.wire.RelayFrame.hello(ALLOWED, true, true, 0).encode();
        h.feed(r, Side.INITIATOR.ordinal(), ByteBuffer.wrap(concat(hello, OFFER, OK, SIGNAL)));
        assertArrayEquals(concat(OFFER, OK, SIGNAL), Outputs.sent(r, Side.LISTENER.ordinal()),
                "HELLO consumed, the rest forwarded in order");
        assertFalse(r.ended());
        h.feed(r, Side.LISTENER.ordinal(), frame(0x60, 0));
        assertTrue(r.ended(), "a tag of no extension is malformed");
        assertEquals(List.of(Rejection.BAD_BYTES), h.refusals(r));
    }

    @Test
    void aSideWhoseHelloDoesNotReadSweepFramesNeverGetsOne() {
        RecordedActions<ControlRelay, Action> h = new RecordedActions<>(0);
        ControlRelay r = extended(h);
        h.feed(r, Side.LISTENER.ordinal(), ByteBuffer.wrap(io.xstunt.engine.wire.RelayFrame.hello(ALLOWED, false,
                0).encode()));
        h.feed(r, Side.INITIATOR.ordinal(), ByteBuffer.wrap(concat(io.xstunt.engine.wire.RelayFrame.hello(ALLOWED,
                true, true, 0).encode(), OFFER, OK)));
        assertArrayEquals(OK, Outputs.sent(r, Side.LISTENER.ordinal()), "an older xstunt client gets its frames only");
        assertFalse(r.ended());
    }

    @Test
    void sweepFramesWaitForTheOtherSidesHello() {
        RecordedActions<ControlRelay, Action> h = new RecordedActions<>(0);
        ControlRelay r = extended(h);
        h.feed(r, Side.INITIATOR.ordinal(), ByteBuffer.wrap(concat(io.xstunt.engine.wire.RelayFrame.hello(ALLOWED,
                true, true, 0).encode(), OFFER, OK)));
        assertArrayEquals(OK, Outputs.sent(r, Side.LISTENER.ordinal()), "the OFFER waits");
        h.feed(r, Side.LISTENER.ordinal(), ByteBuffer.wrap(io.xstunt.engine.wire.RelayFrame.hello(ALLOWED, false, true,
                0).encode()));
        assertArrayEquals(OFFER, Outputs.sent(r, Side.LISTENER.ordinal()), "and goes out with the listener's HELLO");
    }
}
