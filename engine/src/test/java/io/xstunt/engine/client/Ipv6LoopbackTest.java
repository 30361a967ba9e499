package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.Ipv6Loopback;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 address extension and the Happy Eyeballs race end to end on loopback: both peers
 * register ::1 (the server's services stay on 127.0.0.1/2), the server hands each the other's
 * IPv6 endpoint before the announcement, and the simultaneous open over ::1 beats the IPv4 punch
 * that starts its head start later. Needs ::1 (a kernel with IPv6 disabled has none: then these
 * tests are skipped and say why).
 */
class Ipv6LoopbackTest extends LoopbackFixture {
    static final Inet6Address LOOPBACK6 = Ipv6Loopback.ADDRESS;

    @BeforeEach
    void needsIpv6Loopback() {
        Ipv6Loopback.required();
    }

    @Test
    void bothWithIpv6ConnectOverIpv6AndCarryData() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").ipv6(Ipv6Setting.from(LOOPBACK6)).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").ipv6(Ipv6Setting.from(LOOPBACK6)).build(), "bob");

        Rendezvous out = a.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = b.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());

        assertInstanceOf(Inet6Address.class, out.peerAddress().getAddress(), "IPv6 won on the initiator");
        assertInstanceOf(Inet6Address.class, in.peerAddress().getAddress(), "IPv6 won on the listener");
        assertEquals(out.socketChannel().getLocalAddress(), in.socketChannel().getRemoteAddress());
        assertEquals(ConnectionPath.DIRECT, out.path());
        assertEquals("over six", roundTrip(out.socketChannel(), in.socketChannel(), "over six"));
        assertEquals("and back", roundTrip(in.socketChannel(), out.socketChannel(), "and back"));
    }

    @Test
    void aPeerWithoutIpv6GetsTheIpv4PunchAsBefore() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").ipv6(Ipv6Setting.from(LOOPBACK6)).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").ipv6(Ipv6Setting.OFF).build(), "bob");

        Rendezvous out = a.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = b.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());

        assertEquals(PEER_B, out.peerAddress().getAddress());
        assertInstanceOf(Inet4Address.class, in.peerAddress().getAddress());
        assertEquals("v4", roundTrip(out.socketChannel(), in.socketChannel(), "v4"));
    }

    @Test
    void offResolvesToNoEndpoint() {
        assertNull(Ipv6Setting.OFF.resolve());
        assertEquals(LOOPBACK6, Ipv6Setting.from(LOOPBACK6).resolve());
    }
}
