package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.server.Rejection;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults around a real client and server on loopback: a peer that vanishes at each step of a
 * rendezvous, a stranger behind the client's public IP, the shared secret, keepalives, and a
 * server that goes away and comes back.
 */
class ClientFaultsLoopbackTest {
    static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");
    static final String A = "127.0.0.61";
    static final String B = "127.0.0.62";
    static final String M = "127.0.0.63";
    static final long WAIT_S = 20;
    static final Duration ECHO_TIMEOUT = Duration.ofSeconds(2);
    /**
     * A client in the clock sync whose control channel the relay closes: a clean close is
     * ERR_SYN_RECEIVE, an I/O error ERR_SYN_SEND (RendezvousProcedure.onControlClosed). Which one
     * it sees is the kernel's timing: an EOF, or a broken pipe / reset when it was sending (seen on
     * a loaded machine). Both are the sync's clear error.
     */
    static final java.util.Set<ErrorStat> SYNC_CLOSED = java.util.Set.of(ErrorStat.ERR_SYN_RECEIVE,
            ErrorStat.ERR_SYN_SEND);

    EventLoop serverLoop;
    EventLoop clientLoop = EventLoop.open("fault-clients").start();
    StuntServer server;
    final List<StuntClient> clients = new ArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();

    void startServer(UnaryOperator<ServerConfig.Builder> tune) throws Exception {
        serverLoop = EventLoop.open("fault-server").start();
        server = StuntServer.start(serverLoop, tune.apply(ServerConfig.builder(IP1, IP2).logPort(0).commPort(0)
                .echoPort1(0).echoPort2(0)).build()).get(WAIT_S, TimeUnit.SECONDS);
    }

    void stopServer() {
        server.close();
        serverLoop.close();
        assertEquals(0, serverLoop.errorCount(), "unexpected errors on the server loop");
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (StuntClient c : clients) {
            c.close();
        }
        CompletableFuture<int[]> left = new CompletableFuture<>();
        clientLoop.execute(() -> clientLoop.afterNextSelect(
                () -> left.complete(new int[] {clientLoop.registeredKeys(), clientLoop.pendingTimers()})));
        int[] counts = left.get(WAIT_S, TimeUnit.SECONDS);
        clientLoop.close();
        if (server != null && serverLoop.isRunning()) {
            stopServer();
        }
        assertEquals(0, counts[0], "channels left on the client loop");
        assertEquals(0, counts[1], "timers left on the client loop");
        assertEquals(0, clientLoop.errorCount(), "unexpected errors on the client loop");
    }

