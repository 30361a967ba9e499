package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class EchoResponderTest {
    private static final int IP = Ipv4.toInt(Ipv4.parse("203.0.113.7"));

    private final RecordedActions<EchoResponder, Refused> hand = new RecordedActions<>(0);

    private EchoResponder started(int port) {
        EchoResponder r = hand.of(new EchoResponder(IP, port, 1000));
        hand.input(r, r::start);
        return r;
    }

    @Test
    void repliesTheAddressAndClosesFirst() {
        EchoResponder r = started(50123);
        ByteBuffer b = r.outbound(0).pollTransmit();
        assertEquals(WireVariant.ID32.echoSize(), b.remaining());
        assertEquals(Echo.address(IP, 50123), Echo.read(b, WireVariant.ID32));
        assertNull(r.outbound(0).pollTransmit());
        assertEquals(Closing.AFTER_FLUSH, r.outbound(0).closing());
        hand.timeout(r, 999);
        assertEquals(Closing.AFTER_FLUSH, r.outbound(0).closing());
        hand.timeout(r, 1000);
        assertEquals(Closing.NOW, r.outbound(0).closing(), "a reply that never flushes is dropped");
        assertEquals(List.of(), hand.refusals(r));
        hand.close(r);
        assertFalse(r.hasDeadline());
    }

    @Test
    void writingToTheEchoServiceClosesAtOnce() {
        EchoResponder r = started(1);
        hand.now = 1;
        ByteBuffer in = ByteBuffer.wrap(new byte[] {1, 2, 3});
        hand.feed(r, in);
        assertFalse(in.hasRemaining());
        assertEquals(Closing.NOW, r.outbound(0).closing());
        assertEquals(List.of(Rejection.UNEXPECTED_DATA), hand.refusals(r));
        assertFalse(r.outbound(0).hasTransmit(), "the reply is dropped");
    }
}
