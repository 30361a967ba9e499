package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;

import static io.xstunt.engine.loop.LoopTesting.await;
import static io.xstunt.engine.loop.LoopTesting.onLoop;
import static io.xstunt.engine.loop.LoopTesting.runOnLoop;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TcpConnection and TcpAcceptor on loopback, driven by a loop on its own thread. */
@Timeout(30)
class TcpConnectionTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    private EventLoop loop;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void startLoop() {
        loop = EventLoop.open("tcp-test").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        loop.close();
        assertEquals(0, loop.errorCount() - expectedLoopErrors, "unexpected errors on the loop");
    }

    private long expectedLoopErrors;

    /** Records a connection's events; by default consumes every byte it is offered. */
    private static class Recorder implements ConnectionListener {
        final CompletableFuture<TcpConnection> connected = new CompletableFuture<>();
        final CompletableFuture<Optional<Throwable>> closed = new CompletableFuture<>();
        final AtomicInteger closedCount = new AtomicInteger();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        volatile boolean readAfterClose;

        @Override
        public void onConnected(Connection c) {
            connected.complete((TcpConnection) c);
        }

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            if (closed.isDone()) {
                readAfterClose = true;
            }
            byte[] b = new byte[in.remaining()];
            in.get(b);
            synchronized (received) {
                received.writeBytes(b);
            }
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
            closedCount.incrementAndGet();
            closed.complete(Optional.ofNullable(cause));
        }

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }

        /** Waits until the peer's close arrived and returns the cause (null: a normal close). */
        Throwable awaitClosed() {
            return await(closed, "onClosed").orElse(null);
        }
    }

    /** A listening acceptor and the first connection it accepted. */
    private record Listening(TcpAcceptor acceptor, CompletableFuture<TcpConnection> accepted) {
        InetSocketAddress address() {
            return acceptor.address();
        }

        TcpConnection connection() {
            return await(accepted, "the accept");
        }
    }

    private Listening listen(ConnectionListener listener) {
        return listen(TcpConnection.DEFAULT_INBOUND, TcpConnection.DEFAULT_MAX_OUTBOUND, listener);
    }

    /** Listens on loopback; every accepted channel becomes a TcpConnection with {@code listener}. */
    private Listening listen(int inbound, int maxOutbound, ConnectionListener listener) {
        CompletableFuture<TcpConnection> accepted = new CompletableFuture<>();
        TcpAcceptor a = onLoop(loop, () -> TcpAcceptor.open(loop, ANY_LOOPBACK, 16, (acc, ch) -> {
            try {
                accepted.complete((TcpConnection) ch.adopt(listener, inbound, maxOutbound, io.xstunt.engine.net.SocketSpec.DEFAULTS));
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            }
        }));
        cleanup.add(() -> runOnLoop(loop, a::close));
        return new Listening(a, accepted);
    }

    private Socket plainClient(InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        cleanup.add(s);
        s.setSoTimeout((int) (LoopTesting.WAIT_SECONDS * 1000));
        s.connect(to, (int) (LoopTesting.WAIT_SECONDS * 1000));
        return s;
    }

    /** Cancelled keys leave the selector at its next select; a few passes may be needed. */
    private void awaitRegisteredKeys(int expected) {
        LoopTesting.until(expected + " channels registered with the selector (have "
                + onLoop(loop, loop::registeredKeys) + ")", () -> onLoop(loop, loop::registeredKeys) == expected);
    }

    /** End of stream, or a reset when the closing side still had unread bytes (Linux sends RST then). */
    private static void assertPeerSeesTheEnd(Socket peer) throws IOException {
        try {
            assertEquals(-1, peer.getInputStream().read(), "the peer sees the connection end");
        } catch (java.net.SocketException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
        }
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        assertEquals(n, b.length, "the peer closed early");
        return b;
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + (i >>> 8));
        }
        return b;
    }

    @Test
    void echoRoundTrip() throws Exception {
        ConnectionListener echo = new Recorder() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                c.send(in); // consumes all of it
            }
        };
        Listening acceptor = listen(echo);
        byte[] message = "hello xstunt".getBytes(StandardCharsets.US_ASCII);
        CountDownLatch echoed = new CountDownLatch(1);
        Recorder client = new Recorder() {
            @Override
            public void onConnected(Connection c) {
                super.onConnected(c);
                c.send(java.nio.ByteBuffer.wrap(message));
            }

            @Override
            public void onRead(Connection c, ByteBuffer in) {
                super.onRead(c, in);
                if (bytes().length >= message.length) {
                    echoed.countDown();
                }
            }
        };
        TcpConnection c = onLoop(loop, () -> TcpConnection.connect(loop, (InetSocketAddress) null, acceptor.address(),
                client));
        assertSame(c, await(client.connected, "onConnected"));
        await(echoed, "the echo");
        assertArrayEquals(message, client.bytes());
        TcpConnection server = acceptor.connection();
        assertEquals(acceptor.address(), onLoop(loop, c::remoteAddress));
        assertEquals(onLoop(loop, c::localAddress), onLoop(loop, server::remoteAddress));
        assertTrue(onLoop(loop, c::isOpen));

        runOnLoop(loop, c::close);
        assertNull(client.awaitClosed());
        assertTrue(onLoop(loop, c::isClosed));
        assertNull(((Recorder) echo).awaitClosed(), "the server side sees a normal close");
        runOnLoop(loop, c::close);
        assertEquals(1, client.closedCount.get(), "onClosed exactly once");
        awaitRegisteredKeys(1); // only the acceptor is left on the selector
    }

    @Test
    void bytesSentBeforeTheConnectCompletesAreDelivered() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        Recorder client = new Recorder();
        TcpConnection c = onLoop(loop, () -> {
            TcpConnection conn = TcpConnection.connect(loop, (InetSocketAddress) null, acceptor.address(), client);
            conn.send("early".getBytes(StandardCharsets.US_ASCII));
            return conn;
        });
        await(client.connected, "onConnected");
        runOnLoop(loop, c::closeAfterFlush);
        assertNull(serverSide.awaitClosed());
        assertEquals("early", new String(serverSide.bytes(), StandardCharsets.US_ASCII));
    }

    /** Decodes [length byte][payload] messages, consuming only whole ones, and records each offer. */
    private static final class LengthPrefixed extends Recorder {
        final List<Integer> offered = new CopyOnWriteArrayList<>();
        final List<String> messages = new CopyOnWriteArrayList<>();
        final CountDownLatch firstOffer = new CountDownLatch(1);
        final CountDownLatch threeMessages = new CountDownLatch(3);

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            offered.add(in.remaining());
            while (in.remaining() >= 1 && in.remaining() >= 1 + (in.get(in.position()) & 0xff)) {
                byte[] m = new byte[in.get() & 0xff];
                in.get(m);
                messages.add(new String(m, StandardCharsets.US_ASCII));
                threeMessages.countDown();
            }
            firstOffer.countDown();
        }
    }

    @Test
    void partialMessagesLeftInTheBufferAreOfferedAgain() throws Exception {
        LengthPrefixed decoder = new LengthPrefixed();
        Listening acceptor = listen(decoder);
        Socket peer = plainClient(acceptor.address());
        // Two whole messages and the first 3 bytes of a third (length 5: "cdefg").
        peer.getOutputStream().write(new byte[] {2, 'a', 'b', 1, 'z', 5, 'c', 'd'});
        peer.getOutputStream().flush();
        await(decoder.firstOffer, "the first bytes");
        assertEquals(List.of("ab", "z"), decoder.messages);
        assertEquals(List.of(8), decoder.offered);
        peer.getOutputStream().write(new byte[] {'e', 'f', 'g'});
        await(decoder.threeMessages, "the third message");
        assertEquals(List.of("ab", "z", "cdefg"), decoder.messages);
        assertEquals(List.of(8, 6), decoder.offered, "the 3 kept bytes come again, followed by the new 3");
    }

    @Test
    void oversizedInboundMessageClosesWithAnError() throws Exception {
        Recorder neverConsumes = new Recorder() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                // waits for a message that can never fit
            }
        };
        Listening acceptor = listen(16, TcpConnection.DEFAULT_MAX_OUTBOUND, neverConsumes);
        Socket peer = plainClient(acceptor.address());
        peer.getOutputStream().write(new byte[32]);
        Throwable cause = neverConsumes.awaitClosed();
        assertInstanceOf(IOException.class, cause);
        assertTrue(cause.getMessage().contains("larger than 16"), cause.getMessage());
        assertPeerSeesTheEnd(peer);
    }

    @Test
    void aFullBufferIsNotAnErrorWhileTheListenerConsumes() throws Exception {
        LengthPrefixed decoder = new LengthPrefixed();
        Listening acceptor = listen(8, TcpConnection.DEFAULT_MAX_OUTBOUND, decoder);
        Socket peer = plainClient(acceptor.address());
        // 3 messages of 7 bytes each: 21 bytes through an 8-byte buffer.
        peer.getOutputStream().write("\u0006abcdef\u0006ghijkl\u0006mnopqr".getBytes(StandardCharsets.US_ASCII));
        await(decoder.threeMessages, "three messages");
        assertEquals(List.of("abcdef", "ghijkl", "mnopqr"), decoder.messages);
        assertFalse(decoder.closed.isDone());
    }

    /** Decodes [2-byte big-endian length][payload] messages, consuming only whole ones. */
    private static final class TwoBytePrefixed extends Recorder {
        final List<Integer> lengths = new CopyOnWriteArrayList<>();

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            while (in.remaining() >= 2 && in.remaining() >= 2 + (in.getShort(in.position()) & 0xffff)) {
                byte[] m = new byte[in.getShort() & 0xffff];
                in.get(m);
                lengths.add(m.length);
            }
        }
    }

    private static byte[] prefixed(int payload) {
        return ByteBuffer.allocate(2 + payload).putShort((short) payload).put(pattern(payload)).array();
    }

    /** A server connection with a length-prefix decoder and inbound cap, and its plain peer. */
    private record Framed(TwoBytePrefixed decoder, Socket peer, TcpConnection server) {
    }

    private Framed framed(int inboundCap) throws IOException {
        TwoBytePrefixed decoder = new TwoBytePrefixed();
        Listening acceptor = listen(inboundCap, TcpConnection.DEFAULT_MAX_OUTBOUND, decoder);
        Socket peer = plainClient(acceptor.address());
        return new Framed(decoder, peer, acceptor.connection());
    }

    /** @return the bytes waiting in {@code ch}'s socket */
    private static int available(SocketChannel ch) {
        try {
            return ch.socket().getInputStream().available();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Waits (bounded) until {@code condition}, evaluated on the loop, holds. */
    private void awaitOnLoop(java.util.concurrent.Callable<Boolean> condition, String what) {
        LoopTesting.until(what, () -> onLoop(loop, condition));
    }

    /** Writes {@code message[from, to)} and waits until the server keeps all of it as a partial message. */
    private void sendPart(Framed f, byte[] message, int from, int to) throws IOException {
        f.peer().getOutputStream().write(message, from, to - from);
        awaitOnLoop(() -> f.server().pendingInbound() == to, to + " bytes kept");
    }

    @Test
    void aConnectionHoldsNoBufferBetweenWholeMessages() throws Exception {
        Framed f = framed(1024);
        assertEquals(0, onLoop(loop, f.server()::storageBytes), "nothing allocated per connection up front");
        f.peer().getOutputStream().write(prefixed(100));
        awaitOnLoop(() -> f.decoder().lengths.size() == 1, "the message");
        runOnLoop(loop, () -> f.server().send(new byte[] {1, 2, 3})); // the socket takes it at once
        assertArrayEquals(new byte[] {1, 2, 3}, readExactly(f.peer().getInputStream(), 3));
        assertEquals(0, onLoop(loop, f.server()::storageBytes), "whole messages and writes taken at once need no storage");
    }

    @Test
    void aPartialMessageGrowsItsStorageUpToTheCapAndReleasesItWhenWhole() throws Exception {
        Framed f = framed(1024);
        byte[] message = prefixed(1022); // exactly the cap: 1,024 bytes
        sendPart(f, message, 0, 10);
        int small = onLoop(loop, f.server()::storageBytes);
        assertTrue(small >= 10 && small <= TcpConnection.KEPT_STORAGE, "small storage for a small partial: " + small);
        sendPart(f, message, 10, 610);
        int grown = onLoop(loop, f.server()::storageBytes);
        assertTrue(grown >= 610 && grown <= 1024, "grown for the partial, not beyond the cap: " + grown);
        f.peer().getOutputStream().write(message, 610, message.length - 610);
        awaitOnLoop(() -> f.decoder().lengths.size() == 1, "the whole message");
        assertEquals(List.of(1022), f.decoder().lengths);
        assertEquals(0, onLoop(loop, f.server()::pendingInbound));
        assertEquals(0, onLoop(loop, f.server()::storageBytes), "storage above " + TcpConnection.KEPT_STORAGE
                + " bytes is released once empty");
        assertFalse(f.decoder().closed.isDone());
    }

    @Test
    void aPartialMessageThatOutgrowsTheCapClosesWithAnError() throws Exception {
        Framed f = framed(300);
        byte[] message = prefixed(299); // 301 bytes: one more than the cap
        sendPart(f, message, 0, 100);
        f.peer().getOutputStream().write(message, 100, message.length - 100);
        Throwable cause = f.decoder().awaitClosed();
        assertInstanceOf(IOException.class, cause);
        assertTrue(cause.getMessage().contains("larger than 300"), cause.getMessage());
        assertEquals(List.of(), f.decoder().lengths);
        assertPeerSeesTheEnd(f.peer());
    }

    @Test
    void readNowOffersWhatHasArrivedWithoutWaitingForTheSelector() throws Exception {
        try (java.nio.channels.ServerSocketChannel plain = java.nio.channels.ServerSocketChannel.open()) {
            plain.bind(ANY_LOOPBACK);
            Socket early = plainClient((InetSocketAddress) plain.getLocalAddress());
            early.getOutputStream().write(new byte[] {1, 'x'});
            SocketChannel arrived = plain.accept();
            cleanup.add(arrived);
            LoopTesting.until("the early bytes in the accepted socket", () -> available(arrived) >= 2);
            LengthPrefixed decoder = new LengthPrefixed();
            List<String> seenDuringReadNow = onLoop(loop, () -> {
                TcpConnection c = TcpConnection.accepted(loop, arrived, decoder, 16, 64);
                c.readNow();
                return List.copyOf(decoder.messages);
            });
            assertEquals(List.of("x"), seenDuringReadNow, "offered within readNow, before any select");

            Socket late = plainClient((InetSocketAddress) plain.getLocalAddress());
            SocketChannel quiet = plain.accept();
            cleanup.add(quiet);
            LengthPrefixed second = new LengthPrefixed();
            assertEquals(List.of(), onLoop(loop, () -> {
                TcpConnection c = TcpConnection.accepted(loop, quiet, second, 16, 64);
                c.readNow(); // nothing there yet: no offer, no close
                assertFalse(c.isClosed());
                return List.copyOf(second.messages);
            }));
            late.getOutputStream().write(new byte[] {1, 'y'});
            await(second.firstOffer, "the bytes through the selector");
            assertEquals(List.of("y"), second.messages);
            assertFalse(second.closed.isDone());

            Socket third = plainClient((InetSocketAddress) plain.getLocalAddress());
            third.getOutputStream().write(1);
            SocketChannel failing = plain.accept();
            cleanup.add(failing);
            LoopTesting.until("the third peer's byte in the accepted socket", () -> available(failing) >= 1);
            RuntimeException boom = new IllegalStateException("listener failure (expected by the test)");
            Recorder throwing = new Recorder() {
                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    throw boom;
                }
            };
            assertSame(boom, onLoop(loop, () -> {
                TcpConnection c = TcpConnection.accepted(loop, failing, throwing, 16, 64);
                RuntimeException thrown = assertThrows(IllegalStateException.class, c::readNow);
                assertTrue(c.isClosed(), "the failing connection is closed");
                return thrown;
            }));
            assertSame(boom, throwing.awaitClosed());
        }
    }

    @Test
    void theOutboundBufferExistsOnlyWhileTheSocketLagsBehind() throws Exception {
        Recorder serverSide = new Recorder();
        int size = 4 * 1024 * 1024; // more than loopback's socket buffers take at once
        Listening acceptor = listen(TcpConnection.DEFAULT_INBOUND, 2 * size, serverSide);
        Socket peer = plainClient(acceptor.address());
        TcpConnection server = acceptor.connection();
        byte[] payload = pattern(size);
        int[] pendingAndStorage = onLoop(loop, () -> {
            server.send(payload);
            return new int[] {server.pendingOutbound(), server.storageBytes()};
        });
        assertTrue(pendingAndStorage[0] > 0 && pendingAndStorage[0] < size,
                "the socket took a part of the write: " + pendingAndStorage[0] + " of " + size + " queued");
        assertTrue(pendingAndStorage[1] >= pendingAndStorage[0], "only then is there a buffer");
        assertArrayEquals(payload, readExactly(peer.getInputStream(), size));
        awaitOnLoop(() -> server.pendingOutbound() == 0 && server.storageBytes() == 0,
                "the flushed buffer released");
        runOnLoop(loop, () -> server.send(new byte[] {9}));
        assertArrayEquals(new byte[] {9}, readExactly(peer.getInputStream(), 1));
        assertFalse(serverSide.closed.isDone());
    }

    @Test
    void outboundCapClosesAConnectionWhosePeerDoesNotRead() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        Socket sleeper = new Socket();
        cleanup.add(sleeper);
        sleeper.setReceiveBufferSize(4096);
        sleeper.connect(acceptor.address());
        TcpConnection server = acceptor.connection();
        byte[] chunk = new byte[16 * 1024];
        int sent = onLoop(loop, () -> {
            int n = 0;
            while (!server.isClosed() && n < 100_000) {
                server.send(chunk);
                n++;
            }
            return n;
        });
        assertTrue(sent < 100_000, "the cap never triggered");
        Throwable cause = serverSide.awaitClosed();
        assertInstanceOf(IOException.class, cause);
        assertTrue(cause.getMessage().contains("does not read"), cause.getMessage());
        assertTrue(onLoop(loop, server::isClosed));
    }

    @Test
    void closeAfterFlushDeliversEverythingBeforeClosing() throws Exception {
        int size = 16 * 1024 * 1024; // more than loopback's socket buffers take at once
        byte[] payload = pattern(size);
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(TcpConnection.DEFAULT_INBOUND, size, serverSide);
        Socket peer = plainClient(acceptor.address());
        TcpConnection server = acceptor.connection();
        int queued = onLoop(loop, () -> {
            server.send(payload);
            int pending = server.pendingOutbound();
            server.closeAfterFlush();
            server.send(new byte[] {1, 2, 3}); // ignored: the connection is closing
            return pending;
        });
        assertTrue(queued > 0, "the test needs bytes still queued at closeAfterFlush");
        byte[] got = peer.getInputStream().readAllBytes();
        assertEquals(size, got.length);
        assertArrayEquals(payload, got);
        assertNull(serverSide.awaitClosed(), "closed normally after the flush");
    }

    @Test
    void closeAfterFlushWithNothingQueuedClosesAtOnce() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        Socket peer = plainClient(acceptor.address());
        TcpConnection server = acceptor.connection();
        assertTrue(onLoop(loop, () -> {
            server.closeAfterFlush();
            return server.isClosed();
        }));
        assertNull(serverSide.awaitClosed());
        assertEquals(-1, peer.getInputStream().read());
    }

    /**
     * A reset closes with a RST: the peer sees "reset", and this side keeps no TIME_WAIT, so its
     * port is bound again at once, without SO_REUSEADDR, even after closing first (which a FIN
     * would have made a TIME_WAIT of).
     */
    @Test
    void resetClosesWithARstAndLeavesNoTimeWait() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        int keys = onLoop(loop, loop::registeredKeys);
        Recorder clientSide = new Recorder();
        TcpConnection client = onLoop(loop, () -> TcpConnection.connect(loop, ANY_LOOPBACK, acceptor.address(),
                clientSide));
        await(clientSide.connected, "the connect");
        TcpConnection server = acceptor.connection();
        InetSocketAddress local = onLoop(loop, client::localAddress);
        runOnLoop(loop, () -> server.send("hi".getBytes(StandardCharsets.US_ASCII)));
        LoopTesting.until("the client read the server's bytes", () -> clientSide.bytes().length == 2);
        runOnLoop(loop, client::reset);
        assertNull(clientSide.awaitClosed(), "the listener hears the close, without a cause");
        Throwable seen = serverSide.awaitClosed();
        assertTrue(seen != null && String.valueOf(seen.getMessage()).contains("reset"), "the peer sees a RST: "
                + seen);
        awaitRegisteredKeys(keys); // the reset channel and the server's are gone from the selector
        try (java.nio.channels.SocketChannel again = java.nio.channels.SocketChannel.open()) {
            again.bind(local); // no SO_REUSEADDR: a TIME_WAIT on the port would refuse it
            again.connect(acceptor.address());
            assertTrue(again.isConnected(), "the same local port to the same remote at once");
        }
    }

    @Test
    void peerCloseDeliversTheLastBytesThenOnClosedWithoutCause() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        Socket peer = plainClient(acceptor.address());
        peer.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
        peer.close();
        assertNull(serverSide.awaitClosed());
        assertEquals("bye", new String(serverSide.bytes(), StandardCharsets.US_ASCII));
        assertFalse(serverSide.readAfterClose);
        assertEquals(1, serverSide.closedCount.get());
    }

    @Test
    void aListenerThatThrowsIsReportedAndItsConnectionClosed() throws Exception {
        RuntimeException boom = new IllegalStateException("listener failure (expected by the test)");
        Recorder throwing = new Recorder() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                throw boom;
            }
        };
        Listening acceptor = listen(throwing);
        Socket peer = plainClient(acceptor.address());
        peer.getOutputStream().write(1);
        assertSame(boom, throwing.awaitClosed());
        expectedLoopErrors = 1;
        assertEquals(1, onLoop(loop, loop::errorCount));
        assertPeerSeesTheEnd(peer);
        // The loop goes on serving others.
        Socket second = plainClient(acceptor.address());
        assertTrue(second.isConnected());
        assertTrue(onLoop(loop, loop::isRunning));
    }

    @Test
    void detachHandsTheAcceptedChannelOverInBlockingMode() throws Exception {
        Recorder serverSide = new Recorder();
        Listening acceptor = listen(serverSide);
        Socket peer = plainClient(acceptor.address());
        TcpConnection server = acceptor.connection();
        CompletableFuture<java.nio.channels.ByteChannel> detached = new CompletableFuture<>();
        runOnLoop(loop, () -> server.handOver(detached::complete, detached::completeExceptionally));
        SocketChannel ch = (SocketChannel) await(detached, "the detached channel");
        cleanup.add(ch);
        assertTrue(ch.isBlocking());
        assertFalse(ch.isRegistered());
        assertTrue(ch.isOpen());

        peer.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer in = ByteBuffer.allocate(4);
        while (in.hasRemaining()) {
            assertTrue(ch.read(in) > 0, "blocking read on the detached channel");
        }
        assertEquals("ping", new String(in.array(), StandardCharsets.US_ASCII));
        ch.write(ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("pong", new String(readExactly(peer.getInputStream(), 4), StandardCharsets.US_ASCII));
        assertFalse(serverSide.closed.isDone(), "the listener hears nothing after detach");
        assertTrue(onLoop(loop, server::isClosed));
        CompletableFuture<IOException> second = new CompletableFuture<>();
        runOnLoop(loop, () -> server.handOver(x -> { }, second::complete));
        assertInstanceOf(IOException.class, await(second, "a second detach's error"));
    }

    @Test
    void detachHandsAConnectedChannelOverInBlockingMode() throws Exception {
        try (ServerSocket plainServer = new ServerSocket()) {
            plainServer.bind(ANY_LOOPBACK);
            plainServer.setSoTimeout((int) (LoopTesting.WAIT_SECONDS * 1000));
            CompletableFuture<java.nio.channels.ByteChannel> detached = new CompletableFuture<>();
            Recorder client = new Recorder() {
                @Override
                public void onConnected(Connection c) {
                    super.onConnected(c);
                    c.handOver(detached::complete, detached::completeExceptionally);
                }
            };
            runOnLoop(loop, () -> TcpConnection.connect(loop, (InetSocketAddress) null,
                    plainServer.getLocalSocketAddress(), client));
            try (Socket peer = plainServer.accept()) {
                SocketChannel ch = (SocketChannel) await(detached, "the detached channel");
                cleanup.add(ch);
                assertTrue(ch.isBlocking());
                ch.write(ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)));
                assertEquals("hi", new String(readExactly(peer.getInputStream(), 2), StandardCharsets.US_ASCII));
                peer.getOutputStream().write("yo".getBytes(StandardCharsets.US_ASCII));
                ByteBuffer in = ByteBuffer.allocate(2);
                while (in.hasRemaining()) {
                    assertTrue(ch.read(in) > 0);
                }
                assertEquals("yo", new String(in.array(), StandardCharsets.US_ASCII));
            }
            assertFalse(client.closed.isDone());
        }
    }

    @Test
    void connectRefusedEndsInOnClosedWithTheIOException() throws Exception {
        InetSocketAddress closedPort;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(ANY_LOOPBACK);
            closedPort = (InetSocketAddress) s.getLocalSocketAddress();
        }
        Recorder client = new Recorder();
        runOnLoop(loop, () -> TcpConnection.connect(loop, (InetSocketAddress) null, closedPort, client));
        Throwable cause = client.awaitClosed();
        assertInstanceOf(ConnectException.class, cause);
        assertFalse(client.connected.isDone());
        awaitRegisteredKeys(0);
    }

    @Test
    void acceptorOffersEveryConnectionAndReleasesItsPortOnClose() throws Exception {
        List<InetSocketAddress> seen = new CopyOnWriteArrayList<>();
        int n = 100; // more than one readiness event's worth of accepts
        CountDownLatch all = new CountDownLatch(n);
        TcpAcceptor acceptor = onLoop(loop, () -> TcpAcceptor.open(loop, ANY_LOOPBACK, 128, (acc, ch) -> {
            seen.add(ch.remoteAddress());
            ch.refuse(); // the handler decides before it returns: adopt or refuse
            all.countDown();
        }));
        InetSocketAddress address = acceptor.address();
        assertTrue(address.getPort() > 0);
        assertEquals("127.0.0.1", address.getAddress().getHostAddress());
        List<Socket> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(plainClient(address));
        }
        await(all, n + " accepts");
        for (int i = 0; i < n; i++) {
            assertEquals(clients.get(i).getLocalSocketAddress(), seen.get(i), "each incoming knows its peer");
            assertPeerSeesTheEnd(clients.get(i));
        }
        runOnLoop(loop, acceptor::close);
        assertTrue(onLoop(loop, acceptor::isClosed));
        // The JDK closes a registered channel's socket when the selector lets go of its key.
        awaitRegisteredKeys(0);
        assertThrows(ConnectException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
        try (ServerSocket again = new ServerSocket()) {
            again.bind(address);
        }
    }

    @Test
    void listenerCanBeReplacedBetweenReads() throws Exception {
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        Listening acceptor = listen(first);
        Socket peer = plainClient(acceptor.address());
        TcpConnection server = acceptor.connection();
        runOnLoop(loop, () -> server.listener(second));
        assertSame(second, onLoop(loop, server::listener));
        peer.getOutputStream().write(7);
        peer.close();
        assertNull(second.awaitClosed());
        assertArrayEquals(new byte[] {7}, second.bytes());
        assertEquals(0, first.bytes().length);
        assertFalse(first.closed.isDone());
    }

    @Test
    void anAcceptHandlerThatThrowsDoesNotLeakTheAcceptedChannel() throws Exception {
        List<Incoming> seen = new CopyOnWriteArrayList<>();
        RuntimeException boom = new IllegalStateException("accept handler failure (expected by the test)");
        TcpAcceptor acceptor = onLoop(loop, () -> TcpAcceptor.open(loop, ANY_LOOPBACK, 16, (acc, ch) -> {
            seen.add(ch);
            throw boom;
        }));
        cleanup.add(() -> runOnLoop(loop, acceptor::close));
        Socket peer = plainClient(acceptor.address());
        assertPeerSeesTheEnd(peer);
        expectedLoopErrors = 1;
        assertEquals(1, seen.size(), "the handler saw the connection, and the peer saw it closed");
        assertTrue(onLoop(loop, acceptor::isClosed), "a failing handler closes its acceptor, as any IoHandler");
        assertEquals(1, onLoop(loop, loop::errorCount));
    }

    @Test
    void bytesLeftByAListenerThatHandsOverAreOfferedToTheNextAtOnce() throws Exception {
        Recorder next = new Recorder();
        Recorder first = new Recorder() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                in.get(); // its one-byte message, then the connection belongs to the next procedure
                c.listener(next);
            }
        };
        Listening acceptor = listen(first);
        Socket peer = plainClient(acceptor.address());
        peer.getOutputStream().write(new byte[] {'H', 'p', 'a', 'y'});
        acceptor.connection();
        LoopTesting.until("the next listener's 3 bytes", () -> next.bytes().length >= 3);
        assertEquals("pay", new String(next.bytes(), StandardCharsets.US_ASCII),
                "the next listener gets the rest without waiting for more bytes");
    }
}
