package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.engine.server.Rejection;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.LoopbackServer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The blocking API end to end against a real server on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XstuntLoopbackTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private LoopbackServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = LoopbackServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void registrationReportsPublicAddressFingerprintAndPhases() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir)) {
            assertEquals("alice", alice.id());
            assertEquals("127.0.0.11", alice.publicAddress().getHostAddress());
            assertEquals(alice.publicAddress(), alice.fingerprint().publicAddress());
            assertTrue(alice.fingerprint().description().startsWith("TCP "), alice.fingerprint().description());
            assertFalse(alice.fingerprintCached(), "first run probes");
            assertFalse(alice.registrationPhases().isEmpty());
            // XInit returns once LogState(IDLE) is sent; the server applies it right after.
            server.awaitIdle("alice", BOUND);
        }
    }

    @Test
    void secondRegistrationReusesTheFingerprintFile() throws Exception {
        try (XstuntClient first = Peers.register(server, "alice", 11, dir)) {
            Xstunt.xDeRegister(first);
        }
        server.awaitGone("alice", BOUND);
        try (XstuntClient again = Peers.register(server, "alice", 11, dir)) {
            assertTrue(again.fingerprintCached(), "same build, server version, public IP and ID");
        }
    }

    @Test
    void duplicateIdIsErrDuplicateId() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir)) {
            XstuntException e = assertThrows(XstuntException.class, () -> Peers.register(server, "alice", 12, dir));
            assertEquals(ErrorCode.ERR_DUPLICATE_ID, e.code());
            server.awaitIdle("alice", BOUND); // the holder keeps alice
        }
    }

    @Test
    void otherRequiredBuildIsErrVersion() throws Exception {
        try (LoopbackServer other = LoopbackServer.start(b -> b.requiredBuild(Protocol.BUILD_VERSION + 1))) {
            XstuntException e = assertThrows(XstuntException.class, () -> Peers.register(other, "alice", 11, dir));
            assertEquals(ErrorCode.ERR_VERSION, e.code());
            assertTrue(other.stateOf("alice").isEmpty());
        }
    }

    @Test
    void connectAndListenExchangeDataBothWays() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir);
             XstuntClient bob = Peers.register(server, "bob", 12, dir)) {
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
            XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, BOUND);
            XstuntConnection atAlice = connecting.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            try (SocketChannel a = atAlice.channel(); SocketChannel b = atBob.channel()) {
                assertEquals("bob", atAlice.peerId());
                assertEquals("alice", atBob.peerId());
                assertTrue(atAlice.initiator());
                assertFalse(atBob.initiator());
                assertEquals("127.0.0.12", atAlice.peerAddress().getAddress().getHostAddress());
                assertEquals("127.0.0.11", atBob.peerAddress().getAddress().getHostAddress());
                assertEquals(a.getLocalAddress(), b.getRemoteAddress(), "one direct TCP connection");
                assertTrue(a.isBlocking());
                PeerIo.sendLine(a, "hello bob");
                assertEquals("hello bob", PeerIo.readLine(b));
                PeerIo.sendLine(b, "hello alice \u20ac");
                assertEquals("hello alice \u20ac", PeerIo.readLine(a));
                assertFalse(atAlice.phases().isEmpty());
                assertFalse(atBob.phases().isEmpty());
            }
        }
    }

    @Test
    void unknownPeerAndSelfAreErrMatch() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir)) {
            XstuntException unknown = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "nobody", TIMEOUT));
            assertEquals(ErrorCode.ERR_MATCH, unknown.code());
            XstuntException self = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "alice", TIMEOUT));
            assertEquals(ErrorCode.ERR_MATCH, self.code());
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"), "still usable");
        }
    }

    @Test
    void badPeerIdsAndTimeoutsAreRefusedBeforeAnyTraffic() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir)) {
            for (String bad : new String[] {"", "x".repeat(33), "bad\rid", null}) {
                assertThrows(IllegalArgumentException.class, () -> Xstunt.xConnect(alice, bad, TIMEOUT), String.valueOf(bad));
            }
            assertThrows(IllegalArgumentException.class, () -> Xstunt.xConnect(alice, "bob", Duration.ZERO));
            assertThrows(IllegalArgumentException.class, () -> Xstunt.xListen(alice, Duration.ofSeconds(-1)));
            assertThrows(IllegalArgumentException.class, () -> XstuntAsync.xConnect(alice, "", TIMEOUT));
        }
    }

    @Test
    void samePublicAddressIsErrSameNatWithThePeersLocalAddress() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir);
             XstuntClient bob = Peers.register(server, "bob", 11, Files.createDirectories(dir.resolve("bob")))) {
            XstuntException e = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "bob", TIMEOUT));
            assertEquals(ErrorCode.ERR_SAME_NAT, e.code());
            assertEquals("127.0.0.11", e.peerLocalAddress().getHostAddress());
            // pnErrCode as the original (x86) reads the answer 7f 00 00 0b, and as the reference's example
            // stores it into sin_addr.s_addr: little-endian, the address's first byte lowest
            assertEquals(0x0b00007f, e.detail(), "pnErrCode carries the address as the original did");
        }
    }

    @Test
    void deregisterFreesTheId() throws Exception {
        XstuntClient alice = Peers.register(server, "alice", 11, dir);
        Xstunt.xDeRegister(alice);
        server.awaitGone("alice", BOUND);
        try (XstuntClient again = Peers.register(server, "alice", 13, dir)) {
            assertEquals("127.0.0.13", again.publicAddress().getHostAddress());
        } finally {
            alice.close();
        }
    }

    @Test
    void strangersDeregisterIsIgnored() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir);
             XstuntClient bob = Peers.register(server, "bob", 12, dir)) {
            long deniedBefore = server.server().rejected(Rejection.DEREGISTER_DENIED);
            try (SocketChannel stranger = SocketChannel.open()) {
                stranger.bind(new InetSocketAddress("127.0.0.13", 0));
                stranger.connect(server.server().commAddress());
                ByteBuffer msg = ByteBuffer.allocate(WireVariant.ID32.msgSize());
                Msg.deregister("alice").write(msg, WireVariant.ID32);
                stranger.write(msg.flip());
            }
            Await.until("the stranger's MSG_DEREGISTER counted as denied", BOUND,
                    () -> server.server().rejected(Rejection.DEREGISTER_DENIED) == deniedBefore + 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"));
            // And alice is still reachable.
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(bob, "alice", TIMEOUT);
            XstuntConnection atAlice = PeerIo.listenUntilConnected(alice, TIMEOUT, BOUND);
            atAlice.channel().close();
            connecting.get(BOUND.toSeconds(), TimeUnit.SECONDS).channel().close();
        }
    }

    @Test
    void listenWithNothingPendingIsErrTimeoutAtOnce() throws Exception {
        try (XstuntClient bob = Peers.register(server, "bob", 12, dir)) {
            long t0 = System.nanoTime();
            Duration timeout = Duration.ofSeconds(30);
            XstuntException e = assertThrows(XstuntException.class, () -> Xstunt.xListen(bob, timeout));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(ErrorCode.ERR_TIMEOUT, e.code());
            // at once, i.e. without waiting for the timeout (any machine answers within half of it)
            assertTrue(tookMs < timeout.toMillis() / 2, "returned after " + tookMs + " ms, not at once");
        }
    }

    @Test
    void asyncCallbackGetsIncomingConnections() throws Exception {
        try (XstuntClient alice = Peers.register(server, "alice", 11, dir);
             XstuntClient bob = Peers.register(server, "bob", 12, dir)) {
            CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
            XstuntAsync.onIncoming(bob, incoming::complete, incoming::completeExceptionally);
            XstuntConnection atAlice = XstuntAsync.xConnect(alice, "bob", TIMEOUT).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            XstuntConnection atBob = incoming.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            try (SocketChannel a = atAlice.channel(); SocketChannel b = atBob.channel()) {
                PeerIo.sendLine(b, "from the callback side");
                assertEquals("from the callback side", PeerIo.readLine(a));
            }
            XstuntAsync.xDeRegister(alice).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            server.awaitGone("alice", BOUND);
        }
    }
}
