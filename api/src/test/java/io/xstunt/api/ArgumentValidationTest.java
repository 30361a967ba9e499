package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad arguments are refused before any traffic, with a message that says what is wrong. */
class ArgumentValidationTest {
    private static final XstuntOptions OPTIONS = XstuntOptions.builder().fingerprintFile(null).build();

    private static IllegalArgumentException initFails(String ip1, String ip2, String id) {
        return assertThrows(IllegalArgumentException.class, () -> Xstunt.xInit(ip1, ip2, id, OPTIONS));
    }

    @Test
    void emptyIdIsRefused() {
        assertTrue(initFails("127.0.0.1", "127.0.0.2", "").getMessage().contains("empty"));
        assertTrue(initFails("127.0.0.1", "127.0.0.2", null).getMessage().contains("empty"));
    }

    @Test
    void idOfThirtyThreeBytesIsRefused() {
        String id = "a".repeat(33);
        IllegalArgumentException e = initFails("127.0.0.1", "127.0.0.2", id);
        assertTrue(e.getMessage().contains("33 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("at most 32"), e.getMessage());
    }

    @Test
    void lengthIsCountedInUtf8Bytes() {
        // 11 euro signs are 11 chars but 33 bytes of UTF-8.
        IllegalArgumentException e = initFails("127.0.0.1", "127.0.0.2", "\u20ac".repeat(11));
        assertTrue(e.getMessage().contains("33 bytes"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "tab\there", "nul\u0000", "del\u007f", "c1\u0085"})
    void controlCharactersAreRefused(String id) {
        assertTrue(initFails("127.0.0.1", "127.0.0.2", id).getMessage().contains("control character"));
    }

    @Test
    void missingServerIpsAreRefusedBecauseThereIsNoDefaultServer() {
        IllegalArgumentException e1 = initFails(null, "127.0.0.2", "alice");
        assertTrue(e1.getMessage().contains("serverIp1 is required"), e1.getMessage());
        IllegalArgumentException e2 = initFails("127.0.0.1", null, "alice");
        assertTrue(e2.getMessage().contains("serverIp2 is required"), e2.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "1.2.3", "1.2.3.256", "", "1..2.3"})
    void malformedServerIpsAreRefused(String ip) {
        IllegalArgumentException e = initFails(ip, "127.0.0.2", "alice");
        assertTrue(e.getMessage().startsWith("serverIp1: not an IPv4 address"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"[::1", "fe80::1%lo", "::ffff:127.0.0.1", "2001:db8::g", "[example.org]:1"})
    void malformedIpv6ServerLiteralsAreRefused(String ip) {
        IllegalArgumentException e = initFails(ip, ip, "alice");
        assertTrue(e.getMessage().startsWith("serverIp1: not an IPv6 literal"), e.getMessage());
    }

    @Test
    void anIpv6ServerIsOneAddressGivenAsBothIps() {
        var config = XstuntAsync.config("[2001:db8::1]", "2001:db8::1", XstuntOptions.defaults());
        assertTrue(config.overIpv6());
        assertEquals(config.serverIp1(), config.serverIp2());
        IllegalArgumentException e = initFails("::1", "127.0.0.2", "alice");
        assertTrue(e.getMessage().contains("a server reached over IPv6 has one address"), e.getMessage());
    }

    @Test
    void asyncInitRefusesBadArgumentsSynchronously() {
        assertThrows(IllegalArgumentException.class, () -> XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "", OPTIONS));
    }

    @Test
    void blockingCallOnTheThreadThatDrivesTheLoopIsRefused() {
        try (EventLoop hostLoop = EventLoop.open("host")) {
            hostLoop.doWork(); // this thread now owns the loop, as a game loop would
            XstuntOptions own = XstuntOptions.builder().eventLoop(hostLoop).fingerprintFile(null).build();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Xstunt.xInit("127.0.0.1", "127.0.0.2", "alice", own));
            assertTrue(e.getMessage().contains("use XstuntAsync"), e.getMessage());
        }
    }

    @Test
    void blockingInitBoundOutlastsTheEnginesOwnTimeoutsUnlessSet() {
        var config = XstuntAsync.config("127.0.0.1", "127.0.0.2", XstuntOptions.defaults());
        // registration + 3 probe attempts x 4 echo queries, each up to RCV_ECHO_TIMEOUT 7 s, + 5 s margin
        assertEquals(Duration.ofSeconds(7 * 13 + 5), XstuntOptions.defaults().initBound(config));
        XstuntOptions fewer = XstuntOptions.builder().probeRetries(1).echoTimeout(Duration.ofSeconds(2))
                .build();
        assertEquals(Duration.ofSeconds(2 * 5 + 5), fewer.initBound(fewer.clientConfig(
                io.xstunt.engine.wire.Ipv4.parse("127.0.0.1"), io.xstunt.engine.wire.Ipv4.parse("127.0.0.2"))));
        XstuntOptions set = XstuntOptions.builder().initTimeout(Duration.ofSeconds(3)).build();
        assertEquals(Duration.ofSeconds(3), set.initBound(config));
    }

    @Test
    void optionsCheckPortsAndDurations() {
        XstuntOptions.Builder b = XstuntOptions.builder();
        assertEquals("logPort must be 1..65535, got 0",
                assertThrows(IllegalArgumentException.class, () -> b.logPort(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.commPort(65536));
        assertThrows(IllegalArgumentException.class, () -> b.initTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.listenTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.localAddress("127.0.0"));
    }
}
