package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireFormatException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** One side of a rendezvous's address exchange, on its own: the prediction out, the peer's address in. */
class AddressExchangeTest {
    static final int OWN = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    static final int PEER = Ipv4.toInt(Ipv4.parse("198.51.100.2"));

    @Test
    void theOwnAddressIsTheObservedPortPlusTheIncrementSentOnce() {
        AddressExchange x = new AddressExchange(2);
        assertFalse(x.isPredicted());
        assertNull(x.takeOwnFrames(), "nothing to send before the prediction");
        assertFalse(x.sent());
        assertNull(x.predicted(30000, OWN, 50000));
        assertTrue(x.isPredicted());
        assertEquals(30000, x.localPort(), "the punch binds the prediction's local port again");
        assertArrayEquals(new ControlFrame[] {ControlFrame.address(OWN), ControlFrame.port(50002)}, x.takeOwnFrames());
        assertTrue(x.sent());
        assertNull(x.takeOwnFrames(), "sent once");
    }

    @Test
    void thePredictedPortWrapsRoundThePortCircle() {
        AddressExchange x = new AddressExchange(3);
        x.predicted(30000, OWN, 65534);
        assertEquals(ControlFrame.port(2), x.takeOwnFrames()[1]);
    }

    @Test
    void anEchoPortOutOfRangeCannotBePredictedFrom() {
        for (int port : new int[] {0, 65536, -1}) {
            AddressExchange x = new AddressExchange(0);
            Failure f = x.predicted(30000, OWN, port);
            assertEquals(ErrorStat.ERR_PREDICT, f.code(), "port " + port);
            assertFalse(x.isPredicted());
            assertNull(x.takeOwnFrames());
        }
    }

    @Test
    void thePeersAddressThenPortAreRead() {
        AddressExchange x = new AddressExchange(0);
        assertTrue(x.expectsFrame());
        x.onFrame(ControlFrame.address(PEER));
        assertTrue(x.expectsFrame());
        assertFalse(x.peerKnown());
        x.onFrame(ControlFrame.port(41000));
        assertTrue(x.peerKnown());
        assertFalse(x.expectsFrame(), "a frame after the port is someone else's (\"ready\")");
        assertEquals(new InetSocketAddress(Ipv4.toAddress(PEER), 41000), x.peerAddress());
        x.predicted(30000, OWN, 50000);
        assertNull(x.check());
    }

    @Test
    void aFrameOfTheWrongShapeIsAWireFormatError() {
        AddressExchange x = new AddressExchange(0);
        assertThrows(WireFormatException.class, () -> x.onFrame(ControlFrame.port(1)), "a port where the address goes");
        AddressExchange y = new AddressExchange(0);
        y.onFrame(ControlFrame.address(PEER));
        assertThrows(WireFormatException.class, () -> y.onFrame(ControlFrame.address(PEER)), "an address where the port goes");
        assertFalse(y.peerKnown());
    }

    @Test
    void equalPublicIpsAreHairpinAndPortZeroIsRefused() {
        AddressExchange same = new AddressExchange(0);
        same.predicted(30000, OWN, 50000);
        same.onFrame(ControlFrame.address(OWN));
        same.onFrame(ControlFrame.port(50000));
        assertEquals(ErrorStat.ERR_HAIRPIN, same.check().code());

        AddressExchange zero = new AddressExchange(0);
        zero.predicted(30000, OWN, 50000);
        zero.onFrame(ControlFrame.address(PEER));
        zero.onFrame(ControlFrame.port(0));
        assertEquals(ErrorStat.ERR_ADDRPORT_RECEIVE, zero.check().code());
        assertEquals(new InetSocketAddress(Ipv4.toAddress(PEER), 0), zero.peerAddress());
    }
}
