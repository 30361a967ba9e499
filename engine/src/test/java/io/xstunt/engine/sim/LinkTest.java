package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Delay and loss of natlab's links, seen in virtual time. */
@Timeout(10)
class LinkTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);

    @Test
    void aRoundTripCrossesEachDelayedLinkTwice() throws IOException {
        NatLab lab = NatLab.builder().delay1(Duration.ofMillis(25)).delaySrv(Duration.ofMillis(5)).build();
        EchoService echo = EchoService.echoOn(lab.srv(), 7);
        Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
        Connection c = r.connection();
        assertEquals(Duration.ofMillis(60), lab.net().runUntil("the connect", r.connected::isDone, WITHIN));
        c.send(ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(Duration.ofMillis(60), lab.net().runUntil("the echo", () -> r.text().equals("x"), WITHIN));
    }

    @Test
    void aLostSynCostsTheKernelsOneSecondRetransmission() throws IOException {
        NatLab lab = NatLab.builder().delay1(Duration.ofMillis(10)).build();
        EchoService echo = EchoService.echoOn(lab.srv(), 7);
        lab.net().loseNext(p -> p instanceof Segment s && s.isSyn());
        Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
        assertEquals(Duration.ofMillis(1020), lab.net().runUntil("the connect", r.connected::isDone, WITHIN));
    }

    @Test
    void aLostDataSegmentIsSentAgainAfterTheRetransmissionTimeoutAndLaterBytesWaitForIt() throws IOException {
        NatLab lab = NatLab.builder().delay1(Duration.ofMillis(10)).build();
        EchoService echo = EchoService.echoOn(lab.srv(), 7);
        Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
        Connection c = r.connection();
        lab.net().await("the connect", r.connected, WITHIN);
        lab.net().loseNext(p -> p instanceof Segment s && s.length() > 0);
        c.send(ByteBuffer.wrap("first ".getBytes(StandardCharsets.US_ASCII)));
        c.send(ByteBuffer.wrap("second".getBytes(StandardCharsets.US_ASCII)));
        Duration took = lab.net().runUntil("both echoed", () -> r.text().length() == 12, WITHIN);
        assertEquals("first second", r.text(), "in order");
        // RTO = the handshake's 20 ms round trip + 200 ms; then one round trip to the echo and back
        assertEquals(Duration.ofMillis(240), took);
    }

    @Test
    void randomLossHitsAboutTheConfiguredShareOfHandshakes() throws IOException {
        NatLab lab = NatLab.builder().seed(11).loss1(5).delay1(Duration.ofMillis(1)).build();
        EchoService echo = EchoService.echoOn(lab.srv(), 7);
        int n = 400;
        int slow = 0;
        for (int i = 0; i < n; i++) {
            Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
            Connection c = r.connection();
            Duration took = lab.net().runUntil("connect " + i, r.connected::isDone, Duration.ofSeconds(30));
            if (took.compareTo(Duration.ofSeconds(1)) >= 0) {
                slow++; // the SYN or the SYN-ACK was lost on nat1's link
            }
            c.close();
        }
        double expected = n * (1 - 0.95 * 0.95);
        double sigma = Math.sqrt(n * 0.0975 * 0.9025);
        assertTrue(Math.abs(slow - expected) <= 4 * sigma, slow + " slow handshakes of " + n + ", expected " + expected);
    }
}
