package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.tcp.FreshPorts;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How client sockets get their local port when the client is bound to a configured address. */
class ClientSocketsTest {
    static final InetAddress LOCAL = Ipv4.parse("127.0.0.41");

    @Test
    void freshPortsAreRandomPortsOfTheEphemeralRangeOnTheConfiguredAddress() throws Exception {
        List<SocketChannel> open = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        try {
            for (int i = 0; i < 200; i++) {
                SocketChannel ch = ClientSockets.service(LOCAL);
                open.add(ch);
                InetSocketAddress a = (InetSocketAddress) ch.getLocalAddress();
                assertEquals(LOCAL, a.getAddress());
                assertTrue(a.getPort() >= FreshPorts.LOW && a.getPort() <= FreshPorts.HIGH,
                        "port " + a.getPort());
                assertTrue(ch.getOption(StandardSocketOptions.SO_REUSEADDR), "set after the bind, for its TIME_WAIT");
                assertEquals(0, a.getPort() % 2, "even: the odd half stays for the host's connect()");
                ports.add(a.getPort());
            }
            // each was bound before SO_REUSEADDR was set, so no two share a port; random means not in sequence
            assertEquals(200, ports.size());
            int ascending = 0;
            for (int i = 1; i < open.size(); i++) {
                int prev = ((InetSocketAddress) open.get(i - 1).getLocalAddress()).getPort();
                int cur = ((InetSocketAddress) open.get(i).getLocalAddress()).getPort();
                ascending += cur == prev + 2 ? 1 : 0;
            }
            assertTrue(ascending < 10, ascending + " of 199 ports followed their predecessor");
        } finally {
            open.forEach(ClientSockets::closeQuietly);
        }
    }

    @Test
    void aFreshPredictionPortCanBeBoundAgainByThePunchSockets() throws Exception {
        // SO_REUSEADDR/SO_REUSEPORT are set after the fresh port's bind: the punch's connecting
        // and listening sockets must still share the port with it
        try (SocketChannel prediction = ClientSockets.bound(LOCAL, 0, true)) {
            int port = ((InetSocketAddress) prediction.getLocalAddress()).getPort();
            var listener = ClientSockets.listening(LOCAL, port, 1);
            try (SocketChannel punch = ClientSockets.bound(LOCAL, port, true)) {
                assertEquals(port, ((InetSocketAddress) punch.getLocalAddress()).getPort());
            } finally {
                ClientSockets.closeQuietly(listener);
            }
        }
    }
}
