package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** natlab's topology as {@link NatLab} builds it, checked as natlab's selftest checks the real one. */
@Timeout(10)
class NatLabTopologyTest {
    private static final Duration WITHIN = Duration.ofSeconds(5);

    @Test
    void everyHostReachesBothServerAddressesAndTheServerSeesItsNatsAddress() throws IOException {
        NatLab lab = NatLab.builder().build();
        List<EchoService> echoes = List.of(
                EchoService.reporterOn(lab.srv(), 0, 3478),
                EchoService.reporterOn(lab.srv(), 1, 3478));
        for (SimHost host : List.of(lab.h1(), lab.h3(), lab.h2(), lab.pub())) {
            String expected = host == lab.h2() ? NatLab.NAT2_IP : host == lab.pub() ? NatLab.PUB_IP : NatLab.NAT1_IP;
            for (EchoService echo : echoes) {
                Recorder r = Recorder.connect(host, SocketSpec.DEFAULTS, echo.address());
                lab.net().await(host.name() + " to " + echo.address(), r.closed, WITHIN);
                assertEquals(expected, EchoService.parse(r.text()).getAddress().getHostAddress(), host.name());
            }
        }
    }

    @Test
    void privateAddressesAreUnreachableAcrossTheInternetButNeighboursMeetOnTheirLan() throws IOException {
        NatLab lab = NatLab.builder().build();
        SocketException fromPub = assertThrows(SocketException.class, () -> lab.pub().network()
                .connect(SocketSpec.DEFAULTS, new InetSocketAddress(NatLab.H1_IP, 7), new Recorder(lab.net())));
        assertEquals("Network is unreachable", fromPub.getMessage(), "no default route on the public side");

        Recorder fromH1 = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, new InetSocketAddress(NatLab.H2_IP, 7));
        assertEquals("Network is unreachable", lab.net().awaitFailure("h1 to h2's LAN address", fromH1.connected,
                WITHIN).getMessage(), "nat1 has no route there: ICMP net unreachable");

        EchoService onH1 = EchoService.reporterOn(lab.h1(), 0, 7);
        Recorder fromH3 = Recorder.connect(lab.h3(), SocketSpec.DEFAULTS, onH1.address());
        lab.net().await("h3 to h1 on the LAN", fromH3.closed, WITHIN);
        assertEquals(NatLab.H3_IP, EchoService.parse(fromH3.text()).getAddress().getHostAddress(), "not NATed");
    }

    @Test
    void aConnectionThroughOneNatCarriesDataAndItsEntryEndsInTimeWait() throws IOException {
        NatLab lab = NatLab.builder().delay(Duration.ofMillis(5)).build();
        EchoService echo = EchoService.echoOn(lab.pub(), 7);
        Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
        Connection c = r.connection();
        lab.net().await("the connect", r.connected, WITHIN);
        c.send(ByteBuffer.wrap("through nat1".getBytes(StandardCharsets.US_ASCII)));
        lab.net().runUntil("the echo", () -> r.text().equals("through nat1"), WITHIN);
        assertEquals(NatLab.NAT1_IP, echo.sources().get(0).getAddress().getHostAddress());
        assertEquals(c.localAddress().getPort(), echo.sources().get(0).getPort(), "port-preserving");
        c.close();
        lab.net().runFor(Duration.ofSeconds(1));
        assertEquals(List.of("tcp TIME_WAIT src=" + c.localAddress().getAddress().getHostAddress() + ":"
                + c.localAddress().getPort() + " dst=" + echo.address().getAddress().getHostAddress() + ":7 mapped="
                + NatLab.NAT1_IP + ":" + c.localAddress().getPort()), lab.nat1().conntrackEntries());
        lab.net().runFor(Duration.ofSeconds(120));
        assertEquals(List.of(), lab.nat1().conntrackEntries(), "TIME_WAIT lasts 120 s");
    }

    @Test
    void aNatDoesNotHairpin() throws IOException {
        NatLab lab = NatLab.builder().build();
        Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, new InetSocketAddress(NatLab.NAT1_IP, 40000));
        assertEquals("Connection refused", lab.net().awaitFailure("h1 to its own NAT", r.connected, WITHIN).getMessage());
    }

    @Test
    void theLabSaysWhichLabShUpItMirrors() {
        NatLab lab = NatLab.builder().nat1(NatMapping.RANDOM).inbound2(InboundPolicy.RST).delay(Duration.ofMillis(25))
                .loss(1).liberal().build();
        assertEquals("--nat1 random --nat2 preserve --inbound1 drop --inbound2 rst --delay1 25.0 --delay2 25.0"
                + " --loss1 1.0 --loss2 1.0 --liberal", lab.options());
        assertTrue(lab.nat1().config().liberal() && lab.nat2().config().liberal());
    }
}
