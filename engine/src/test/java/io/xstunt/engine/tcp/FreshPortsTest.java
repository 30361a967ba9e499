package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.net.Connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Ipv4;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Fresh local ports: random even ports of the range, and the fallbacks when they are taken. */
class FreshPortsTest {
    static final InetAddress LOCAL = Ipv4.parse("127.0.0.41");

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
            assertThrows(BindException.class, () -> plain.bind(new InetSocketAddress(LOCAL, tw)),
                    "the port is not in TIME_WAIT; the test proves nothing");
        }
        try (SocketChannel ch = SocketChannel.open()) {
            FreshPorts.bind(ch, LOCAL, ch::bind, () -> tw);
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
            FreshPorts.bind(ch, LOCAL, ch::bind, () -> held);
            int got = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            assertTrue(got > 0 && got != held, "port " + got);
        }
    }

    @Test
    void aSharedListenerTakesAFreshEvenPortThatAPunchSocketThenShares() throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open();
             ServerSocketChannel peer = ServerSocketChannel.open();
             SocketChannel punch = SocketChannel.open()) {
            FreshPorts.bindShared(listener, LOCAL, 4);
            int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            assertTrue(port >= FreshPorts.LOW && port <= FreshPorts.HIGH && port % 2 == 0, "port " + port);
            assertTrue(listener.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertTrue(listener.getOption(StandardSocketOptions.SO_REUSEPORT));
            // the punch's connecting socket binds the listener's port (options set after its bind count)
            peer.bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 1);
            punch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            punch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            punch.bind(new InetSocketAddress(LOCAL, port));
            assertTrue(punch.connect(peer.getLocalAddress()) || punch.finishConnect());
        }
    }

    @Test
    void aSharedListenerTakesAPortWhoseOnlySocketIsInTimeWait() throws Exception {
        int tw = portInTimeWait();
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            FreshPorts.bindShared(listener, LOCAL, a -> listener.bind(a, 4), () -> tw);
            assertEquals(tw, ((InetSocketAddress) listener.getLocalAddress()).getPort());
        }
    }

    @Test
    void aSharedListenerNeverJoinsALiveListenersPort() throws Exception {
        try (ServerSocketChannel other = ServerSocketChannel.open();
             ServerSocketChannel listener = ServerSocketChannel.open()) {
            other.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            other.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            other.bind(new InetSocketAddress(LOCAL, 0), 4);
            int held = ((InetSocketAddress) other.getLocalAddress()).getPort();
            FreshPorts.bindShared(listener, LOCAL, a -> listener.bind(a, 4), () -> held);
            int got = ((InetSocketAddress) listener.getLocalAddress()).getPort();
            assertTrue(got > 0 && got != held, "port " + got);
        }
    }

    @Test
    void theTimeWaitOfAFreshPortSocketDoesNotBlockItsPortForUs() throws Exception {
        int port;
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 1);
            SocketChannel c = SocketChannel.open();
            FreshPorts.bind(c, LOCAL);
            c.connect(server.getLocalAddress());
            port = ((InetSocketAddress) c.getLocalAddress()).getPort();
            try (SocketChannel accepted = server.accept()) {
                c.close(); // TIME_WAIT on our side
                assertEquals(-1, accepted.read(ByteBuffer.allocate(1)));
            }
        }
        try (SocketChannel again = SocketChannel.open()) {
            FreshPorts.bind(again, LOCAL, again::bind, () -> port);
            assertEquals(port, ((InetSocketAddress) again.getLocalAddress()).getPort(),
                    "the second pass (SO_REUSEADDR) takes the port of our own TIME_WAIT");
        }
    }

    @Test
    void anEphemeralListenerGetsARandomEvenPortAndItsConnectionsTimeWaitDoesNotBlockTheNext() throws Exception {
        EventLoop loop = EventLoop.open("fresh-ports-test").start();
        try {
            Set<Integer> ports = new HashSet<>();
            int first = -1;
            for (int i = 0; i < 50; i++) {
                int port = LoopTesting.onLoop(loop, () -> {
                    TcpAcceptor a = TcpAcceptor.open(loop, new InetSocketAddress(LOCAL, 0), 8, (acc, ch) -> { });
                    int p = a.address().getPort();
                    a.close();
                    return p;
                });
                assertTrue(port >= FreshPorts.LOW && port <= FreshPorts.HIGH && port % 2 == 0, "port " + port);
                ports.add(port);
                first = first < 0 ? port : first;
            }
            assertTrue(ports.size() > 40, "random ports, got " + ports.size() + " distinct of 50");
            // the server side closes a control connection first: its TIME_WAIT holds the
            // listener's port; a later listener must still be able to take that port
            int twPort = first;
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                FreshPorts.bind(l, LOCAL, a -> l.bind(a, 1), () -> twPort);
                try (SocketChannel c = SocketChannel.open(l.getLocalAddress()); SocketChannel s = l.accept()) {
                    s.close(); // server side first: TIME_WAIT on the listener's port
                    assertEquals(-1, c.read(ByteBuffer.allocate(1)));
                }
            }
            try (ServerSocketChannel again = ServerSocketChannel.open()) {
                FreshPorts.bind(again, LOCAL, a -> again.bind(a, 1), () -> twPort);
                assertEquals(twPort, ((InetSocketAddress) again.getLocalAddress()).getPort());
            }
        } finally {
            loop.close();
        }
    }
}
