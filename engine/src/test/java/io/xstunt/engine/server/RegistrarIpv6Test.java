package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's half of the IPv6 address extension on a fake clock: the A6 line of an extension
 * client is taken (not recorded as a log line), a bad one is refused by name and nothing else
 * changes, and an announcement to a client that registered one is preceded by its peer's record;
 * an original client's bytes stay as they were.
 */
class RegistrarIpv6Test {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final long SEC = 1_000_000_000L;

    private static Registrations registrations() {
        ServerConfig config = ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"))
                .handshakeTimeout(Duration.ofSeconds(2)).idleTimeout(Duration.ofSeconds(30)).build();
        return new Registrations(config, Answers.AT_ONCE, 50 * SEC).template(new ServerInfo("", 1, 2, 5001, 5002))
                .tokens(() -> 7);
    }

    private static Registrar idle(Registrations regs, String id, boolean extended) {
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField(id, extended));
        regs.sent(s);
        regs.feed(s, state(Protocol.CSTATE_IDLE, 0x0A000001));
        regs.sent(s); // the acknowledgement, for an extension client
        return s;
    }

    private static byte[] line(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void anA6LineRegistersTheEndpointAndAnnouncementsCarryThePeers() throws Exception {
        Registrations regs = registrations();
        Registrar s = idle(regs, "alice", true);
        regs.feed(s, line("\u0001A6 2001:db8::a 40001\n"));
        InetSocketAddress own = new InetSocketAddress(InetAddress.getByName("2001:db8::a"), 40001);
        assertEquals(own, s.ipv6());
        assertEquals(own, regs.ipv6.get("alice"));
        assertEquals(List.of(), regs.refusals(s));

        InetSocketAddress peer = new InetSocketAddress(InetAddress.getByName("2001:db8::b"), 40002);
        Echo announcement = new Echo(0xc0000201, 4000, 9, "bob", 0, Protocol.ROLE_INITIATOR);
        s.handleAnnouncement(announcement, 0, peer, regs.now);
        ByteBuffer sent = ByteBuffer.wrap(regs.sent(s));
        assertEquals(2 * WireVariant.ID32.echoSize(), sent.remaining(), "the peer record, then the announcement");
        assertArrayEquals(Ipv6Extension.record(9, peer, WireVariant.ID32).array(),
                java.util.Arrays.copyOf(sent.array(), WireVariant.ID32.echoSize()));
        sent.position(WireVariant.ID32.echoSize());
        assertEquals(announcement, Echo.read(sent, WireVariant.ID32));
    }

    @Test
    void withoutAPeerEndpointTheAnnouncementIsAlone() {
        Registrations regs = registrations();
        Registrar s = idle(regs, "alice", true);
        regs.feed(s, line("\u0001A6 2001:db8::a 40001\n"));
        s.handleAnnouncement(new Echo(0xc0000201, 4000, 9, "bob", 0, Protocol.ROLE_INITIATOR), 0, null, regs.now);
        assertEquals(WireVariant.ID32.echoSize(), regs.sent(s).length);
    }

    @Test
    void aClientThatRegisteredNoneGetsNoPeerRecord() throws Exception {
        Registrations regs = registrations();
        Registrar s = idle(regs, "alice", true);
        InetSocketAddress peer = new InetSocketAddress(InetAddress.getByName("2001:db8::b"), 40002);
        s.handleAnnouncement(new Echo(0xc0000201, 4000, 9, "bob", 0, Protocol.ROLE_INITIATOR), 0, peer, regs.now);
        assertEquals(WireVariant.ID32.echoSize(), regs.sent(s).length);
    }

    @Test
    void anOriginalClientsA6LineIsOnlyALogLine() {
        Registrations regs = registrations();
        Registrar s = idle(regs, "alice", false);
        regs.feed(s, line("\u0001A6 2001:db8::a 40001\n"));
        assertNull(s.ipv6());
        assertFalse(regs.ipv6.containsKey("alice"));
        assertEquals(Registrar.State.IDLE, s.state());
    }

    @Test
    void aBadA6LineIsRefusedByNameAndTheRegistrationStays() {
        Registrations regs = registrations();
        Registrar s = idle(regs, "alice", true);
        regs.feed(s, line("\u0001A6 203.0.113.9 40001\n\u0001ZZ whatever\n"));
        assertNull(s.ipv6());
        assertEquals(List.of(Rejection.BAD_BYTES, Rejection.BAD_BYTES), regs.refusals(s),
                "the bad A6 line and the unknown tag are each counted");
        assertEquals(Registrar.State.IDLE, s.state());
        assertTrue(regs.sent(s).length == 0, "nothing written back");
    }
}
