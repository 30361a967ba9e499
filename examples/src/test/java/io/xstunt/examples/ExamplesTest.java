package io.xstunt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.testkit.Lines;
import io.xstunt.testkit.LoopbackServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The examples run to their end and say what they did. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ExamplesTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private XstuntOptions.Builder options(LoopbackServer s, String fingerprint) {
        return XstuntOptions.builder().logPort(s.logPort()).commPort(s.commPort())
                .fingerprintFile(dir.resolve(fingerprint));
    }

    @Test
    void gameLoopExampleConnectsAndExchangesWithoutAnEngineThread() {
        Lines out = new Lines();
        assertEquals(0, GameLoopExample.run(out.stream()), out.text());
        assertTrue(out.text().contains("bob got \"hello bob, from tick"), out.text());
        assertTrue(out.text().contains("alice got \"hi alice, bob at tick"), out.text());
        assertTrue(out.text().contains("both deregistered"), out.text());
    }

    @Test
    void listenEchoServesConnectThroughTheTraversal() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines listenOut = new Lines();
            CompletableFuture<Integer> listening = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> listening.complete(ListenEcho.run(
                    new String[] {"127.0.0.1", "127.0.0.2", "bob", "127.0.0.12", "1"}, options(server, "bob.fp"),
                    listenOut.stream())));
            server.awaitIdle("bob", BOUND);
            Lines out = new Lines();
            int code = ConnectWithLanFallback.run(new String[] {"127.0.0.1", "127.0.0.2", "alice", "bob", "9", "127.0.0.11"},
                    options(server, "alice.fp"), out.stream());
            assertEquals(0, code, out.text());
            assertTrue(out.text().contains("XConnect: connected to bob"), out.text());
            assertTrue(out.text().contains("received 32 bytes: \"Data\""), out.text());
            assertEquals(0, listening.get(BOUND.toSeconds(), TimeUnit.SECONDS), listenOut.text());
            assertTrue(listenOut.text().contains("Msg>> Data"), listenOut.text());
        }
    }

    @Test
    void sameNatFallsBackToAPlainLanConnection() throws Exception {
        try (LoopbackServer server = LoopbackServer.start();
             XstuntClient bob = Xstunt.xInit("127.0.0.1", "127.0.0.2", "bob",
                     options(server, "bob.fp").localAddress("127.0.0.12").build());
             ServerSocketChannel lan = ServerSocketChannel.open()) {
            lan.bind(new InetSocketAddress("127.0.0.12", 0));
            CompletableFuture<String> lanHeard = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (Socket s = lan.accept().socket()) {
                    s.setSoTimeout((int) BOUND.toMillis());
                    InputStream in = s.getInputStream();
                    byte[] b = in.readNBytes(32);
                    s.getOutputStream().write(b);
                    lanHeard.complete(new String(b, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    lanHeard.completeExceptionally(e);
                }
            });
            server.awaitIdle("bob", BOUND);
            Lines out = new Lines();
            int code = ConnectWithLanFallback.run(new String[] {"127.0.0.1", "127.0.0.2", "alice", "bob",
                String.valueOf(lan.socket().getLocalPort()), "127.0.0.12"}, options(server, "alice.fp"), out.stream());
            assertEquals(0, code, out.text());
            assertTrue(out.text().contains("ERR_SAME_NAT: trying a plain TCP connection in the LAN to /127.0.0.12:"),
                    out.text());
            assertEquals("Data", lanHeard.get(BOUND.toSeconds(), TimeUnit.SECONDS));
            assertTrue(out.text().contains("received 32 bytes: \"Data\""), out.text());
        }
    }
}
