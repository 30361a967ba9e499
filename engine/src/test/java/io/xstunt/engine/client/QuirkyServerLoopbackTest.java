package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our client served end to end by a server that is not ours ({@link QuirkyServerFront}): its echo
 * service never closes, and its announcements carry other role bytes ({@code 0x01} to the
 * initiator, 0 to the listener, whose peer field is no valid ID either), as the original's server
 * might write them. The original client reads one Echo and closes, and takes any announcement for
 * the call it is making; so does ours.
 */
class QuirkyServerLoopbackTest {
    private static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    private static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");
    private static final long WAIT_S = 20;

    @TempDir
    Path dir;

    /** 'C' becomes 0x01; 'S' becomes 0 with a peer field without a NUL. */
    private static byte[] otherRoles(byte[] record) {
        byte[] r = record.clone();
        if (r[52] == 'C') {
            r[52] = 1;
        } else {
            r[52] = 0;
            Arrays.fill(r, 12, 45, (byte) 0xEE);
        }
        return r;
    }

    @Test
    void aServerWhoseEchoNeverClosesAndWhoseRolesAreOthersServesOurClients() throws Exception {
        try (EventLoop serverLoop = EventLoop.open("server").start();
             EventLoop clientLoop = EventLoop.open("clients").start()) {
            StuntServer server = startServer(serverLoop);
            try (QuirkyServerFront front = new QuirkyServerFront(IP1, IP2, server.logAddress(),
                    QuirkyServerLoopbackTest::otherRoles, false)) {
                StuntClient alice = register(clientLoop, server, front, "127.0.0.71", "alice");
                StuntClient bob = register(clientLoop, server, front, "127.0.0.72", "bob");
                assertEquals(2 * EchoProbe.QUERIES, front.echoConnectionsOpened(),
                        "both probed against the echo service that never closes");
                assertEquals("TCP PORT-PRESERVING CONE", alice.fingerprint().describe());
                assertFalse(alice.serverInfo().acknowledgesIdle() || alice.serverInfo().hasToken(),
                        "an original server's ServerInfo");

                Rendezvous out = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
                Rendezvous in = bob.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
                try (SocketChannel a = out.socketChannel(); SocketChannel b = in.socketChannel()) {
                    assertTrue(out.initiator(), "role 0x01 taken by the XConnect that waited for it");
                    assertEquals("bob", out.peerId(), "the peer XConnect named");
                    assertFalse(in.initiator(), "role 0 with no XConnect waiting: the listener side");
                    assertEquals("", in.peerId(), "no valid peer field: the peer is unknown");
                    assertEquals(2 * EchoProbe.QUERIES + 2, front.echoConnectionsOpened(), "and both predictions");
                    assertEquals("through", LoopbackEndToEndTest.roundTrip(a, b, "through"));
                    assertEquals("and back", LoopbackEndToEndTest.roundTrip(b, a, "and back"));
                }
                alice.close();
                bob.close();
            } finally {
                server.close();
            }
        }
    }

    /**
     * The original does not fail when its probes saw different public IPs (a NAT with a pool of
     * addresses): it records the log service's view of the client. Neither does ours, and a
     * rendezvous still works (XPredict asks IP1's echo, which sees the pool's first address).
     */
    @Test
    void probesThatSeeTwoPublicAddressesStillRegisterWithTheLogServicesView() throws Exception {
        try (EventLoop serverLoop = EventLoop.open("server").start();
             EventLoop clientLoop = EventLoop.open("clients").start()) {
            StuntServer server = startServer(serverLoop);
            try (QuirkyServerFront front = new QuirkyServerFront(IP1, IP2, server.logAddress(), r -> r, true)) {
                StuntClient alice = register(clientLoop, server, front, "127.0.0.73", "alice");
                StuntClient bob = register(clientLoop, server, front, "127.0.0.74", "bob");
                NatAnalysis.ProbeRun run = alice.probeRun();
                assertEquals(List.of("127.0.0.73", "127.0.0.73", "127.0.0.173", "127.0.0.173"), run.observations()
                        .stream().map(o -> Ipv4.toString(o.publicIp())).toList(), run.toString());
                assertEquals(Ipv4.toInt(Ipv4.parse("127.0.0.73")), alice.fingerprint().publicIp(),
                        "the log service's view, as XProbe records g_nClientIP");
                assertEquals("TCP PORT-PRESERVING CONE", alice.fingerprint().describe());

                Rendezvous out = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
                Rendezvous in = bob.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
                try (SocketChannel a = out.socketChannel(); SocketChannel b = in.socketChannel()) {
                    assertEquals("across", LoopbackEndToEndTest.roundTrip(a, b, "across"));
                }
                alice.close();
                bob.close();
            } finally {
                server.close();
            }
        }
    }

    private static StuntServer startServer(EventLoop loop) throws Exception {
        return StuntServer.start(loop, ServerConfig.builder(IP1, IP2).logPort(0).commPort(0).echoPort1(0).echoPort2(0)
                .build()).get(WAIT_S, TimeUnit.SECONDS);
    }

    private StuntClient register(EventLoop loop, StuntServer server, QuirkyServerFront front, String local, String id)
            throws Exception {
        ClientConfig config = ClientConfig.builder(IP1, IP2).logPort(front.logAddress().getPort())
                .commPort(server.commAddress().getPort()).localAddress(Ipv4.parse(local))
                .fingerprintFile(dir.resolve(id + ".fp")).extensions(false).echoTimeout(Duration.ofSeconds(3))
                .listenTimeout(Duration.ofSeconds(6)).build();
        return StuntClient.register(loop, config, id).get(WAIT_S, TimeUnit.SECONDS);
    }
}
