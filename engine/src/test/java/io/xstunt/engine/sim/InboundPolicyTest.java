package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a NAT does with unsolicited inbound SYNs (natlab's selftest checks 4 and 5): each policy as
 * the sender's connect sees it, and filtering on the full remote address and port.
 */
@Timeout(10)
class InboundPolicyTest {
    private static final Duration WITHIN = Duration.ofSeconds(5);
    /** pub's and nat1's links: a 20 ms round trip between them. */
    private static final Duration DELAY = Duration.ofMillis(5);

    @Test
    void dropLeavesTheConnectRetransmittingUntilItTimesOut() throws IOException {
        NatLab lab = NatLab.builder().inbound(InboundPolicy.DROP).delay(DELAY).delayPub(DELAY).build();
        Recorder r = Recorder.connect(lab.pub(), SocketSpec.DEFAULTS, new InetSocketAddress(NatLab.NAT1_IP, 40000));
        lab.net().runFor(Duration.ofSeconds(10));
        assertFalse(r.closed.isDone(), "still connecting after 10 s");
        assertEquals(4, lab.nat1().inboundTcp(), "the SYN and its retransmissions at 1, 3 and 7 s");
        Throwable cause = lab.net().awaitFailure("the connect", r.connected, Duration.ofSeconds(200));
        assertEquals("Connection timed out", cause.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = InboundPolicy.class, names = {"RST", "ICMP", "ICMP_ADMIN"})
    void aRejectingPolicyFailsTheConnectInOneRoundTrip(InboundPolicy policy) throws IOException {
        NatLab lab = NatLab.builder().inbound(policy).delay(DELAY).delayPub(DELAY).build();
        Recorder r = Recorder.connect(lab.pub(), SocketSpec.DEFAULTS, new InetSocketAddress(NatLab.NAT1_IP, 40000));
        Throwable cause = lab.net().awaitFailure("the connect", r.connected, WITHIN);
        assertEquals(20_000_000L, r.closedAtNs() - SimNetwork.DEFAULT_ORIGIN_NS, "one round trip");
        Class<? extends Throwable> expected = policy == InboundPolicy.ICMP_ADMIN ? NoRouteToHostException.class
                : ConnectException.class;
        assertInstanceOf(expected, cause);
        assertEquals(policy == InboundPolicy.ICMP_ADMIN ? "No route to host" : "Connection refused", cause.getMessage());
        assertEquals(1, lab.nat1().inboundTcp());
    }

    @Test
    void onlyTheExactRemoteEndpointComesInThroughALiveMapping() throws IOException {
        NatLab lab = NatLab.builder().inbound(InboundPolicy.RST).build();
        EchoService echo = EchoService.start(lab.srv().network(), lab.srv().socketAddress(0, 3478),
                EchoService.Mode.ECHO);
        Recorder held = Recorder.connect(lab.h1(), SharedPort.spec(null, 41000), echo.address());
        Connection c = held.connection();
        lab.net().await("h1's connection to srv", held.connected, WITHIN);
        InetSocketAddress mapping = new InetSocketAddress(NatLab.NAT1_IP, 41000);

        assertRefused(lab, lab.pub(), SocketSpec.DEFAULTS, mapping, "from pub");
        assertRefused(lab, lab.srv(), SocketSpec.service(lab.srv().address(0)), mapping, "from srv's IP1, another port");
        assertRefused(lab, lab.srv(), SocketSpec.service(lab.srv().address(1)), mapping, "from srv's IP2");
        assertEquals(3, lab.nat1().inboundTcp());
        assertFalse(c.isClosed(), "h1's own connection is untouched");
    }

    private static void assertRefused(NatLab lab, SimHost from, SocketSpec spec, InetSocketAddress to, String what)
            throws IOException {
        Recorder r = Recorder.connect(from, spec, to);
        Throwable cause = lab.net().awaitFailure("a SYN " + what, r.connected, WITHIN);
        assertEquals("Connection refused", cause.getMessage(), what);
    }
}
