package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class EchoResponderTest {
    private static final int IP = Ipv4.toInt(Ipv4.parse("203.0.113.7"));

    @Test
    void repliesTheAddressAndClosesFirst() {
        EchoResponder r = new EchoResponder(IP, 50123, 1000);
        r.onOpen(0);
        ByteBuffer b = r.output().pollTransmit();
        assertEquals(Echo.SIZE, b.remaining());
        assertEquals(Echo.address(IP, 50123), Echo.read(b));
        assertEquals(ProcedureOutput.Closing.AFTER_FLUSH, r.output().closing());
        r.onTimeout(999);
        assertEquals(ProcedureOutput.Closing.AFTER_FLUSH, r.output().closing());
        r.onTimeout(1000);
        assertEquals(ProcedureOutput.Closing.NOW, r.output().closing(), "a reply that never flushes is dropped");
    }

    @Test
    void writingToTheEchoServiceClosesAtOnce() {
        EchoResponder r = new EchoResponder(IP, 1, 1000);
        r.onOpen(0);
        r.onBytes(ByteBuffer.wrap(new byte[] {1, 2, 3}), 1);
        assertEquals(ProcedureOutput.Closing.NOW, r.output().closing());
        assertEquals(Rejection.UNEXPECTED_DATA, r.output().pollRejection());
    }
}
