package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
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
                assertTrue(a.getPort() >= ClientSockets.EPHEMERAL_LOW && a.getPort() <= ClientSockets.EPHEMERAL_HIGH,
                        "port " + a.getPort());
                assertFalse(ch.getOption(StandardSocketOptions.SO_REUSEADDR), "a port of its own, shared with none");
                ports.add(a.getPort());
            }
            // all are bound at once without SO_REUSEADDR, so no two share a port; random means not in sequence
            assertEquals(200, ports.size());
            int ascending = 0;
            for (int i = 1; i < open.size(); i++) {
                int prev = ((InetSocketAddress) open.get(i - 1).getLocalAddress()).getPort();
                int cur = ((InetSocketAddress) open.get(i).getLocalAddress()).getPort();
                ascending += cur == prev + 1 ? 1 : 0;
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

    @Test
    void anAddressWhoseWholeRangeIsInTimeWaitStillGetsPorts() throws Exception {
        // every ephemeral port of a spare address left in TIME_WAIT by this side's own closes
        InetAddress crowded = Ipv4.parse("127.0.0.42");
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 64);
            for (int port = ClientSockets.EPHEMERAL_LOW; port <= ClientSockets.EPHEMERAL_HIGH; port++) {
                try (SocketChannel c = SocketChannel.open()) {
                    c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                    try {
                        c.bind(new InetSocketAddress(crowded, port));
                    } catch (java.net.BindException inUse) {
                        continue; // already in TIME_WAIT from an earlier run
                    }
                    c.connect(server.getLocalAddress());
                    try (SocketChannel accepted = server.accept()) {
                        c.close(); // we close first: the TIME_WAIT stays on this side
                        accepted.read(ByteBuffer.allocate(1));
                    }
                }
            }
        }
        // no port of the range is free of sockets now: a bind without SO_REUSEADDR finds none
        try (SocketChannel plain = SocketChannel.open()) {
            assertThrows(java.net.BindException.class, () -> plain.bind(new InetSocketAddress(crowded, 0)),
                    "the range was not saturated; the test proves nothing");
        }
        try (SocketChannel service = ClientSockets.service(crowded);
             SocketChannel prediction = ClientSockets.bound(crowded, 0, true)) {
            assertEquals(crowded, ((InetSocketAddress) service.getLocalAddress()).getAddress());
            assertTrue(((InetSocketAddress) prediction.getLocalAddress()).getPort() > 0);
        }
    }
}
