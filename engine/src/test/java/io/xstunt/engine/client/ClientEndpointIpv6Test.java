package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The client's half of the IPv6 address extension, driven by hand: the A6 line goes out at start
 * only to a server that answered the extensions, and a peer record before an announcement is
 * kept for that session's rendezvous (once), not taken for an announcement or a keepalive.
 */
class ClientEndpointIpv6Test {
    private static final InetSocketAddress OWN = endpoint("2001:db8::a", 40001);
    private static final InetSocketAddress PEER = endpoint("2001:db8::b", 40002);

    private static InetSocketAddress endpoint(String literal, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ClientEndpoint endpoint(ServerInfo info, InetSocketAddress own) {
        ClientEndpoint e = new ClientEndpoint("alice", ClientEndpointTest.config(false),
                ClientEndpointTest.registered(info));
        e.useIpv6(own);
        return e;
    }

    @Test
    void theA6LineGoesOutAtStartToAnExtensionServer() {
        ClientEndpoint e = endpoint(ClientEndpointTest.info(0, 7), OWN);
        ByHand<ClientEndpoint.Action> hand = new ByHand<>(e, ClientEndpointTest.START);
        byte[] sent = hand.feed(e::start).sentBytes(0);
        assertEquals("\u0001A6 2001:db8::a 40001\n", new String(sent, StandardCharsets.US_ASCII));
    }

    @Test
    void nothingGoesToAnOriginalServerOrWithoutIpv6() {
        ServerInfo original = new ServerInfo("alice", ClientEndpointTest.SERVER_IP, Ipv4.toInt(Ipv4.parse(
                "203.0.113.2")), 8124, 8125);
        ClientEndpoint e = endpoint(original, OWN);
        assertTrue(new ByHand<>(e, ClientEndpointTest.START).feed(e::start).quiet());
        ClientEndpoint none = endpoint(ClientEndpointTest.info(0, 7), null);
        assertTrue(new ByHand<>(none, ClientEndpointTest.START).feed(none::start).quiet());
    }

    @Test
    void aPeerRecordIsKeptForItsSessionAndTheAnnouncementStillStartsTheRendezvous() {
        ClientEndpoint e = endpoint(ClientEndpointTest.info(0, 7), OWN);
        ByHand<ClientEndpoint.Action> hand = new ByHand<>(e, ClientEndpointTest.START);
        hand.feed(e::start);
        ByteBuffer in = ByteBuffer.allocate(2 * WireVariant.ID32.echoSize());
        in.put(Ipv6Extension.record(7, PEER, WireVariant.ID32))
                .put(ClientEndpointTest.announcement(Protocol.ROLE_LISTENER, "carol", 40010)).flip();
        ClientEndpoint.Action.StartRendezvous s = hand.bytes(0, in)
                .only(ClientEndpoint.Action.StartRendezvous.class);
        assertEquals(7, s.session());
        assertEquals(PEER, e.takePeerIpv6(7));
        assertNull(e.takePeerIpv6(7), "taken once");
        assertEquals(0, in.remaining());
    }
}
