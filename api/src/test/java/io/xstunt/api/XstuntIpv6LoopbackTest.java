package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.testkit.LoopbackServer;
import io.xstunt.testkit.Prerequisite;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IPv6 options and {@link XstuntConnection#family()} through the blocking API: two clients
 * that both use ::1 connect over IPv6 (the race's winner), one with IPv6 off gets IPv4 as before.
 * Needs ::1 (skipped, saying why, on a kernel with IPv6 disabled).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XstuntIpv6LoopbackTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private LoopbackServer server;
    private Inet6Address loopback6;

    @BeforeEach
    void start() throws Exception {
        loopback6 = (Inet6Address) InetAddress.getByName("::1");
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(loopback6, 0));
        } catch (Exception e) {
            Prerequisite.missing("no ::1 on this machine (IPv6 disabled in the kernel?): " + e);
        }
        server = LoopbackServer.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static XstuntClient register(String id, int lastOctet, XstuntOptions.Builder b) throws Exception {
        return Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, id, b.build());
    }

    /** @return alice's (XConnect) and bob's (XListen) ends of one connection */
    private static XstuntConnection[] pair(XstuntClient alice, XstuntClient bob) throws Exception {
        CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
        XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, BOUND);
        return new XstuntConnection[] {connecting.get(BOUND.toSeconds(), TimeUnit.SECONDS), atBob};
    }

    @Test
    void bothOnIpv6ConnectOverIpv6AndSaySo() throws Exception {
        try (XstuntClient alice = register("alice", 11, Peers.options(server, 11, dir).ipv6Address(loopback6));
             XstuntClient bob = register("bob", 12, Peers.options(server, 12, dir).ipv6Address(loopback6))) {
            XstuntConnection[] ends = pair(alice, bob);
            XstuntConnection atAlice = ends[0];
            XstuntConnection atBob = ends[1];
            try (SocketChannel a = atAlice.channel(); SocketChannel b = atBob.channel()) {
                assertEquals(StandardProtocolFamily.INET6, atAlice.family());
                assertEquals(StandardProtocolFamily.INET6, atBob.family());
                assertEquals(ConnectionPath.DIRECT, atAlice.path());
                assertEquals(a.getLocalAddress(), b.getRemoteAddress(), "one direct TCP connection");
                PeerIo.sendLine(a, "over six");
                assertEquals("over six", PeerIo.readLine(b));
            }
        }
    }

    @Test
    void oneSideOffIsIpv4AsBefore() throws Exception {
        try (XstuntClient alice = register("alice", 11, Peers.options(server, 11, dir).ipv6Address(loopback6));
             XstuntClient bob = register("bob", 12, Peers.options(server, 12, dir))) {
            XstuntConnection[] ends = pair(alice, bob);
            XstuntConnection atAlice = ends[0];
            XstuntConnection atBob = ends[1];
            try (SocketChannel a = atAlice.channel(); SocketChannel b = atBob.channel()) {
                assertEquals(StandardProtocolFamily.INET, atAlice.family());
                assertEquals(StandardProtocolFamily.INET, atBob.family());
                assertEquals("127.0.0.12", atAlice.peerAddress().getAddress().getHostAddress());
            }
        }
    }

    @Test
    void theOptionsSayWhatWasAskedAndRefuseABadHeadStart() throws Exception {
        XstuntOptions d = XstuntOptions.builder().build();
        assertTrue(d.ipv6(), "on by default");
        assertNull(d.ipv6Address(), "the first global address, found at XInit");
        assertEquals(Duration.ofMillis(250), d.ipv6HeadStart());
        assertFalse(XstuntOptions.builder().ipv6(false).build().ipv6());
        assertEquals(loopback6, XstuntOptions.builder().ipv6Address(loopback6).build().ipv6Address());
        assertThrows(IllegalArgumentException.class, () -> XstuntOptions.builder().ipv6HeadStart(Duration.ofSeconds(3)));
        assertThrows(IllegalArgumentException.class, () -> XstuntOptions.builder().ipv6HeadStart(Duration.ofMillis(-1)));
    }
}
