package io.xstunt.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class LoopbackServerTest {
    @Test
    void servesOnBothLoopbackAddressesWithFreePortsAndTheGivenTuning() throws Exception {
        try (LoopbackServer s = LoopbackServer.start(b -> b.backlog(77).maxAnnouncementsPerSecond(1_000_000))) {
            assertTrue(s.logPort() > 0 && s.commPort() > 0, s.logPort() + " " + s.commPort());
            assertNotEquals(s.logPort(), s.commPort());
            assertEquals(LoopbackServer.IP1, s.server().config().ip1().getHostAddress());
            assertEquals(LoopbackServer.IP2, s.server().config().ip2().getHostAddress());
            assertEquals(77, s.server().config().backlog());
            assertEquals(1_000_000, s.server().config().maxAnnouncementsPerSecond());
            try (SocketChannel log = SocketChannel.open(new InetSocketAddress(LoopbackServer.IP1, s.logPort()))) {
                assertTrue(log.isConnected());
            }
            assertEquals(OptionalInt.empty(), s.stateOf("nobody"));
            s.awaitGone("nobody", Duration.ofSeconds(5));
            AssertionError e = assertThrows(AssertionError.class, () -> s.awaitIdle("nobody", Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("nobody in state"), e.getMessage());
        }
    }

    @Test
    void peerAddressesStayClearOfTheServersOwn() {
        assertEquals("127.0.0.11", LoopbackServer.peerAddress(11));
        assertEquals("127.0.0.254", LoopbackServer.peerAddress(254));
        assertThrows(IllegalArgumentException.class, () -> LoopbackServer.peerAddress(2));
        assertThrows(IllegalArgumentException.class, () -> LoopbackServer.peerAddress(255));
    }
}
