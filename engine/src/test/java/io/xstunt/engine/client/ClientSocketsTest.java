package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /** A port of {@code LOCAL} left in TIME_WAIT by a connection this side closed first. */
    static int portInTimeWait() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 1);
            try (SocketChannel c = SocketChannel.open()) {
                c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                c.bind(new InetSocketAddress(LOCAL, 0));
                c.connect(server.getLocalAddress());
                int port = ((InetSocketAddress) c.getLocalAddress()).getPort();
                try (SocketChannel accepted = server.accept()) {
                    c.close(); // we close first: the TIME_WAIT stays on this side
                    assertEquals(-1, accepted.read(ByteBuffer.allocate(1)));
                }
                return port;
            }
        }
    }

    @Test
    void whenEveryRandomPortIsInTimeWaitItIsTakenWithReuseAddress() throws Exception {
        // (saturating a real range would also starve every connect() on the host for a minute:
        // the kernel's autobind skips ports that bind() holds, TIME_WAIT included)
        int tw = portInTimeWait();
        try (SocketChannel plain = SocketChannel.open()) {
            assertThrows(java.net.BindException.class, () -> plain.bind(new InetSocketAddress(LOCAL, tw)),
                    "the port is not in TIME_WAIT; the test proves nothing");
        }
        try (SocketChannel ch = SocketChannel.open()) {
            ClientSockets.bindFreshPort(ch, LOCAL, () -> tw);
            assertEquals(tw, ((InetSocketAddress) ch.getLocalAddress()).getPort());
            assertTrue(ch.getOption(StandardSocketOptions.SO_REUSEADDR));
        }
    }

    @Test
    void whenEveryRandomPortIsHeldByAListenerTheKernelSearches() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open();
             SocketChannel ch = SocketChannel.open()) {
            listener.bind(new InetSocketAddress(LOCAL, 0));
            int held = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            ClientSockets.bindFreshPort(ch, LOCAL, () -> held);
            int got = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            assertTrue(got > 0 && got != held, "port " + got);
        }
    }

    @Test
    void theTimeWaitOfAFreshPortSocketDoesNotBlockItsPortForUs() throws Exception {
        int port;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 1);
            SocketChannel c = ClientSockets.service(LOCAL);
            c.connect(server.getLocalAddress());
            port = ((InetSocketAddress) c.getLocalAddress()).getPort();
            try (SocketChannel accepted = server.accept()) {
                c.close(); // TIME_WAIT on our side
                assertEquals(-1, accepted.read(ByteBuffer.allocate(1)));
            }
        }
        try (SocketChannel again = SocketChannel.open()) {
            ClientSockets.bindFreshPort(again, LOCAL, () -> port);
            assertEquals(port, ((InetSocketAddress) again.getLocalAddress()).getPort(),
                    "the second pass (SO_REUSEADDR) takes the port of our own TIME_WAIT");
        }
    }
}
