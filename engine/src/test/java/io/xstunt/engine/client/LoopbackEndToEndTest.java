package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole client against the real server on loopback: server on 127.0.0.1 + 127.0.0.2,
 * peers bound to their own loopback addresses so the server sees different "public" IPs.
 */
class LoopbackEndToEndTest extends LoopbackFixture {
    @ParameterizedTest
    @EnumSource(PunchStrategy.class)
    void connectCarriesDataBothWays(PunchStrategy strategy) throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").punchStrategy(strategy).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").punchStrategy(strategy).build(), "bob");
        assertEquals("TCP PORT-PRESERVING CONE", a.fingerprint().describe());
        assertFalse(a.fingerprintCached());
        assertEquals(PEER_A, a.publicAddress());

        Rendezvous out = a.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = b.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());

        assertTrue(out.initiator());
        assertFalse(in.initiator());
        assertEquals("bob", out.peerId());
        assertEquals("alice", in.peerId());
        assertEquals(PEER_B, out.peerAddress().getAddress());
        assertEquals(PEER_A, in.peerAddress().getAddress());
        assertEquals(out.socketChannel().getLocalAddress(), in.socketChannel().getRemoteAddress());
        assertEquals(strategy == PunchStrategy.FAST ? List.of("request", "announcement", "firstSyn", "connected")
                : List.of("comm", "announce", "control", "sync", "predict", "exchange", "punch"),
                List.copyOf(out.phases().keySet()));
        assertTrue(out.socketChannel().isBlocking());

        assertEquals("hello bob", roundTrip(out.socketChannel(), in.socketChannel(), "hello bob"));
        assertEquals("hello alice", roundTrip(in.socketChannel(), out.socketChannel(), "hello alice"));
    }

    /**
     * A FAST session has no control channel: the server learns its end from the clients' reports on
     * their log connections and reports it as a normal session's (path direct, strategy fast, the
     * punch it timed), counts it, and holds nothing of it after. The listener is a RACE client:
     * capability is not preference, it has a punch port and gets the go.
     */
    @Test
    void aFastSessionEndsOnTheServerWithItsReport() throws Exception {
        CompletableFuture<io.xstunt.engine.server.SessionSummary> ended = new CompletableFuture<>();
        List<Integer> inFlightAtEnd = new ArrayList<>();
        server.onSessionFinished(summary -> {
            inFlightAtEnd.add(server.sessionsInFlight());
            ended.complete(summary);
        });
        StuntClient a = register(config(PEER_A, "a.dat").punchStrategy(PunchStrategy.FAST).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").punchStrategy(PunchStrategy.RACE).build(), "bob");
        Rendezvous out = a.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = b.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());
        assertEquals(List.of("request", "announcement", "firstSyn", "connected"), List.copyOf(out.phases().keySet()),
                "FAST with a RACE listener");
        io.xstunt.engine.server.SessionSummary s = ended.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(io.xstunt.engine.server.SessionSummary.FAST, s.strategy());
        assertEquals(io.xstunt.engine.server.SessionSummary.Path.DIRECT, s.path());
        assertEquals("alice", s.initiatorId());
        assertEquals("bob", s.listenerId());
        assertEquals(List.of("punch"), List.copyOf(s.phases().keySet()));
        assertEquals(List.of(0), inFlightAtEnd, "nothing held once it is reported");
        assertEquals(1, server.counters().sessions(io.xstunt.engine.server.SessionSummary.Path.DIRECT,
                io.xstunt.engine.server.ServerCounters.Outcome.ENDED));
        assertEquals("fast", roundTrip(out.socketChannel(), in.socketChannel(), "fast"));
    }

    /**
     * A client of the published XSTUNT's wire variant (MAX_ID_LEN 31: ID fields of 32 bytes, Echo
     * 52, Msg 68) and one of the reference's (32) through one server, each way: the server tells
     * them apart on the same ports, announces to each in its own layout, and relays the control
     * frames, which carry no ID, unchanged.
     */
    @Test
    void clientsOfBothWireVariantsConnectThroughOneServer() throws Exception {
        StuntClient published = register(config(PEER_A, "p.dat").wireVariant(WireVariant.ID31).build(), "published");
        StuntClient reference = register(config(PEER_B, "r.dat").build(), "reference");
        assertEquals("published", published.serverInfo().id());
        assertFalse(published.serverInfo().hasToken(), "its Msg has no pad bytes to carry a token");
        assertTrue(reference.serverInfo().hasToken());

        Rendezvous out = published.connect("reference", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = reference.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());
        assertEquals("published", in.peerId(), "the announcement to the reference's client names its peer");
        assertEquals("31 -> 32", roundTrip(out.socketChannel(), in.socketChannel(), "31 -> 32"));
        assertEquals("32 -> 31", roundTrip(in.socketChannel(), out.socketChannel(), "32 -> 31"));

        Rendezvous back = reference.connect("published", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(back.socketChannel());
        Rendezvous taken = published.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(taken.socketChannel());
        assertEquals("reference", taken.peerId());
        assertEquals("again", roundTrip(back.socketChannel(), taken.socketChannel(), "again"));
    }

    @Test
    void aThirtyTwoByteIdIsTooLongForThePublishedVariant() throws Exception {
        StuntClient published = register(config(PEER_A, "p.dat").wireVariant(WireVariant.ID31).build(), "published");
        Failure e = failure(published.connect("r".repeat(32), Duration.ofSeconds(3)));
        assertEquals(ErrorStat.ERR_MATCH, e.code(), "its Msg cannot name it: refused before any traffic");
        Failure init = failure(StuntClient.register(clientLoop, config(PEER_B, "q.dat").wireVariant(WireVariant.ID31)
                .build(), "q".repeat(32)));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, init.code());
    }

    /**
     * XInit then XConnect at once, 200 times, with the registration's LogState held back on its
     * way to the server (as a lossy path's retransmission does): the MSG_CONNECT must never
     * overtake it (ERR_MATCH "source is not IDLE"). An xstunt client waits for the server's
     * acknowledgement; an original client (extensions off) is covered by the server, which waits
     * briefly for a LogState still on its way. The destination shares the source's public IP, so
     * a MSG_CONNECT that finds both IDLE is answered at once with ERR_SAME_NAT and opens no
     * session: every iteration stands alone.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void connectRightAfterRegisteringFindsTheSourceIdle(boolean extensions) throws Exception {
        StuntClient bob = register(config(PEER_A, "bob.dat").extensions(extensions).build(), "bob");
        try (LaggingLogProxy lag = new LaggingLogProxy(new java.net.InetSocketAddress(IP1, 0), server.logAddress(),
                TimeUnit.MILLISECONDS.toNanos(10))) {
            for (int i = 0; i < 200; i++) {
                StuntClient a = StuntClient.register(clientLoop, config(PEER_A, "a.dat").fingerprintFile(null)
                        .logPort(lag.address().getPort()).extensions(extensions).build(), "a" + i)
                        .get(WAIT_S, TimeUnit.SECONDS);
                try {
                    Failure e = failure(a.connect("bob", Duration.ofSeconds(3)));
                    assertEquals(ErrorStat.ERR_SAME_NAT, e.code(), "iteration " + i + ": " + e.getMessage());
                    assertEquals(PEER_A, e.peerLocalAddress());
                } finally {
                    a.close();
                }
            }
        }
        assertTrue(bob.isRegistered());
    }

    /** Registers {@code id} by hand from {@code local} (blocking), then never answers anything. */
    SocketChannel mutePeer(Inet4Address local, String id) throws IOException {
        SocketChannel ch = SocketChannel.open();
        channels.add(ch);
        ch.bind(new java.net.InetSocketAddress(local, 0));
        ch.connect(server.logAddress());
        ByteBuffer hello = ByteBuffer.allocate(io.xstunt.engine.wire.LogHello.SIZE);
        readFully(ch, hello);
        ByteBuffer idField = ByteBuffer.allocate(WireVariant.ID32.idFieldSize());
        io.xstunt.engine.wire.ClientId.write(idField, id, WireVariant.ID32);
        ch.write(idField.flip());
        ByteBuffer info = ByteBuffer.allocate(WireVariant.ID32.serverInfoSize());
        readFully(ch, info);
        assertEquals(id, io.xstunt.engine.wire.ServerInfo.read(info.flip(), WireVariant.ID32).id());
        ByteBuffer state = ByteBuffer.allocate(io.xstunt.engine.wire.LogState.SIZE);
        new io.xstunt.engine.wire.LogState(io.xstunt.engine.wire.Protocol.CSTATE_IDLE, Ipv4.toInt(local)).write(state);
        ch.write(state.flip());
        return ch;
    }

    static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        ch.socket().setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
        java.io.InputStream in = ch.socket().getInputStream();
        while (b.hasRemaining()) {
            int n = in.read(b.array(), b.position(), b.remaining());
            if (n < 0) {
                throw new IOException("closed early");
            }
            b.position(b.position() + n);
        }
    }

    @Test
    void unknownPeerAndSelfAreNoMatch() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").build(), "alice");
        assertEquals(ErrorStat.ERR_MATCH, failure(a.connect("nobody", Duration.ofSeconds(3))).code());
        assertEquals(ErrorStat.ERR_MATCH, failure(a.connect("alice", Duration.ofSeconds(3))).code());
    }

    @Test
    void peerBehindTheSamePublicIpIsSameNatWithItsLocalAddress() throws Exception {
        Inet4Address shared = Ipv4.parse("127.0.0.13");
        StuntClient c = register(config(shared, "c.dat").build(), "carol");
        register(config(shared, "d.dat").build(), "dave");
        Failure e = failure(c.connect("dave", Duration.ofSeconds(3)));
        assertEquals(ErrorStat.ERR_SAME_NAT, e.code());
        assertEquals(Integer.reverseBytes(Ipv4.toInt(shared)), e.detail(), "as the original (x86) reads it");
        assertEquals(shared, e.peerLocalAddress());
    }

    @Test
    void listenWithNothingPendingFailsAtOnce() throws Exception {
        StuntClient b = register(config(PEER_B, "b.dat").build(), "bob");
        Duration timeout = Duration.ofSeconds(10);
        long t0 = System.nanoTime();
        Failure e = failure(b.listen(timeout));
        assertEquals(ErrorStat.ERR_TIMEOUT, e.code());
        assertTrue(System.nanoTime() - t0 < timeout.toNanos() / 2, "listen() must not wait (for its timeout) when"
                + " nothing is pending");
    }

    @Test
    void listenerThatNeverAnswersTimesOutWithinTheBound() throws Exception {
        Duration echoTimeout = Duration.ofSeconds(15);
        StuntClient a = register(config(PEER_A, "a.dat").echoTimeout(echoTimeout).build(), "alice");
        mutePeer(PEER_B, "mute");
        Duration bound = Duration.ofMillis(1500);
        long t0 = System.nanoTime();
        Failure e = failure(a.connect("mute", bound));
        long elapsed = System.nanoTime() - t0;
        assertEquals(ErrorStat.ERR_ECHO_TIMEOUT, e.code(), e.getMessage());
        assertTrue(elapsed >= bound.toNanos() - TimeUnit.MILLISECONDS.toNanos(50), "failed before the bound: " + elapsed);
        // ended by its bound, not by the (much longer) echo timeout
        assertTrue(elapsed < echoTimeout.toNanos(), "failed long after the bound: " + elapsed);
    }

    @Test
    void cachedFingerprintSkipsTheProbe() throws Exception {
        Path file = dir.resolve("a.dat");
        io.xstunt.engine.wire.Fingerprint f = new io.xstunt.engine.wire.Fingerprint(
                io.xstunt.engine.wire.Protocol.BUILD_VERSION, server.config().serverVersion(), "alice", true,
                Ipv4.toInt(PEER_A), 2, false);
        FingerprintFile.write(file, f);
        StuntClient a = register(config(PEER_A, "a.dat").build(), "alice");
        assertTrue(a.fingerprintCached());
        assertEquals(f, a.fingerprint());
        assertFalse(a.registrationPhases().containsKey("probe"));
    }

    /** The original client's fingerprint.dat (an x86 dump, 56 or 60 bytes) spares the probe as ours does. */
    @ParameterizedTest
    @EnumSource(WireVariant.class)
    void theOriginalsFingerprintFileIsReused(WireVariant variant) throws Exception {
        Path file = dir.resolve("fingerprint.dat");
        java.nio.file.Files.write(file, FingerprintFileTest.originalFile(variant, "alice", 1, PEER_A.getAddress(), 0,
                true));
        StuntClient a = register(config(PEER_A, "fingerprint.dat").wireVariant(variant).build(), "alice");
        assertTrue(a.fingerprintCached(), "no probe");
        assertEquals("TCP PORT-PRESERVING CONE", a.fingerprint().describe());
        assertFalse(a.registrationPhases().containsKey("probe"));
    }

    @Test
    void probedFingerprintIsStoredAndMatchesTheClient() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").build(), "alice");
        assertFalse(a.fingerprintCached());
        assertTrue(a.registrationPhases().containsKey("probe"));
        assertEquals(a.fingerprint(), FingerprintFile.read(dir.resolve("a.dat")).orElseThrow());
        assertTrue(FingerprintFile.reusable(a.fingerprint(), io.xstunt.engine.wire.Protocol.BUILD_VERSION,
                server.config().serverVersion(), Ipv4.toInt(PEER_A), "alice"));
    }

    @Test
    void duplicateIdIsRefused() throws Exception {
        register(config(PEER_A, "a.dat").build(), "alice");
        Failure e = failure(StuntClient.register(clientLoop, config(PEER_B, "b.dat").build(), "alice"));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, e.code());
    }

    @Test
    void deregisterFreesTheIdAndClosesTheClient() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").build(), "alice");
        a.deregister().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(ErrorStat.ERR_CONNECT, failure(a.connect("bob", Duration.ofSeconds(1))).code());
        // the server handles MSG_DEREGISTER after our close: retry a bounded number of real registrations
        StuntClient again = null;
        for (int i = 0; i < 200 && again == null; i++) {
            try {
                again = StuntClient.register(clientLoop, config(PEER_A, "a.dat").build(), "alice")
                        .get(WAIT_S, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertEquals(ErrorStat.ERR_DUPLICATE_ID, ((Failure) e.getCause()).code());
            }
        }
        assertTrue(again != null, "the ID was never freed");
        clients.add(again);
        assertTrue(again.fingerprintCached(), "the second registration reuses the stored fingerprint");
    }

    @Test
    void serverGoneFailsPendingAndLaterOperations() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").echoTimeout(Duration.ofSeconds(10)).build(), "alice");
        SocketChannel mute = mutePeer(PEER_B, "mute");
        Duration connectTimeout = Duration.ofSeconds(10);
        CompletableFuture<Rendezvous> pending = a.connect("mute", connectTimeout);
        // the session exists once the listener side got its announcement
        ByteBuffer announcement = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        readFully(mute, announcement);
        assertEquals("alice", io.xstunt.engine.wire.Echo.read(announcement.flip(), WireVariant.ID32).peerId());
        long t0 = System.nanoTime();
        server.close();
        Failure e = failure(pending);
        // failed by the server's loss, not by running out its timeout
        assertTrue(System.nanoTime() - t0 < connectTimeout.toNanos(), "pending connect not failed promptly");
        assertNotEquals(ErrorStat.ERR_ECHO_TIMEOUT, e.code(), e.getMessage());
        // The pending connect can fail from the closed control channel before the client has read
        // the EOF on its log connection; a connect started in that gap is in flight when the loss
        // is seen and fails with ERR_RECEIVE like any other. Only once the loss is seen is a new
        // call refused at once with ERR_CONNECT: wait for that, then check it.
        LoopTesting.until("the client notices the server's loss", Duration.ofSeconds(5), () -> !a.isRegistered());
        assertEquals(ErrorStat.ERR_CONNECT, failure(a.connect("mute", Duration.ofSeconds(2))).code());
    }

    @Test
    void incomingConnectionsGoToTheCallbackWhenOneIsSet() throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").build(), "bob");
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        b.onIncoming(incoming::complete, incoming::completeExceptionally);
        Rendezvous out = a.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        Rendezvous in = incoming.get(WAIT_S, TimeUnit.SECONDS);
        channels.add(in.socketChannel());
        assertEquals("alice", in.peerId());
        assertEquals("ping", roundTrip(out.socketChannel(), in.socketChannel(), "ping"));
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(b.listen(Duration.ofSeconds(5))).code(),
                "the callback took the connection: nothing is left for listen()");
    }

    /** Runs a no-op through the loop's command queue: every command queued before it has run. */
    void drainCommands() throws Exception {
        CompletableFuture<Void> f = new CompletableFuture<>();
        clientLoop.execute(() -> f.complete(null));
        f.get(WAIT_S, TimeUnit.SECONDS);
    }

    @Test
    void listenWaitsForAProcedureUnderWayAndGetsThePeersAbort() throws Exception {
        Inet4Address rawIp = Ipv4.parse("127.0.0.13");
        SocketChannel rawLog = mutePeer(rawIp, "raw");
        StuntClient b = register(config(PEER_B, "b.dat").echoTimeout(Duration.ofSeconds(10))
                .listenTimeout(Duration.ofSeconds(10)).build(), "bob");

        // a hand-made initiator: MSG_CONNECT, its announcement, the control channel, the first sync frame
        SocketChannel comm = SocketChannel.open();
        channels.add(comm);
        comm.bind(new java.net.InetSocketAddress(rawIp, 0));
        comm.connect(server.commAddress());
        ByteBuffer msg = ByteBuffer.allocate(WireVariant.ID32.msgSize());
        io.xstunt.engine.wire.Msg.connect("raw", "bob").write(msg, WireVariant.ID32);
        comm.write(msg.flip());
        ByteBuffer answer = ByteBuffer.allocate(4);
        readFully(comm, answer);
        assertEquals(0, answer.getInt(0));
        ByteBuffer echo = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        readFully(rawLog, echo);
        io.xstunt.engine.wire.Echo announcement = io.xstunt.engine.wire.Echo.read(echo.flip(), WireVariant.ID32);
        assertEquals(io.xstunt.engine.wire.Protocol.ROLE_INITIATOR, announcement.role());
        SocketChannel control = SocketChannel.open();
        channels.add(control);
        control.bind(new java.net.InetSocketAddress(rawIp, 0));
        control.connect(new java.net.InetSocketAddress(Ipv4.toAddress(announcement.ip()), announcement.port()));
        control.write(ByteBuffer.wrap(RendezvousProcedure.frame(io.xstunt.engine.wire.ControlFrame.one())));
        ByteBuffer reply = ByteBuffer.allocate(2 + 4);
        readFully(control, reply);
        assertEquals(io.xstunt.engine.wire.ControlFrame.one(), io.xstunt.engine.wire.ControlFrame.tryRead(reply.flip()));
        // pipelined: bob's address and port follow his OK(one) without waiting for our second one
        ByteBuffer address = ByteBuffer.allocate(2 + 4 + 2 + 2);
        readFully(control, address);
        address.flip();
        assertEquals(Ipv4.toInt(PEER_B), io.xstunt.engine.wire.ControlFrame.tryRead(address).asAddress());
        assertTrue(io.xstunt.engine.wire.ControlFrame.tryRead(address).asPort() > 0);

        // bob's listener procedure is under way: listen() waits for it, up to its timeout
        long t0 = System.nanoTime();
        assertEquals(ErrorStat.ERR_TIMEOUT, failure(b.listen(Duration.ofMillis(300))).code());
        long waited = System.nanoTime() - t0;
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(250), "listen() returned after " + waited + " ns");

        // the peer aborts: the waiting listen() gets the error of the read the ABORT came in place of
        // (the sync's second OK(one): ERR_SYN_RECEIVE, before the asymmetric phase), the peer ACKABORT
        CompletableFuture<Rendezvous> waiting = b.listen(Duration.ofSeconds(10));
        drainCommands();
        control.write(ByteBuffer.wrap(RendezvousProcedure.frame(
                io.xstunt.engine.wire.ControlFrame.abort("raw gives up"))));
        Failure e = failure(waiting);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, e.code());
        assertTrue(e.getMessage().contains("raw gives up"), e.getMessage());
        ByteBuffer ack = ByteBuffer.allocate(2);
        readFully(control, ack);
        assertEquals(io.xstunt.engine.wire.ControlFrame.ackAbort(), io.xstunt.engine.wire.ControlFrame.tryRead(ack.flip()));
    }

    @ParameterizedTest
    @EnumSource(PunchStrategy.class)
    void consecutiveSessionsInBothDirectionsBetweenTheSamePair(PunchStrategy strategy) throws Exception {
        StuntClient a = register(config(PEER_A, "a.dat").punchStrategy(strategy).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.dat").punchStrategy(strategy).build(), "bob");
        for (int i = 0; i < 6; i++) {
            StuntClient from = i % 2 == 0 ? a : b;
            StuntClient to = i % 2 == 0 ? b : a;
            Rendezvous out = null;
            // the server frees both sides when the previous session's relay closes, which may trail our
            // success by a moment: a bounded number of ERR_MATCH answers is allowed, nothing else
            for (int attempt = 0; attempt < 50 && out == null; attempt++) {
                try {
                    out = from.connect(to.id(), Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertEquals(ErrorStat.ERR_MATCH, ((Failure) e.getCause()).code(), e.getMessage());
                }
            }
            assertTrue(out != null, "session " + i + " never got through");
            channels.add(out.socketChannel());
            Rendezvous in = to.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
            channels.add(in.socketChannel());
            assertEquals(from.id(), in.peerId());
            assertEquals("session " + i, roundTrip(out.socketChannel(), in.socketChannel(), "session " + i));
            assertEquals("back " + i, roundTrip(in.socketChannel(), out.socketChannel(), "back " + i));
        }
    }
}
