package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.testkit.LoopbackServer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** FAST (docs/PROTOCOL.md "FAST") end to end against a real server on loopback, and its fallback to RACE. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XstuntFastTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(15);
    private static final List<String> FAST_PHASES = List.of("request", "announcement", "firstSyn", "connected");

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

    private XstuntClient register(String id, int lastOctet, PunchStrategy strategy) throws Exception {
        return Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, id,
                Peers.options(server, lastOctet, dir).punchStrategy(strategy).build());
    }

    private XstuntConnection[] pair(XstuntClient from, XstuntClient to, String toId) throws Exception {
        CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(from, toId, TIMEOUT);
        XstuntConnection atListener = PeerIo.listenUntilConnected(to, TIMEOUT, BOUND);
        return new XstuntConnection[] {connecting.get(BOUND.toSeconds(), TimeUnit.SECONDS), atListener};
    }

    @Test
    void fastBetweenOurPeersConnectsWithoutTheCommServiceAndReportsItsPhases() throws Exception {
        try (XstuntClient alice = register("alice", 11, PunchStrategy.FAST);
             XstuntClient bob = register("bob", 12, PunchStrategy.FAST)) {
            XstuntConnection[] c = pair(alice, bob, "bob");
            try (SocketChannel a = c[0].channel(); SocketChannel b = c[1].channel()) {
                assertEquals(a.getLocalAddress(), b.getRemoteAddress(), "one direct TCP connection");
                assertEquals(ConnectionPath.DIRECT, c[0].path());
                assertEquals(FAST_PHASES, List.copyOf(c[0].phases().keySet()), "initiator: " + c[0].phases());
                assertEquals(FAST_PHASES, List.copyOf(c[1].phases().keySet()), "listener: " + c[1].phases());
                PeerIo.sendLine(a, "fast hello");
                assertEquals("fast hello", PeerIo.readLine(b));
                PeerIo.sendLine(b, "fast reply");
                assertEquals("fast reply", PeerIo.readLine(a));
            }
            // and again, the punch ports are kept for the registration: a second FAST connection the other way
            XstuntConnection[] back = pair(bob, alice, "alice");
            try (SocketChannel a = back[0].channel(); SocketChannel b = back[1].channel()) {
                assertEquals(FAST_PHASES, List.copyOf(back[0].phases().keySet()), "second: " + back[0].phases());
                PeerIo.sendLine(a, "second");
                assertEquals("second", PeerIo.readLine(b));
            }
        }
    }

    /** An ORIGINAL peer has no punch port (its capability line says port 0): no go for it. */
    @Test
    void fastDeclinedForAnOriginalPeerGoesOnWithRaceInTheSameCall() throws Exception {
        try (XstuntClient alice = register("alice", 11, PunchStrategy.FAST);
             XstuntClient bob = register("bob", 12, PunchStrategy.ORIGINAL)) {
            XstuntConnection[] c = pair(alice, bob, "bob");
            try (SocketChannel a = c[0].channel(); SocketChannel b = c[1].channel()) {
                assertEquals(a.getLocalAddress(), b.getRemoteAddress(), "one direct TCP connection");
                assertFalse(c[0].phases().containsKey("request"), "no go: " + c[0].phases());
                assertTrue(c[0].phases().containsKey("announce"), "a normal session: " + c[0].phases());
                assertFalse(c[0].phases().containsKey("comm"), "the request went on the log connection: "
                        + c[0].phases());
                PeerIo.sendLine(a, "raced");
                assertEquals("raced", PeerIo.readLine(b));
            }
        }
    }

    /** Capability is not preference: a RACE peer has a punch port, and a FAST peer's request to it gets a go. */
    @Test
    void aRacePeerIsAFastPeersListener() throws Exception {
        try (XstuntClient alice = register("alice", 11, PunchStrategy.FAST);
             XstuntClient bob = register("bob", 12, PunchStrategy.RACE)) {
            XstuntConnection[] c = pair(alice, bob, "bob");
            try (SocketChannel a = c[0].channel(); SocketChannel b = c[1].channel()) {
                assertEquals(FAST_PHASES, List.copyOf(c[0].phases().keySet()), "initiator: " + c[0].phases());
                assertEquals(FAST_PHASES, List.copyOf(c[1].phases().keySet()), "listener: " + c[1].phases());
                PeerIo.sendLine(a, "fast to a race peer");
                assertEquals("fast to a race peer", PeerIo.readLine(b));
            }
        }
    }
}
