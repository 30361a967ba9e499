package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The simulated hosts' TCP without NAT: two public hosts 5 ms from the internet each (a 20 ms round trip). */
@Timeout(10)
class SimTcpTest {
    private static final Duration RTT = Duration.ofMillis(20);
    private static final Duration WITHIN = Duration.ofSeconds(5);

    private final SimNetwork net = new SimNetwork(7);
    private final Bridge internet = net.bridge("internet", "198.51.100.0/24", "203.0.113.0/24");
    private final SimHost a = net.host("a", internet, Link.of(Duration.ofMillis(5)), "198.51.100.1");
    private final SimHost b = net.host("b", internet, Link.of(Duration.ofMillis(5)), "198.51.100.2");

    @Test
    void connectsInOneRoundTripCarriesDataBothWaysAndCloses() throws IOException {
        EchoService echo = EchoService.echoOn(b, 7);
        Recorder client = Recorder.connect(a, SocketSpec.service(null), echo.address());
        Connection c = client.connection();
        assertEquals(a.address(), c.localAddress().getAddress(), "the source of a connect without address");
        assertNull(c.remoteAddress(), "not connected yet");

        assertEquals(RTT, net.runUntil("the connect", client.connected::isDone, WITHIN), "SYN and SYN-ACK");
        assertEquals(echo.address(), c.remoteAddress());
        assertEquals(List.of(), echo.sources(), "the server accepts when the ACK arrives, half a round trip later");

        c.send(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(RTT, net.runUntil("the echo", () -> client.text().equals("hello"), WITHIN));
        assertEquals(List.of(c.localAddress()), echo.sources(), "the server sees the client's address");

        c.close();
        assertEquals(1, client.closes());
        net.runUntilIdle(WITHIN);
        assertEquals(List.of(), a.boundOn(c.localAddress().getPort()), "the client's port is free again");
        assertEquals(1, b.boundOn(7).size(), "only the listener is left on the server's port: " + b.boundOn(7));
    }

    @Test
    void aConnectToAClosedPortIsRefusedByTheHostsKernel() throws IOException {
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 9));
        Throwable cause = net.awaitFailure("the refused connect", client.connected, WITHIN);
        assertInstanceOf(ConnectException.class, cause);
        assertEquals("Connection refused", cause.getMessage());
        assertEquals(RTT.toNanos(), client.closedAtNs() - SimNetwork.DEFAULT_ORIGIN_NS, "SYN out, RST back");
        assertEquals(1, client.closes());
    }

    @Test
    void twoConnectingSocketsWhoseSynsCrossBothConnect() throws IOException {
        Recorder ra = new Recorder(net);
        Recorder rb = new Recorder(net);
        Connection ca = a.network().connect(SharedPort.spec(null, 40000), b.socketAddress(0, 50000), ra);
        Connection cb = b.network().connect(SharedPort.spec(null, 50000), a.socketAddress(0, 40000), rb);
        net.runUntil("both connects", () -> ra.connected.isDone() && rb.connected.isDone(), WITHIN);
        assertEquals(b.socketAddress(0, 50000), net.await("a's connect", ra.connected, WITHIN).remoteAddress());
        assertEquals(a.socketAddress(0, 40000), net.await("b's connect", rb.connected, WITHIN).remoteAddress());

        ca.send(ByteBuffer.wrap("from a".getBytes(StandardCharsets.US_ASCII)));
        cb.send(ByteBuffer.wrap("from b".getBytes(StandardCharsets.US_ASCII)));
        net.runUntil("the data", () -> rb.text().equals("from a") && ra.text().equals("from b"), WITHIN);
    }

    @Test
    void portsAreSharedAsLinuxAllows() throws IOException {
        InetSocketAddress shared = a.socketAddress(0, 40000);
        Acceptor listener = a.network().listen(SharedPort.spec(shared.getAddress(), 40000), 4, (x, in) -> in.refuse());
        a.network().connect(SharedPort.spec(shared.getAddress(), 40000), b.socketAddress(0, 80), new Recorder(net));

        assertThrows(BindException.class, () -> a.network().listen(SocketSpec.listener(shared), 4, (x, in) -> in.refuse()),
                "a listener without SO_REUSEPORT on a port held by others");
        assertThrows(BindException.class, () -> a.network().connect(new SocketSpec(null, 40000, true, false, false, 0),
                b.socketAddress(0, 81), new Recorder(net)), "SO_REUSEADDR alone next to a listener");
        assertThrows(BindException.class, () -> a.network().connect(SharedPort.spec(b.address(), 0),
                b.socketAddress(0, 80), new Recorder(net)), "an address of another host");
        assertThrows(BindException.class, () -> a.network().connect(SharedPort.spec(null, 40000),
                b.socketAddress(0, 80), new Recorder(net)), "the same 4-tuple twice");

        listener.close();
        Acceptor again = a.network().listen(SocketSpec.listener(a.socketAddress(0, 40001)), 4, (x, in) -> in.refuse());
        again.close();
        a.network().listen(SocketSpec.listener(a.socketAddress(0, 40001)), 4, (x, in) -> in.refuse());
    }

    @Test
    void freshPortsComeFromTheEphemeralRange() throws IOException {
        for (int i = 0; i < 20; i++) {
            int listen = a.network().listen(SocketSpec.listener(a.socketAddress(0, 0)), 4, (x, in) -> in.refuse())
                    .address().getPort();
            assertTrue(listen >= 32768 && listen <= 60999 && listen % 2 == 0, "a listener's fresh port: " + listen);
            int connect = a.network().connect(SocketSpec.DEFAULTS, b.socketAddress(0, 80), new Recorder(net))
                    .localAddress().getPort();
            assertTrue(connect >= 32768 && connect <= 60999 && connect % 2 == 1, "connect's own port: " + connect);
        }
    }

    @Test
    void aSynThatNobodyAnswersIsSentAgainAfter1And2And4SecondsAndTheConnectTimesOutAfter127() throws IOException {
        net.trace().recordAll();
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, new InetSocketAddress("198.51.100.99", 80));
        Throwable cause = net.awaitFailure("the connect", client.connected, Duration.ofSeconds(200));
        assertEquals("Connection timed out", cause.getMessage());
        assertEquals(Duration.ofSeconds(127), Duration.ofNanos(client.closedAtNs() - SimNetwork.DEFAULT_ORIGIN_NS));
        List<String> syns = net.trace().lines().stream().filter(l -> l.contains("no-neighbour")).toList();
        assertEquals(7, syns.size(), "the SYN and 6 retransmissions: " + syns);
        assertTrue(syns.get(1).startsWith(" 1000.000000 ms") && syns.get(2).startsWith(" 3000.000000 ms"), syns.toString());
    }

    @Test
    void aPrivateAddressIsUnreachableFromAPublicHost() {
        SocketException e = assertThrows(SocketException.class, () -> a.network().connect(SocketSpec.DEFAULTS,
                new InetSocketAddress("10.0.1.10", 80), new Recorder(net)));
        assertEquals("Network is unreachable", e.getMessage());
    }

    @Test
    void partialMessagesAreKeptAndOfferedAgainAndAListenerThatReplacesItselfGetsTheRestAtOnce() throws IOException {
        List<String> frames = new ArrayList<>();
        int[] partialOffers = {0};
        ConnectionListener second = new FrameReader(frames, "second", partialOffers, null);
        ConnectionListener first = new FrameReader(frames, "first", partialOffers, second);
        b.network().listen(SocketSpec.listener(b.socketAddress(0, 7)), 4,
                (x, in) -> adopt(in, first, 4096));
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 7));
        Connection c = client.connection();
        net.await("the connect", client.connected, WITHIN);
        net.runFor(RTT); // the server has accepted: each segment now reaches the listener as it arrives

        ByteBuffer two = ByteBuffer.allocate(20);
        two.put(frame("abc".getBytes(StandardCharsets.US_ASCII))).put(frame("defg".getBytes(StandardCharsets.US_ASCII)));
        c.send(two.flip());
        net.runUntil("two frames in one segment", () -> frames.size() == 2, WITHIN);
        assertEquals(List.of("first:3", "second:4"), frames, "the new listener got the rest of the read at once");
        assertEquals(0, partialOffers[0]);

        byte[] big = "x".repeat(3000).getBytes(StandardCharsets.US_ASCII); // three segments
        c.send(frame(big));
        net.runUntil("the big frame", () -> frames.size() == 3, WITHIN);
        assertEquals("second:3000", frames.get(2));
        assertEquals(2, partialOffers[0], "offered with 1460 and 2920 bytes first");
    }

    @Test
    void aMessageLargerThanTheInboundCapClosesTheConnectionOnce() throws IOException {
        Recorder server = new Recorder(net);
        List<String> frames = new ArrayList<>();
        ConnectionListener reader = new FrameReader(frames, "r", new int[1], null);
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        b.network().listen(SocketSpec.listener(b.socketAddress(0, 7)), 4, (x, in) -> {
            Connection s = adopt(in, new ConnectionListener() {
                @Override
                public void onRead(Connection conn, ByteBuffer buf) {
                    reader.onRead(conn, buf);
                }

                @Override
                public void onClosed(Connection conn, Throwable cause) {
                    server.onClosed(conn, cause);
                }
            }, 16);
            accepted.complete(s);
        });
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 7));
        Connection c = client.connection();
        net.await("the connect", client.connected, WITHIN);
        c.send(frame(new byte[100]));
        Throwable cause = net.await("the server's close", server.closed, WITHIN);
        assertEquals("inbound message larger than 16 bytes", cause.getMessage());
        net.runUntilIdle(WITHIN);
        assertEquals(1, server.closes());
        assertEquals(1, client.closes(), "the client saw the server's FIN");
    }

    @Test
    void aHandedOverConnectionIsASocketChannelWhoseBlockingReadsRunTheSimulation() throws IOException {
        EchoService echo = EchoService.echoOn(b, 7);
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, echo.address());
        Connection c = client.connection();
        net.await("the connect", client.connected, WITHIN);
        CompletableFuture<ByteChannel> handed = new CompletableFuture<>();
        c.handOver(handed::complete, handed::completeExceptionally);
        assertTrue(c.isClosed());
        SocketChannel ch = (SocketChannel) net.await("the hand-over", handed, WITHIN);
        assertTrue(ch.isBlocking() && ch.isConnected());
        assertEquals(echo.address(), ch.getRemoteAddress());

        ch.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
        long before = net.nowNs();
        ByteBuffer in = ByteBuffer.allocate(16);
        assertEquals(4, ch.read(in), "a blocking read runs the simulation until the echo is back");
        assertEquals(RTT.toNanos(), net.nowNs() - before);
        assertEquals("ping", new String(in.array(), 0, 4, StandardCharsets.US_ASCII));

        ch.configureBlocking(false);
        assertEquals(0, ch.read(in.clear()), "nothing more yet");
        ch.close();
        net.runUntilIdle(WITHIN);
        assertEquals(0, client.closes(), "the handed-over connection's listener hears nothing");
    }

    @Test
    void anAcceptedConnectionIsRefusedWithAFinOrHandedOverUnadopted() throws IOException {
        CompletableFuture<ByteChannel> handed = new CompletableFuture<>();
        int[] accepted = {0};
        b.network().listen(SocketSpec.listener(b.socketAddress(0, 7)), 4, (x, in) -> {
            if (accepted[0]++ == 0) {
                in.refuse();
            } else {
                in.handOver(handed::complete, handed::completeExceptionally);
            }
        });
        Recorder refused = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 7));
        assertNull(net.await("the refused connection's close", refused.closed, WITHIN), "a FIN, not a RST");
        Recorder kept = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 7));
        net.await("the connect", kept.connected, WITHIN);
        kept.connection().send(ByteBuffer.wrap("to the channel".getBytes(StandardCharsets.US_ASCII)));
        ByteChannel ch = net.await("the hand-over", handed, WITHIN);
        ByteBuffer in = ByteBuffer.allocate(64);
        while (in.position() < 14) {
            assertTrue(ch.read(in) > 0);
        }
        assertEquals("to the channel", new String(in.array(), 0, 14, StandardCharsets.US_ASCII));
        ch.close();
        assertNull(net.await("the client's close", kept.closed, WITHIN));
    }

    @Test
    void dataForASocketTheApplicationClosedResetsTheConnection() throws IOException {
        b.network().listen(SocketSpec.listener(b.socketAddress(0, 7)), 4,
                (x, in) -> adopt(in, ConnectionListener.DISCARD, 4096).close());
        Recorder client = Recorder.connect(a, SocketSpec.DEFAULTS, b.socketAddress(0, 7));
        Connection c = client.connection();
        net.await("the connect", client.connected, WITHIN);
        CompletableFuture<ByteChannel> handed = new CompletableFuture<>();
        c.handOver(handed::complete, handed::completeExceptionally);
        ByteChannel ch = net.await("the hand-over", handed, WITHIN);
        net.runFor(RTT);
        ch.write(ByteBuffer.wrap("late".getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer in = ByteBuffer.allocate(8);
        assertEquals(-1, ch.read(in), "the server's FIN came first");
        net.runFor(RTT);
        assertEquals(List.of(), b.boundOn(7).stream().filter(s -> !s.contains("LISTEN")).toList());
    }

    private static Connection adopt(io.xstunt.engine.net.Incoming in, ConnectionListener l, int maxInbound) {
        try {
            return in.adopt(l, maxInbound, 1 << 16, SocketSpec.DEFAULTS);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ByteBuffer frame(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).flip();
    }

    /** Reads length-prefixed frames, leaving partial ones; after one frame, hands over to {@code next} if set. */
    private record FrameReader(List<String> frames, String name, int[] partialOffers, ConnectionListener next)
            implements ConnectionListener {
        @Override
        public void onRead(Connection c, ByteBuffer in) {
            while (in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position())) {
                int n = in.getInt();
                in.position(in.position() + n);
                frames.add(name + ":" + n);
                if (next != null) {
                    c.listener(next);
                    return;
                }
            }
            if (in.hasRemaining()) {
                partialOffers[0]++;
            }
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
        }
    }
}
