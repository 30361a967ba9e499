package io.xstunt.engine.tcp;

import static io.xstunt.engine.loop.LoopTesting.await;
import static io.xstunt.engine.loop.LoopTesting.onLoop;
import static io.xstunt.engine.loop.LoopTesting.runOnLoop;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How {@link NioNetwork} opens the client's sockets (ClientSocketsTest's successor): where they
 * bind when the client is bound to a configured address, and the options {@link SocketSpec} asks
 * for, read back from the sockets themselves.
 */
@Timeout(30)
class NioNetworkBindingTest {
    static final InetAddress LOCAL = Ipv4.parse("127.0.0.41");

    private EventLoop loop;
    private NioNetwork network;
    /**
     * Where the sockets under test connect to: listeners that never accept (the kernel completes
     * the handshakes). Two, so that two sockets on one local port differ in their remote, as the
     * prediction's query (to the echo service) and the punch (to the peer) do.
     */
    private ServerSocketChannel remote;
    private ServerSocketChannel peer;
    private final List<Connection> open = new ArrayList<>();
    private final List<Acceptor> acceptors = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        loop = EventLoop.open("binding-test").start();
        network = new NioNetwork(loop);
        remote = ServerSocketChannel.open().bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 512);
        peer = ServerSocketChannel.open().bind(new InetSocketAddress(Ipv4.parse("127.0.0.1"), 0), 4);
    }

    @AfterEach
    void stop() throws IOException {
        runOnLoop(loop, () -> {
            open.forEach(Connection::closeSilently);
            acceptors.forEach(Acceptor::close);
        });
        remote.close();
        peer.close();
        loop.close();
    }

    /** Opens a connection as {@code spec} says to {@code to}, on the loop; @return it (closed after the test) */
    private Connection connect(SocketSpec spec, ServerSocketChannel to) {
        return onLoop(loop, () -> {
            Connection c = network.connect(spec, (InetSocketAddress) to.getLocalAddress(), ConnectionListener.DISCARD);
            open.add(c);
            return c;
        });
    }

    /**
     * @return the socket of a connection opened as {@code spec} says to {@code to}, taken off the
     *     loop to read its options (the caller closes it)
     */
    private SocketChannel socketOf(SocketSpec spec, ServerSocketChannel to) {
        CompletableFuture<SocketChannel> socket = new CompletableFuture<>();
        runOnLoop(loop, () -> network.connect(spec, (InetSocketAddress) to.getLocalAddress(), ConnectionListener.DISCARD)
                .handOver(ch -> socket.complete(assertInstanceOf(SocketChannel.class, ch)), socket::completeExceptionally));
        return await(socket, "the socket of " + spec);
    }

    private SocketChannel socketOf(SocketSpec spec) {
        return socketOf(spec, remote);
    }

    @Test
    void freshPortsAreRandomEvenPortsOfTheRangeOnTheConfiguredAddress() {
        List<Integer> ports = onLoop(loop, () -> {
            List<Integer> l = new ArrayList<>();
            for (int i = 0; i < 200; i++) { // all open at once: no two may share a port
                Connection c = network.connect(SocketSpec.service(LOCAL), (InetSocketAddress) remote.getLocalAddress(),
                        ConnectionListener.DISCARD);
                open.add(c);
                assertEquals(LOCAL, c.localAddress().getAddress());
                l.add(c.localAddress().getPort());
            }
            return l;
        });
        for (int port : ports) {
            assertTrue(port >= FreshPorts.LOW && port <= FreshPorts.HIGH, "port " + port);
            assertEquals(0, port % 2, "even: the odd half stays for the host's connect()");
        }
        // SO_REUSEADDR is set after the bind: a random port that is taken is tried again, so no two share one
        Set<Integer> distinct = new HashSet<>(ports);
        assertEquals(200, distinct.size());
        int ascending = 0;
        for (int i = 1; i < ports.size(); i++) {
            ascending += ports.get(i) == ports.get(i - 1) + 2 ? 1 : 0;
        }
        assertTrue(ascending < 10, ascending + " of 199 ports followed their predecessor: not random");
    }

    @Test
    void aServiceConnectionHasNoDelayAndReuseAddressForItsTimeWait() throws IOException {
        try (SocketChannel s = socketOf(SocketSpec.service(LOCAL))) {
            assertEquals(LOCAL, ((InetSocketAddress) s.getLocalAddress()).getAddress());
            assertTrue(s.getOption(StandardSocketOptions.TCP_NODELAY), "small frames back to back must not wait");
            assertTrue(s.getOption(StandardSocketOptions.SO_REUSEADDR), "set after the fresh port's bind");
            assertFalse(s.getOption(StandardSocketOptions.SO_REUSEPORT));
        }
    }

    @Test
    void sharedSocketsHaveReuseAddressAndReusePortOnlyWhenAsked() throws IOException {
        try (SocketChannel query = socketOf(SocketSpec.shared(LOCAL, 0, false))) {
            assertTrue(query.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertFalse(query.getOption(StandardSocketOptions.SO_REUSEPORT), "the probe's queries do not share at once");
            assertFalse(query.getOption(StandardSocketOptions.TCP_NODELAY));
            int port = ((InetSocketAddress) query.getLocalAddress()).getPort();
            assertTrue(port >= FreshPorts.LOW && port <= FreshPorts.HIGH, "a fresh port, port " + port);
        }
        try (SocketChannel prediction = socketOf(SocketSpec.shared(LOCAL, 0, true))) {
            assertTrue(prediction.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertTrue(prediction.getOption(StandardSocketOptions.SO_REUSEPORT), "the punch binds its port again");
        }
    }

    @Test
    void aGivenPortIsBoundAndTheSystemsDefaultsBindNothing() throws IOException {
        int port;
        try (SocketChannel fresh = socketOf(SocketSpec.shared(LOCAL, 0, true))) {
            port = ((InetSocketAddress) fresh.getLocalAddress()).getPort();
            try (SocketChannel again = socketOf(SocketSpec.shared(LOCAL, port, true), peer)) {
                assertEquals(new InetSocketAddress(LOCAL, port), again.getLocalAddress(), "the port asked for");
            }
        }
        try (SocketChannel plain = socketOf(SocketSpec.DEFAULTS)) {
            assertEquals(null, plain.getLocalAddress(), "not bound before its connect");
            assertTrue(plain.finishConnect()); // blocking now; the listener's backlog takes it at once
            assertEquals(Ipv4.parse("127.0.0.1"), ((InetSocketAddress) plain.getLocalAddress()).getAddress(),
                    "no address: the connect picks the route's");
            assertFalse(plain.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertFalse(plain.getOption(StandardSocketOptions.SO_REUSEPORT));
            assertFalse(plain.getOption(StandardSocketOptions.TCP_NODELAY));
        }
        try (SocketChannel big = socketOf(SocketSpec.DEFAULTS.withSendBuffer(128 * 1024))) {
            assertTrue(big.getOption(StandardSocketOptions.SO_SNDBUF) >= 128 * 1024, "SO_SNDBUF as asked");
        }
    }

    @Test
    void thePunchListenerSharesItsPortWithTheConnectingSockets() {
        // the prediction's socket (a fresh port, the reuse options set after its bind), then the
        // punch: a listener and a connect attempt on that same port, all open at once
        int port = connect(SocketSpec.shared(LOCAL, 0, true), remote).localAddress().getPort();
        CompletableFuture<InetSocketAddress> accepted = new CompletableFuture<>();
        Acceptor listener = onLoop(loop, () -> {
            Acceptor a = network.listen(SocketSpec.shared(LOCAL, port, true), 4, (acc, in) -> {
                accepted.complete(in.remoteAddress());
                in.refuse();
            });
            acceptors.add(a);
            return a;
        });
        assertEquals(new InetSocketAddress(LOCAL, port), listener.address());
        assertEquals(port, connect(SocketSpec.shared(LOCAL, port, true), peer).localAddress().getPort(),
                "a retried connect binds the port the listener holds");
        try (SocketChannel incoming = SocketChannel.open(new InetSocketAddress(LOCAL, port))) {
            assertEquals(incoming.getLocalAddress(), await(accepted, "a connection on the punch listener"));
        } catch (IOException e) {
            throw new AssertionError("cannot reach the punch listener", e);
        }
    }

    @Test
    void aListenerWithoutReusePortKeepsItsPortToItself() {
        int port = connect(SocketSpec.shared(LOCAL, 0, true), remote).localAddress().getPort();
        onLoop(loop, () -> acceptors.add(network.listen(SocketSpec.listener(new InetSocketAddress(LOCAL, port)), 4,
                (acc, in) -> in.refuse())));
        IOException refused = onLoop(loop, () -> {
            try {
                open.add(network.connect(SocketSpec.shared(LOCAL, port, true),
                        (InetSocketAddress) peer.getLocalAddress(), ConnectionListener.DISCARD));
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        assertInstanceOf(BindException.class, refused,
                "a connect may not bind the port of a listener that did not ask to share it");
    }
}
