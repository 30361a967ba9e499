package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.server.ControlRelay.Side;
import io.xstunt.engine.server.ControlRelay.State;
import io.xstunt.engine.server.ProcedureOutput.Closing;
import io.xstunt.engine.wire.Ipv4;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ControlRelayTest {
    private static final int IP_I = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_L = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int IP_X = Ipv4.toInt(Ipv4.parse("198.51.100.3"));
    private static final long SESSION_NS = 30_000_000_000L;
    private static final long LINGER_NS = 1_000_000_000L;

    private final ControlRelay relay = new ControlRelay(IP_I, IP_L, 300, 0, SESSION_NS, LINGER_NS);

    private byte[] sentTo(Side s) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteBuffer b;
        while ((b = relay.pollTransmit(s)) != null) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            o.writeBytes(a);
        }
        return o.toByteArray();
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
        assertEquals(Side.INITIATOR, relay.onConnect(IP_I, 1));
        assertEquals(State.AWAIT_LISTENER, relay.state());
        ByteBuffer ok = frame(1, 4, 1, 0, 0, 0);
        relay.onBytes(Side.INITIATOR, ok, 2);
        assertFalse(ok.hasRemaining());
        assertArrayEquals(new byte[0], sentTo(Side.LISTENER), "nothing to send before the listener is in");

        assertEquals(Side.LISTENER, relay.onConnect(IP_L, 3));
        assertEquals(State.RELAYING, relay.state());
        assertFalse(relay.listening(), "the control listener closes once both are in");
        assertArrayEquals(new byte[] {1, 4, 1, 0, 0, 0}, sentTo(Side.LISTENER), "early bytes delivered");

        relay.onBytes(Side.LISTENER, frame(1, 2, 0x1f, 0x90), 4);
        assertArrayEquals(new byte[] {1, 2, 0x1f, (byte) 0x90}, sentTo(Side.INITIATOR));
        relay.onBytes(Side.INITIATOR, frame(3, 0), 5);
        assertArrayEquals(new byte[] {3, 0}, sentTo(Side.LISTENER));
        assertFalse(relay.ended());
        assertEquals(8, relay.bytesFrom(Side.INITIATOR), "6 buffered + 2 relayed");
        assertEquals(4, relay.bytesFrom(Side.LISTENER));
    }

    @Test
    void relayingForwardsTheInputItselfWithoutACopy() {
        relay.onConnect(IP_I, 1);
        relay.onConnect(IP_L, 1);
        ByteBuffer in = frame(1, 4, 1, 0, 0, 0);
        relay.onBytes(Side.INITIATOR, in, 2);
        ByteBuffer out = relay.pollTransmit(Side.LISTENER);
        assertSame(in, out, "borrowed (ProcedureOutput#forward): the adapter sends it before the read is over");
        assertEquals(6, out.remaining());
        assertNull(relay.pollTransmit(Side.LISTENER));
        assertEquals(6, relay.bytesFrom(Side.INITIATOR));
    }

    @Test
    void refusesStrangersAndSecondConnections() {
        assertNull(relay.onConnect(IP_X, 1));
        assertEquals(Rejection.CONTROL_REFUSED, relay.pollRejection());
        assertEquals(Side.LISTENER, relay.onConnect(IP_L, 1));
        assertNull(relay.onConnect(IP_L, 1), "first from each side only");
        assertEquals(Rejection.CONTROL_REFUSED, relay.pollRejection());
        assertEquals(Side.INITIATOR, relay.onConnect(IP_I, 1));
        assertNull(relay.onConnect(IP_I, 1));
        assertEquals(State.RELAYING, relay.state());
    }

    @Test
    void aSideClosingEndsTheSessionAndFlushesTheOther() {
        relay.onConnect(IP_I, 1);
        relay.onConnect(IP_L, 1);
        relay.onBytes(Side.LISTENER, frame(1, 0), 2);
        relay.onSideClosed(Side.LISTENER, 3);
        assertTrue(relay.ended());
        assertEquals(State.DRAINING, relay.state());
        assertEquals(Closing.AFTER_FLUSH, relay.closing(Side.INITIATOR));
        assertArrayEquals(new byte[] {1, 0}, sentTo(Side.INITIATOR), "the last bytes still go out");
        assertEquals(3 + LINGER_NS, relay.deadlineNs(), "the flush is bounded");
        relay.onSideClosed(Side.INITIATOR, 4);
        assertTrue(relay.finished());
        assertNull(relay.pollRejection());
    }

    @Test
    void stuckFlushIsCutAtTheLinger() {
        relay.onConnect(IP_I, 1);
        relay.onConnect(IP_L, 1);
        relay.onSideClosed(Side.INITIATOR, 10);
        relay.onTimeout(10 + LINGER_NS);
        assertEquals(Closing.NOW, relay.closing(Side.LISTENER));
        relay.onSideClosed(Side.LISTENER, 10 + LINGER_NS);
        assertTrue(relay.finished());
    }

    @Test
    void timeoutWhenASideNeverConnects() {
        relay.onConnect(IP_I, 1);
        relay.onTimeout(SESSION_NS - 1);
        assertFalse(relay.ended(), "early wake-up");
        relay.onTimeout(SESSION_NS);
        assertTrue(relay.ended());
        assertEquals(Rejection.SESSION_TIMEOUT, relay.pollRejection());
        assertFalse(relay.listening());
        assertEquals(Closing.NOW, relay.closing(Side.INITIATOR));
        relay.onSideClosed(Side.INITIATOR, SESSION_NS);
        assertTrue(relay.finished());
    }

    @Test
    void timeoutWithNobodyConnectedFinishesAtOnce() {
        relay.onTimeout(SESSION_NS);
        assertTrue(relay.finished());
        assertFalse(relay.listening());
    }

    @Test
    void abortClosesEverythingNow() {
        relay.onConnect(IP_L, 1);
        relay.abort("initiator deregistered", 2);
        assertTrue(relay.ended());
        assertEquals("initiator deregistered", relay.endReason());
        assertEquals(Closing.NOW, relay.closing(Side.LISTENER));
        assertNull(relay.onConnect(IP_I, 3), "no one joins an ended session");
        relay.onSideClosed(Side.LISTENER, 3);
        assertTrue(relay.finished());
    }

    @Test
    void backlogOverflowEndsTheSession() {
        relay.onConnect(IP_I, 1);
        relay.onBytes(Side.INITIATOR, ByteBuffer.allocate(200), 2);
        assertFalse(relay.ended());
        relay.onBytes(Side.INITIATOR, ByteBuffer.allocate(101), 3);
        assertTrue(relay.ended());
        assertEquals(Rejection.RELAY_OVERFLOW, relay.pollRejection());
        assertEquals(Closing.NOW, relay.closing(Side.INITIATOR));
    }

    @Test
    void bothSidesMustDiffer() {
        assertThrows(IllegalArgumentException.class, () -> new ControlRelay(IP_I, IP_I, 300, 0, 1, 1));
    }
}
