package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each NAT mapping mode as STUNT probing observes it (natlab's selftest check 3): from one local
 * port, connect to the four echo endpoints (IP1:P1, IP1:P2, IP2:P1, IP2:P2), then re-bind the port
 * and connect again (port prediction), reading the public address the server sees each time.
 */
@Timeout(10)
class NatMappingTest {
    private static final int LOCAL = 41000;
    private static final Duration WITHIN = Duration.ofSeconds(5);

    @Test
    void preserveKeepsTheLocalPortForEveryDestination() throws IOException {
        List<InetSocketAddress> seen = probe(NatLab.builder().nat(NatMapping.PRESERVE).build());
        for (InetSocketAddress s : seen) {
            assertEquals(new InetSocketAddress(NatLab.NAT1_IP, LOCAL), s, "observations " + seen);
        }
    }

    @Test
    void randomGivesEveryConnectionItsOwnPortEvenFromTheSameLocalPort() throws IOException {
        List<InetSocketAddress> seen = probe(NatLab.builder().nat(NatMapping.RANDOM).build());
        assertEquals(5, new HashSet<>(seen).size(), "distinct: " + seen);
        for (InetSocketAddress s : seen) {
            assertEquals(NatLab.NAT1_IP, s.getAddress().getHostAddress());
            assertNotEquals(LOCAL, s.getPort(), "observations " + seen);
            assertTrue(s.getPort() >= 1024, "observations " + seen);
        }
    }

    @Test
    void offsetGivesEachLocalPortOneRandomPortInTheRangeForEveryDestination() throws IOException {
        NatLab lab = NatLab.builder().nat(NatMapping.OFFSET).build();
        List<InetSocketAddress> seen = probe(lab);
        assertEquals(1, new HashSet<>(seen).size(), "one mapping (cone): " + seen);
        int port = seen.get(0).getPort();
        assertTrue(port >= 20000 && port <= 29999 && port != LOCAL, "in the range, not the local port: " + seen);

        InetSocketAddress other = observe(lab, lab.h1(), LOCAL + 1, lab.srv().socketAddress(0, 8124));
        assertTrue(other.getPort() >= 20000 && other.getPort() <= 29999 && other.getPort() != port,
                "another local port gets its own mapping in the range: " + other);
    }

    @Test
    void preserveGivesASecondHostOnTheSamePortAndDestinationAnotherPortAndKeepsIt() throws IOException {
        NatLab lab = NatLab.builder().nat(NatMapping.PRESERVE).build();
        start(lab);
        InetSocketAddress p1 = lab.srv().socketAddress(0, 8124);
        assertEquals(LOCAL, observe(lab, lab.h1(), LOCAL, p1).getPort());
        // h1's entry lingers in TIME_WAIT and still holds 203.0.113.1:LOCAL towards p1
        int h3 = observe(lab, lab.h3(), LOCAL, p1).getPort();
        assertNotEquals(LOCAL, h3);
        assertEquals(h3, observe(lab, lab.h3(), LOCAL, lab.srv().socketAddress(1, 8125)).getPort(),
                "h3's mapping is reused for its next destination (find_appropriate_src)");
        assertTrue(lab.nat1().conntrackEntries().stream().anyMatch(e -> e.contains("TIME_WAIT")),
                lab.nat1().conntrackEntries().toString());
    }

    @Test
    void sequentialGivesEveryNewConnectionTheNextPortOfTheRangeWhicheverHostMakesIt() throws IOException {
        NatLab lab = NatLab.builder().nat(NatMapping.SEQUENTIAL).seqStep(2).build();
        List<Integer> ports = probe(lab).stream().map(InetSocketAddress::getPort).toList();
        assertEquals(List.of(20000, 20002, 20004, 20006, 20008), ports, "step 2 from the range's start, even from one local port");
        InetSocketAddress echo = lab.srv().socketAddress(0, 8124);
        assertEquals(20010, observe(lab, lab.h3(), LOCAL, echo).getPort(), "another host takes the next port");
        assertEquals(20012, observe(lab, lab.h1(), LOCAL, echo).getPort(), "so h1's next one skips it");
        assertEquals("sequential+2/drop/20000-29999", lab.nat1().config().toString());
    }

    /** The four probes and the prediction from h1's {@link #LOCAL}. */
    private static List<InetSocketAddress> probe(NatLab lab) throws IOException {
        start(lab);
        SimHost srv = lab.srv();
        List<InetSocketAddress> seen = new ArrayList<>();
        for (InetSocketAddress echo : List.of(srv.socketAddress(0, 8124), srv.socketAddress(0, 8125),
                srv.socketAddress(1, 8124), srv.socketAddress(1, 8125), srv.socketAddress(0, 8124))) {
            seen.add(observe(lab, lab.h1(), LOCAL, echo));
        }
        return seen;
    }

    private static void start(NatLab lab) throws IOException {
        for (int ip = 0; ip < 2; ip++) {
            for (int port : new int[] {8124, 8125}) {
                EchoService.reporterOn(lab.srv(), ip, port);
            }
        }
    }

    private static InetSocketAddress observe(NatLab lab, SimHost host, int port, InetSocketAddress echo)
            throws IOException {
        Recorder r = Recorder.connect(host, SharedPort.spec(null, port), echo);
        lab.net().await("the echo answer from " + echo, r.closed, WITHIN);
        return EchoService.parse(r.text());
    }
}
