package io.xstunt.engine.server;

import static io.xstunt.engine.server.ExtendedClient.extendedIdField;
import static io.xstunt.engine.server.ExtendedClient.msgWithToken;
import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertBytes;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.int32;
import static io.xstunt.engine.server.OriginalClient.ip;
import static io.xstunt.engine.server.OriginalClient.logState;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.Ipv6Loopback;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server on both families ({@link ServerConfig#listen6()} = ::1): an extension client that
 * reaches the log service over IPv6 is known by its key of 240.0.0.0/4 (LogHello, the
 * announcement's peer IP, the holder-IP checks, the control channel's pairing, the per-source
 * limit), and its control channel joins over IPv6. Needs ::1 (skipped without it, failing under CI).
 */
@SuppressWarnings("try")
class Ipv6ListenerLoopbackTest {
    private static final String V6 = "::1";
    private static final String IP_B = "127.0.0.52";

    private static final Inet6Address LOOPBACK6 = Ipv6Loopback.ADDRESS;

    @BeforeAll
    static void needsIpv6Loopback() {
        Ipv6Loopback.required();
    }

    private static int key6() {
        return SourceKeys.derived(LOOPBACK6);
    }

    /** An extended IDLE registration from ::1 over the IPv6 log service; returns its log socket and token. */
    private record Registered(Socket log, int publicIp, long token) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            log.close();
        }
    }

    private static Registered registerOver6(ServerFixture f, String id) throws IOException {
        Socket s = connect(V6, f.server.logAddress6());
        try {
            byte[] hello = read(s, 12);
            write(s, extendedIdField(id));
            byte[] info = read(s, OriginalClient.SERVER_INFO);
            assertEquals(id, OriginalClient.idAt(info, 0), "registered");
            write(s, logState(Protocol.CSTATE_IDLE, "10.0.0.1"));
            assertArrayEquals(new byte[ECHO], read(s, ECHO), "the IDLE acknowledgement");
            return new Registered(s, int32(hello, 8), ByteBuffer.wrap(info, 52, 8).getLong());
        } catch (IOException | RuntimeException | AssertionError e) {
            s.close();
            throw e;
        }
    }

    @Test
    void anIpv6ClientRegistersByItsKeyAndMeetsAnIpv4PeerOverBothFamilies() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.listen6(LOOPBACK6).idleTimeout(Duration.ofSeconds(60)));
             Registered alice = registerOver6(f, "alice");
             OriginalClient.Registration bob = OriginalClient.register(IP_B, f.server.logAddress(), "bob",
                     Protocol.CSTATE_IDLE, "10.0.0.2")) {
            assertEquals(new InetSocketAddress(LOOPBACK6, f.server.logAddress().getPort()), f.server.logAddress6());
            assertEquals(key6(), alice.publicIp(), "LogHello carries the key, 252.60.205.16 for ::1");
            assertTrue(SourceKeys.isSynthetic(alice.publicIp()));
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            String v4 = "127.0.0.1";
            // the holder check compares the key: the token from an IPv4 address is refused
            assertNull(request(v4, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_DEREGISTER, "alice", null, alice.token())));
            f.awaitCount(Rejection.DEREGISTER_DENIED, 1);
            assertEquals(0, request(V6, f.server.commAddress6(),
                    msgWithToken(Protocol.MSG_CONNECT, "alice", "bob", alice.token())));
            byte[] ea = read(alice.log(), ECHO);
            byte[] eb = read(bob.log(), ECHO);
            assertEquals(ip(IP_B), int32(ea, 48), "alice is told bob's IPv4");
            assertEquals(key6(), int32(eb, 48), "bob is told alice's key (never routed: no SYN reaches anyone)");
            int port = uint16(ea, 4);
            try (Socket ca = connect(V6, new InetSocketAddress(LOOPBACK6, port))) {
                write(ca, new byte[] {1, 4, 1, 0, 0, 0});
                try (Socket cb = connect(IP_B, new InetSocketAddress(v4, port))) {
                    assertBytes(new byte[] {1, 4, 1, 0, 0, 0}, cb);
                    write(cb, new byte[] {1, 2, 0x1f, (byte) 0x90});
                    assertBytes(new byte[] {1, 2, 0x1f, (byte) 0x90}, ca);
                    ca.close();
                    assertClosedByServer(cb);
                }
            }
            assertEquals(0, f.server.rejected(Rejection.CONTROL_REFUSED), "the IPv6 side was paired by its key");
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            assertNull(request(V6, f.server.commAddress6(),
                    msgWithToken(Protocol.MSG_DEREGISTER, "alice", null, alice.token())));
            assertClosedByServer(alice.log());
            f.awaitGone("alice");
        }
    }

    @Test
    void thePerSourceLimitCountsAnIpv6SourceByItsKey() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerFixture f = new ServerFixture(b -> b.listen6(LOOPBACK6).maxConnectionsPerSource(2))) {
            try {
                held.add(connect(V6, f.server.logAddress6()));
                held.add(connect(V6, f.server.commAddress6()));
                f.await("two connections from ::1 held", () -> f.server.openConnections() == 2);
                try (Socket third = connect(V6, f.server.logAddress6())) {
                    assertClosedByServer(third);
                }
                f.awaitCount(Rejection.SOURCE_LIMIT, 1);
                try (Socket v4 = connect("127.0.0.1", f.server.logAddress())) {
                    assertEquals(12, read(v4, 12).length, "another source is not affected");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            f.await("nothing held from any source", () -> f.server.openConnections() == 0
                    && f.server.sourcesTracked() == 0);
        }
    }

    @Test
    void anIpv6ListenerOnTheAnyAddressOrAMulticastGroupIsRefused() throws Exception {
        ServerConfig.Builder b = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"));
        IllegalArgumentException any = assertThrows(IllegalArgumentException.class,
                () -> b.listen6(Ipv6Loopback.literal("::")).build());
        assertTrue(any.getMessage().contains("listen6") && any.getMessage().contains("::"), any.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> b.listen6(Ipv6Loopback.literal("ff02::1")).build());
        assertNull(b.listen6(null).build().listen6(), "none by default");
    }

    @Test
    void withoutListen6TheServerHasNoIpv6Address() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b)) {
            assertNull(f.server.logAddress6());
            assertNull(f.server.commAddress6());
            assertThrows(IOException.class, () -> connect(V6,
                    new InetSocketAddress(LOOPBACK6, f.server.logAddress().getPort())).close());
        }
    }
}
