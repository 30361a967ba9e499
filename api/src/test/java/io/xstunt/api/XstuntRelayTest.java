package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.testkit.LoopbackServer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay through the public API: a relayed connection says so (path, reason), carries data,
 * reports its end with the server's reason, offers the way back to direct; a direct one refuses the
 * relay's calls; the server's report names the path and the relayed bytes.
 */
class XstuntRelayTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(8);
    private static final long BOUND_S = 20;

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

    private XstuntClient register(String id, int octet, RelayMode mode) throws Exception {
        return Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, id,
                Peers.options(server, octet, dir).relayMode(mode).build());
    }

    @Test
    void relayedConnectionSaysSoCarriesDataAndReportsItsEnd() throws Exception {
        CompletableFuture<io.xstunt.engine.server.SessionSummary> report = new CompletableFuture<>();
        server.server().onSessionFinished(report::complete);
        try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ONLY);
             XstuntClient bob = register("bob", 12, RelayMode.RELAY_ALLOWED)) {
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
            XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, Duration.ofSeconds(BOUND_S));
            XstuntConnection atAlice = connecting.get(BOUND_S, TimeUnit.SECONDS);
            assertEquals(ConnectionPath.RELAYED, atAlice.path());
            assertEquals(ConnectionPath.RELAYED, atBob.path());
            assertEquals("relay only was asked for", atAlice.relayReason());
            SocketChannel a = atAlice.channel();
            SocketChannel b = atBob.channel();
            PeerIo.sendLine(a, "through the server");
            assertEquals("through the server", PeerIo.readLine(b));
            PeerIo.sendLine(b, "back");
            assertEquals("back", PeerIo.readLine(a));
            atBob.close();
            RelayEnd endA = atAlice.relayEnd().get(BOUND_S, TimeUnit.SECONDS);
            assertEquals(RelayEnd.Reason.PEER_CLOSED, endA.reason());
            assertEquals(RelayEnd.Reason.CLOSED_HERE, atBob.relayEnd().get(BOUND_S, TimeUnit.SECONDS).reason());
            atAlice.close();
            io.xstunt.engine.server.SessionSummary r = report.get(BOUND_S, TimeUnit.SECONDS);
            assertEquals(io.xstunt.engine.server.SessionSummary.Path.RELAYED, r.path());
            assertEquals(endA.bytesSent(), r.relayedFromInitiator());
            assertEquals(endA.bytesReceived(), r.relayedFromListener());
        }
    }

    @Test
    void directConnectionRefusesTheRelaysCalls() throws Exception {
        try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ALLOWED);
             XstuntClient bob = register("bob", 12, RelayMode.RELAY_ALLOWED)) {
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
            try (XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, Duration.ofSeconds(BOUND_S));
                 XstuntConnection atAlice = connecting.get(BOUND_S, TimeUnit.SECONDS)) {
                assertEquals(ConnectionPath.DIRECT, atAlice.path());
                assertEquals(ConnectionPath.DIRECT, atBob.path());
                assertNull(atAlice.relayReason());
                assertThrows(IllegalStateException.class, atAlice::tryDirect);
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> atAlice.relayEnd().get(BOUND_S, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof IllegalStateException);
            }
        }
    }

    @Test
    void relayedConnectionIsOfferedADirectOneOnDemand() throws Exception {
        try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ONLY);
             XstuntClient bob = register("bob", 12, RelayMode.RELAY_ALLOWED)) {
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
            try (XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, Duration.ofSeconds(BOUND_S));
                 XstuntConnection atAlice = connecting.get(BOUND_S, TimeUnit.SECONDS)) {
                CompletableFuture<XstuntConnection> bobsOffer = atBob.directOffer();
                atAlice.tryDirect();
                try (XstuntConnection directA = atAlice.directOffer().get(BOUND_S, TimeUnit.SECONDS);
                     XstuntConnection directB = bobsOffer.get(BOUND_S, TimeUnit.SECONDS)) {
                    assertEquals(ConnectionPath.DIRECT, directA.path());
                    assertEquals(ConnectionPath.DIRECT, directB.path());
                    PeerIo.sendLine(directA.channel(), "moved");
                    assertEquals("moved", PeerIo.readLine(directB.channel()));
                    PeerIo.sendLine(atAlice.channel(), "relay still open");
                    assertEquals("relay still open", PeerIo.readLine(atBob.channel()));
                }
            }
        }
    }
}
