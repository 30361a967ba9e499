package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;


import io.xstunt.testkit.LoopbackServer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 pairs rendezvous at the same time, the connecting side on blocking calls from virtual
 * threads; each side proves it ended with its own peer by exchanging IDs over the connection.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FiftyPairsTest {
    private static final int PAIRS = 50;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long BOUND_S = 90;

    @TempDir
    Path dir;

    private static String connector(int i) {
        return String.format("c%02d", i);
    }

    private static String listener(int i) {
        return String.format("l%02d", i);
    }

    @Test
    void fiftyPairsEachEndWithTheirOwnPeer() throws Exception {
        try (LoopbackServer server = LoopbackServer.start();
             ExecutorService virtual = Executors.newVirtualThreadPerTaskExecutor()) {
            // Register all 100 peers concurrently: connectors 127.0.0.11.., listeners 127.0.0.61..
            List<Future<XstuntClient>> registering = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                int n = i;
                registering.add(virtual.submit(() -> Peers.register(server, connector(n), 11 + n, dir)));
                registering.add(virtual.submit(() -> Peers.register(server, listener(n), 11 + PAIRS + n, dir)));
            }
            List<XstuntClient> sessions = new ArrayList<>();
            try {
                for (Future<XstuntClient> f : registering) {
                    sessions.add(f.get(BOUND_S, TimeUnit.SECONDS));
                }
                // Listeners answer on virtual threads: read the connector's ID, reply with their own.
                List<CompletableFuture<String>> heard = new ArrayList<>();
                for (int i = 0; i < PAIRS; i++) {
                    XstuntClient l = sessions.get(2 * i + 1);
                    CompletableFuture<String> got = new CompletableFuture<>();
                    heard.add(got);
                    XstuntAsync.onIncoming(l, r -> virtual.submit(() -> answer(l.id(), r, got)),
                            got::completeExceptionally);
                }
                List<Future<String>> replies = new ArrayList<>();
                for (int i = 0; i < PAIRS; i++) {
                    XstuntClient c = sessions.get(2 * i);
                    String peer = listener(i);
                    replies.add(virtual.submit(() -> {
                        XstuntConnection r = Xstunt.xConnect(c, peer, TIMEOUT);
                        try (SocketChannel ch = r.channel()) {
                            assertEquals(peer, r.peerId());
                            PeerIo.sendLine(ch, c.id());
                            return PeerIo.readLine(ch);
                        }
                    }));
                }
                for (int i = 0; i < PAIRS; i++) {
                    assertEquals(listener(i), replies.get(i).get(BOUND_S, TimeUnit.SECONDS), "reply to " + connector(i));
                    assertEquals(connector(i) + "@" + connector(i), heard.get(i).get(BOUND_S, TimeUnit.SECONDS),
                            "what " + listener(i) + " heard, and from whom");
                }
            } finally {
                sessions.forEach(XstuntClient::close);
            }
        }
    }

    /** Listener side: records "what it read @ the rendezvous' peer ID" and answers with its ID. */
    private static void answer(String self, XstuntConnection r, CompletableFuture<String> got) {
        try (SocketChannel ch = r.channel()) {
            String line = PeerIo.readLine(ch);
            PeerIo.sendLine(ch, self);
            got.complete(line + "@" + r.peerId());
        } catch (Exception e) {
            got.completeExceptionally(e);
        }
    }
}
