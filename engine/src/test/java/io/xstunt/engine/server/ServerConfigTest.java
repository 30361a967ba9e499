package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
    private static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    private static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");

    @Test
    void defaultsAreTheReferences() {
        ServerConfig c = ServerConfig.builder(IP1, IP2).build();
        assertEquals(IP1, c.ip1());
        assertEquals(IP2, c.ip2());
        assertEquals(8123, c.logPort());
        assertEquals(8132, c.commPort());
        assertEquals(Protocol.DEFAULT_ECHO_PORT1, c.echoPort1());
        assertEquals(Protocol.DEFAULT_ECHO_PORT2, c.echoPort2());
        assertEquals(1, c.serverVersion());
        assertEquals(10, c.requiredBuild());
        assertEquals(Duration.ofSeconds(30), c.sessionTimeout());
        assertEquals(Duration.ofSeconds(10), c.handshakeTimeout());
        assertEquals(1024, c.maxLogLine());
        assertTrue(c.backlog() > 0);
    }

    @Test
    void robustnessDefaultsAreSafeAndTheOriginalBehaviourStaysOn() {
        ServerConfig c = ServerConfig.builder(IP1, IP2).build();
        assertEquals(10_000, c.maxClients());
        assertEquals(256, c.maxConnectionsPerSource());
        assertEquals(1_000, c.maxSessions());
        assertEquals(4, c.maxPendingAnnouncements());
        assertEquals(50, c.maxAnnouncementsPerSecond());
        assertEquals(Duration.ofSeconds(60), c.idleTimeout());
        assertEquals(20, c.keepaliveSeconds());
        assertEquals(Duration.ZERO, c.originalIdleTimeout(), "original clients send no keepalive");
        assertEquals(null, c.sharedSecret());
        assertEquals(false, c.requireTokens());
    }

    @Test
    void robustnessLimitsAreChecked() {
        UnaryOperator<ServerConfig.Builder>[] bad = List.<UnaryOperator<ServerConfig.Builder>>of(
                b -> b.maxClients(0), b -> b.maxConnectionsPerSource(0), b -> b.maxSessions(0),
                b -> b.maxPendingAnnouncements(0), b -> b.maxAnnouncementsPerSecond(0), b -> b.idleTimeout(Duration.ofSeconds(2)),
                b -> b.originalIdleTimeout(Duration.ofSeconds(-1)), b -> b.sharedSecret(new byte[7]))
                .toArray(UnaryOperator[]::new);
        for (UnaryOperator<ServerConfig.Builder> t : bad) {
            assertThrows(IllegalArgumentException.class, () -> t.apply(ServerConfig.builder(IP1, IP2)).build());
        }
        byte[] secret = "abcdefgh".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ServerConfig c = ServerConfig.builder(IP1, IP2).sharedSecret(secret).build();
        secret[0] = 'z';
        assertEquals('a', c.sharedSecret()[0], "the secret is copied in");
        assertTrue(!c.toString().contains("abcdefgh"), "and never shown");
    }

    @Test
    void portZeroIsAllowedEverywhere() {
        ServerConfig c = ServerConfig.builder(IP1, IP2).logPort(0).commPort(0).echoPort1(0).echoPort2(0).build();
        assertEquals(0, c.logPort() + c.commPort() + c.echoPort1() + c.echoPort2());
    }

    private static void assertRejected(String fragment, UnaryOperator<ServerConfig.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(ServerConfig.builder(IP1, IP2)).build());
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks " + fragment);
    }

    @Test
    void everyFieldIsValidated() {
        assertRejected("logPort", b -> b.logPort(-1));
        assertRejected("commPort", b -> b.commPort(65536));
        assertRejected("echoPort1", b -> b.echoPort1(70000));
        assertRejected("echoPort2", b -> b.echoPort2(-5));
        assertRejected("logPort and commPort", b -> b.logPort(9000).commPort(9000));
        assertRejected("echoPort1 and echoPort2", b -> b.echoPort1(9001).echoPort2(9001));
        assertRejected("commPort and echoPort1", b -> b.commPort(9002).echoPort1(9002));
        assertRejected("serverVersion", b -> b.serverVersion(-1));
        assertRejected("requiredBuild", b -> b.requiredBuild(0));
        assertRejected("sessionTimeout", b -> b.sessionTimeout(Duration.ZERO));
        assertRejected("handshakeTimeout", b -> b.handshakeTimeout(Duration.ofSeconds(-1)));
        assertRejected("probeTimeout", b -> b.probeTimeout(null));
        assertRejected("sessionTimeout", b -> b.sessionTimeout(Duration.ofDays(2)));
        assertRejected("maxLogLine", b -> b.maxLogLine(10));
        assertRejected("maxRelayBacklog", b -> b.maxRelayBacklog(1));
        assertRejected("backlog", b -> b.backlog(0));
    }

    @Test
    void theTwoIpsMustDifferAndBeConcrete() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.builder(IP1, IP1).build());
        assertTrue(e.getMessage().contains("must differ"));
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.builder(Ipv4.parse("0.0.0.0"), IP2).build());
        assertThrows(NullPointerException.class, () -> ServerConfig.builder(null, IP2).build());
    }
}