    ClientConfig.Builder config(String local) {
        return ClientConfig.builder(IP1, IP2).logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort()).localAddress(Ipv4.parse(local)).fingerprintFile(null)
                .echoTimeout(ECHO_TIMEOUT).listenTimeout(Duration.ofSeconds(6));
    }

    StuntClient register(ClientConfig config, String id) throws Exception {
        StuntClient c = StuntClient.register(clientLoop, config, id).get(WAIT_S, TimeUnit.SECONDS);
        clients.add(c);
        return c;
    }

    static Failure failure(CompletableFuture<?> f) {
        return LoopbackEndToEndTest.failure(f);
    }

    static void await(String what, BooleanSupplier cond) {
        LoopTesting.until(what, Duration.ofSeconds(WAIT_S), cond);
    }

    void awaitIdle(String id) {
        await(id + " IDLE", () -> server.stateOf(id).equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
    }

    /** A peer scripted with raw sockets: registers IDLE the original way and reads its log connection. */
    final class ScriptedPeer implements AutoCloseable {
        final Socket log;

        ScriptedPeer(String ip, String id) throws IOException {
            log = socket(ip, server.logAddress());
            read(log, 12);
            ByteBuffer f = ByteBuffer.allocate(WireVariant.ID32.idFieldSize());
            ClientId.write(f, id, WireVariant.ID32);
            log.getOutputStream().write(f.array());
            read(log, 60);
            ByteBuffer st = ByteBuffer.allocate(LogState.SIZE);
            new LogState(Protocol.CSTATE_IDLE, 0x0A000063).write(st);
            log.getOutputStream().write(st.array());
            awaitIdle(id);
            closeables.add(this);
        }

        Echo announcement() throws IOException {
            return Echo.read(ByteBuffer.wrap(read(log, WireVariant.ID32.echoSize())), WireVariant.ID32);
        }

        @Override
        public void close() throws IOException {
            log.close();
        }
    }

    static Socket socket(String local, InetSocketAddress to) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.bind(new InetSocketAddress(local, 0));
        s.connect(to, 10_000);
        return s;
    }

    static byte[] read(Socket s, int n) throws IOException {
        byte[] b = new byte[n];
        new DataInputStream(s.getInputStream()).readFully(b);
        return b;
    }

    static Integer comm(String local, InetSocketAddress commService, Msg m) throws IOException {
        try (Socket s = socket(local, commService)) {
            ByteBuffer b = ByteBuffer.allocate(m.encodedSize(WireVariant.ID32));
            m.write(b, WireVariant.ID32);
            s.getOutputStream().write(b.array());
            InputStream in = s.getInputStream();
            byte[] r = in.readNBytes(4);
            return r.length == 4 ? ByteBuffer.wrap(r).getInt() : null;
        }
    }

    static final byte[] ONE = {1, 4, 1, 0, 0, 0};

    /** Where the scripted listener vanishes. */
    enum Step {
        /** Reads the announcement and never opens the control connection. */
        BEFORE_CONTROL,
        /** Opens it, reads the first OK(one) and closes. */
        DURING_SYNC,
        /** Syncs, sends its predicted address and port, then closes. */
        AFTER_PREDICTION,
        /** Also reads "ready", then neither connects nor says anything. */
        DURING_PUNCH,
        /** Syncs, then its whole process dies: the log connection goes too. */
        PROCESS_DIES
    }

    @ParameterizedTest
    @EnumSource(Step.class)
    void aListenerThatVanishesGivesTheInitiatorAClearErrorAndBothStayUsable(Step step) throws Exception {
        Duration sessionTimeout = Duration.ofSeconds(15);
        startServer(b -> b.sessionTimeout(sessionTimeout));
        StuntClient alice = register(config(A).build(), "alice");
        ScriptedPeer mallory = new ScriptedPeer(M, "mallory");
        long start = System.nanoTime();
        Duration timeout = Duration.ofSeconds(3);
        CompletableFuture<Rendezvous> out = alice.connect("mallory", timeout);
        Echo e = mallory.announcement();
        Socket control = null;
        if (step != Step.BEFORE_CONTROL) {
            control = socket(M, new InetSocketAddress(Ipv4.toAddress(e.ip()), e.port()));
            closeables.add(control);
            read(control, ONE.length);
        }
        switch (step) {
            case DURING_SYNC -> control.close();
            case AFTER_PREDICTION, DURING_PUNCH, PROCESS_DIES -> {
                control.getOutputStream().write(ONE);
                read(control, ONE.length);
                if (step == Step.PROCESS_DIES) {
                    control.setSoLinger(true, 0);
                    control.close();
                    mallory.log.setSoLinger(true, 0);
                    mallory.close();
                    break;
                }
                read(control, 6); // alice's address
                read(control, 4); // and port
                control.getOutputStream().write(new byte[] {1, 4, 127, 0, 0, 63, 1, 2, (byte) 0x9c, 0x41});
                if (step == Step.DURING_PUNCH) {
                    read(control, ONE.length); // "ready": and then nothing
                } else {
                    control.close();
                }
            }
            default -> { }
        }
        Failure x = failure(out);
        long ms = (System.nanoTime() - start) / 1_000_000;
        // the client's own bound ended it, not the server's much longer session timeout
        assertTrue(ms < sessionTimeout.toMillis(), "the error came within the timeout, took " + ms + " ms: " + x);
        java.util.Set<ErrorStat> expected = switch (step) {
            case BEFORE_CONTROL -> java.util.Set.of(ErrorStat.ERR_ECHO_TIMEOUT); // no OK(one) comes back
            case DURING_SYNC -> SYNC_CLOSED; // the relay closes alice's side
            // the peer dies after the last sync frame: alice is still in sync or already predicting
            // (each as a clean close or an I/O error, see SYNC_CLOSED)
            case PROCESS_DIES -> java.util.Set.of(ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND,
                    ErrorStat.ERR_ADDRPORT_RECEIVE, ErrorStat.ERR_ADDRPORT_SEND);
            case AFTER_PREDICTION, DURING_PUNCH -> java.util.Set.of(ErrorStat.ERR_ASYM_TIMEOUT); // no one punches
        };
        // in the asymmetric phase the initiator's code is ERR_ASYMCLIENT, the step's in its detail
        ErrorStat failed = x.asymmetricCause() != null ? x.asymmetricCause() : x.code();
        assertTrue(expected.contains(failed), x.toString());
        assertEquals(x.asymmetricCause() != null, x.code() == ErrorStat.ERR_ASYMCLIENT, x.toString());
        assertEquals(failed == ErrorStat.ERR_ASYM_TIMEOUT || failed == ErrorStat.ERR_ADDRPORT_RECEIVE
                || failed == ErrorStat.ERR_ADDRPORT_SEND, x.code() == ErrorStat.ERR_ASYMCLIENT, x.toString());
        if (control != null) {
            control.close();
        }
        await("the server forgot the session", () -> server.sessionsInFlight() == 0);
        awaitIdle("alice");
        if (step != Step.PROCESS_DIES) {
            awaitIdle("mallory");
            assertEquals(0, comm(M, server.commAddress(), Msg.connect("mallory", "alice")),
                    "the peer can start a session again");
            alice.listen(Duration.ofSeconds(1)); // take the announcement; the rendezvous fails, nobody joins
        } else {
            await("the dead peer's ID is freed", () -> server.stateOf("mallory").isEmpty());
        }
        // alice is still registered and can connect to a real peer
        await("previous session over", () -> server.sessionsInFlight() == 0);
        awaitIdle("alice");
        StuntClient bob = register(config(B).build(), "bob");
        Rendezvous r = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(r.socketChannel());
        Rendezvous in = bob.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(in.socketChannel());
        assertEquals("bob", r.peerId());
    }

    @Test
    void anInitiatorThatVanishesDuringSyncFailsTheListenerInItsTimeout() throws Exception {
        startServer(b -> b);
        StuntClient bob = register(config(B).build(), "bob");
        ScriptedPeer mallory = new ScriptedPeer(M, "mallory");
        CompletableFuture<Rendezvous> in = new CompletableFuture<>();
        bob.onIncoming(in::complete, in::completeExceptionally);
        assertEquals(0, comm(M, server.commAddress(), Msg.connect("mallory", "bob")));
        Echo e = mallory.announcement();
        try (Socket control = socket(M, new InetSocketAddress(Ipv4.toAddress(e.ip()), e.port()))) {
            control.getOutputStream().write(ONE);
            read(control, ONE.length); // bob answers; mallory vanishes
        }
        Failure x = failure(in); // bounded by WAIT_S
        assertTrue(SYNC_CLOSED.contains(x.code()), "bob's sync saw the relay close: " + x);
        await("the server forgot the session", () -> server.sessionsInFlight() == 0);
        awaitIdle("bob");
        awaitIdle("mallory");
    }

    @Test
    void aStrangerBehindTheSamePublicIpCannotDeregisterOrImpersonateATokenHolder() throws Exception {
        startServer(b -> b);
        StuntClient alice = register(config(A).build(), "alice");
        StuntClient bob = register(config(B).build(), "bob");
        assertTrue(alice.serverInfo().hasToken(), "an xstunt server issues a token to an xstunt client");
        assertEquals(null, comm(A, server.commAddress(), Msg.deregister("alice")));
        assertEquals(-1, comm(A, server.commAddress(), Msg.connect("alice", "bob")));
        await("both refusals counted", () -> server.rejected(Rejection.DEREGISTER_DENIED) == 1
                && server.rejected(Rejection.NOT_HOLDER) == 1);
        assertTrue(alice.isRegistered());
        Rendezvous r = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(r.socketChannel());
        closeables.add(bob.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS).socketChannel());
        alice.deregister().get(WAIT_S, TimeUnit.SECONDS);
        await("the holder deregistered itself", () -> server.stateOf("alice").isEmpty());
    }

    @Test
    void theSharedSecretAdmitsOnlyClientsThatKnowIt() throws Exception {
        byte[] secret = "a secret of the operator".getBytes(StandardCharsets.UTF_8);
        startServer(b -> b.sharedSecret(secret));
        StuntClient alice = register(config(A).sharedSecret(secret).build(), "alice");
        StuntClient bob = register(config(B).sharedSecret(secret).build(), "bob");
        Rendezvous r = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(r.socketChannel());
        closeables.add(bob.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS).socketChannel());

        Failure none = failure(StuntClient.register(clientLoop, config(M).build(), "mallory"));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, none.code());
        assertTrue(none.getMessage().contains("shared secret"), none.getMessage());
        Failure wrong = failure(StuntClient.register(clientLoop,
                config(M).sharedSecret("guess".getBytes(StandardCharsets.UTF_8)).build(), "mallory"));
        assertTrue(wrong.code() == ErrorStat.ERR_RECEIVE || wrong.code() == ErrorStat.ERR_TIMEOUT, wrong.toString());
        Failure original = failure(StuntClient.register(clientLoop, config(M).extensions(false).build(),
                "mallory"));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, original.code(), "a client that cannot prove is refused");
        await("refusals counted", () -> server.rejected(Rejection.AUTH_FAILED) == 2);
        assertEquals(OptionalInt.empty(), server.stateOf("mallory"));
    }

    @Test
    void keepalivesHoldARegistrationPastTheIdleTimeout() throws Exception {
        startServer(b -> b.idleTimeout(Duration.ofSeconds(3)));
        StuntClient alice = register(config(A).build(), "alice");
        assertEquals(1, alice.serverInfo().keepaliveSec());
        CompletableFuture<Void> later = new CompletableFuture<>();
        clientLoop.execute(() -> clientLoop.schedule(TimeUnit.SECONDS.toNanos(5), () -> later.complete(null)));
        later.get(WAIT_S, TimeUnit.SECONDS); // past the idle timeout, on the loop's own clock
        assertTrue(alice.isRegistered());
        assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"));
        assertEquals(0, server.rejected(Rejection.IDLE_TIMEOUT));
    }

    @Test
    void aServerRestartIsNoticedReportedAndRecoveredFrom() throws Exception {
        startServer(b -> b);
        int logPort = server.logAddress().getPort();
        int commPort = server.commAddress().getPort();
        int[] echo = server.echoPorts();
        StuntClient alice = register(config(A).autoReRegister(true).build(), "alice");
        StuntClient bob = register(config(B).build(), "bob");

        stopServer();
        // from the closed connections: noticing by missed keepalives would take a minute, past the bound
        await("alice notices", () -> !alice.isRegistered());
        await("bob notices", () -> !bob.isRegistered());
        Failure listen = failure(bob.listen(Duration.ofSeconds(2)));
        assertEquals(ErrorStat.ERR_CONNECT, listen.code(), "XListen reports it");
        assertTrue(listen.getMessage().contains("lost"), listen.getMessage());
        assertEquals(ErrorStat.ERR_CONNECT, failure(alice.connect("bob", Duration.ofSeconds(2))).code(),
                "XConnect reports it");

        startServer(b -> b.logPort(logPort).commPort(commPort).echoPort1(echo[0]).echoPort2(echo[1]));
        await("alice registers again on her own", () -> alice.isRegistered() && alice.registrations() == 2);
        awaitIdle("alice");
        StuntClient bob2 = register(config(B).build(), "bob"); // a new XInit works
        Rendezvous r = alice.connect("bob", Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(r.socketChannel());
        closeables.add(bob2.listen(Duration.ofSeconds(6)).get(WAIT_S, TimeUnit.SECONDS).socketChannel());
    }

    @ParameterizedTest
    @EnumSource(BadFrame.class)
    void badControlFramesFromThePeerGiveAClearError(BadFrame bad) throws Exception {
        startServer(b -> b);
        StuntClient bob = register(config(B).build(), "bob");
        ScriptedPeer mallory = new ScriptedPeer(M, "mallory");
        CompletableFuture<Rendezvous> in = new CompletableFuture<>();
        bob.onIncoming(in::complete, in::completeExceptionally);
        assertEquals(0, comm(M, server.commAddress(), Msg.connect("mallory", "bob")));
        Echo e = mallory.announcement();
        try (Socket control = socket(M, new InetSocketAddress(Ipv4.toAddress(e.ip()), e.port()))) {
            control.getOutputStream().write(ONE); // the first sync step, so that bob is surely in
            read(control, ONE.length);
            control.getOutputStream().write(bad.bytes);
            if (bad == BadFrame.TRUNCATED_THEN_CLOSED) {
                control.shutdownOutput();
            }
            Failure x = failure(in);
            assertTrue(bad.expected.contains(x.code()), x.toString());
        }
        await("the server forgot the session", () -> server.sessionsInFlight() == 0);
        awaitIdle("bob");
        awaitIdle("mallory");
    }

    /** Control frames a peer should never send. */
    enum BadFrame {
        // a malformed frame fails the read it came in place of: the sync's second OK(one)
        UNKNOWN_TAG(new byte[] {9, 0}, ErrorStat.ERR_SYN_RECEIVE),
        ONE_OF_WRONG_LENGTH(new byte[] {1, 3, 1, 0, 0}, ErrorStat.ERR_SYN_RECEIVE),
        // the relay then closes bob's side too: see SYNC_CLOSED
        TRUNCATED_THEN_CLOSED(new byte[] {1, (byte) 255, 1, 2, 3}, ErrorStat.ERR_SYN_RECEIVE, ErrorStat.ERR_SYN_SEND);

        final byte[] bytes;
        final java.util.Set<ErrorStat> expected;

        BadFrame(byte[] bytes, ErrorStat... expected) {
            this.bytes = bytes;
            this.expected = java.util.Set.of(expected);
        }
    }

    /**
     * A fake log service that registers "alice" (IDLE, keepalive 1 s, a token) on a reusable
     * fingerprint, then hands its socket to {@code then}; returns the registered client.
     */
    StuntClient fakeRegistration(java.nio.file.Path dir, java.util.function.Consumer<Socket> then) throws Exception {
        int publicIp = Ipv4.toInt(Ipv4.parse(A));
        java.nio.file.Path fp = dir.resolve("fp.dat");
        FingerprintFile.write(fp, new io.xstunt.engine.wire.Fingerprint(Protocol.BUILD_VERSION, 1, "alice", true,
                publicIp, 0, true));
        java.net.ServerSocket fake = new java.net.ServerSocket(0, 1, Ipv4.parse("127.0.0.1"));
        closeables.add(fake);
        CompletableFuture<Socket> held = CompletableFuture.supplyAsync(() -> {
            try {
                Socket s = fake.accept();
                ByteBuffer hello = ByteBuffer.allocate(io.xstunt.engine.wire.LogHello.SIZE);
                new io.xstunt.engine.wire.LogHello(Protocol.BUILD_VERSION, 1, publicIp).write(hello);
                s.getOutputStream().write(hello.array());
                read(s, WireVariant.ID32.idFieldSize());
                ByteBuffer info = ByteBuffer.allocate(WireVariant.ID32.serverInfoSize());
                new io.xstunt.engine.wire.ServerInfo("alice", Ipv4.toInt(IP1), Ipv4.toInt(IP2), 1, 2,
                        Protocol.EXT_FLAG_TOKEN, 1, 5L).write(info, WireVariant.ID32);
                s.getOutputStream().write(info.array());
                read(s, LogState.SIZE);
                return s;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        ClientConfig c = ClientConfig.builder(IP1, IP2).logPort(fake.getLocalPort()).commPort(1)
                .localAddress(Ipv4.parse(A)).fingerprintFile(fp).echoTimeout(ECHO_TIMEOUT).build();
        StuntClient alice = register(c, "alice");
        Socket s = held.get(WAIT_S, TimeUnit.SECONDS);
        closeables.add(s);
        then.accept(s);
        return alice;
    }

    @Test
    void aServerThatFallsSilentWithoutClosingIsNoticedWithinThreeKeepaliveIntervals(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // the fake registers the client, then neither writes nor closes: a server host gone from the
        // network, which TCP alone would notice only after many minutes
        StuntClient alice = fakeRegistration(dir, s -> { });
        long start = System.nanoTime();
        assertTrue(alice.isRegistered());
        await("alice notices the silent server", () -> !alice.isRegistered());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 2000 && ms < 10_000, "after about 3 keepalive intervals of 1 s, took " + ms + " ms");
        Failure x = failure(alice.connect("bob", Duration.ofSeconds(2)));
        assertEquals(ErrorStat.ERR_CONNECT, x.code());
        assertTrue(x.getMessage().contains("silent"), x.getMessage());
    }

}
