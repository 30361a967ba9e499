package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.server.RelayLimits;
import io.xstunt.testkit.Lines;
import io.xstunt.testkit.LoopbackServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code connect --send-bytes} / {@code listen --sha256} through the server's relay (both sides
 * {@code --relay only}), in-process against a real server: the bytes and their SHA-256 both ways,
 * the relay's end with its reason on both sides ("relayEnded"), a limit's reason, and the way
 * back to direct ({@code --wait-direct}, "directOffer" on both sides).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RelayedCliTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final Pattern TRANSFER = Pattern.compile("\"sent\":\\{\"bytes\":(\\d+),\"sha256\":\"(\\w+)\"},"
            + "\"received\":\\{\"bytes\":(\\d+),\"sha256\":\"(\\w+)\"},\"complete\":(true|false)");

    @TempDir
    Path dir;

    private List<String> args(LoopbackServer s, String... more) {
        List<String> a = new ArrayList<>(List.of(more));
        a.addAll(List.of("--server", LoopbackServer.IP1 + "," + LoopbackServer.IP2, "--log-port",
                String.valueOf(s.logPort()), "--comm-port", String.valueOf(s.commPort()), "--relay", "only", "--json"));
        return a;
    }

    /** bob listens (--sha256, one connection, silent for up to 30 s: longer than the first look for a direct path); alice connects with {@code more}. */
    private Lines[] pair(LoopbackServer server, int expectedExit, String... more) throws Exception {
        Lines listenOut = new Lines();
        Lines listenErr = new Lines();
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> listening.complete(XstuntCli.run(args(server, "listen", "--id", "bob",
                "--local", "127.0.0.12", "--fingerprint", dir.resolve("bob.fp").toString(), "--count", "1",
                "--sha256", "--timeout", "30").toArray(String[]::new), listenOut.stream(), listenErr.stream())));
        listenOut.await(l -> l.startsWith("{\"event\":\"registered\""), BOUND);
        server.awaitIdle("bob", BOUND);
        Lines out = new Lines();
        Lines err = new Lines();
        List<String> a = new ArrayList<>(List.of("connect", "--id", "alice", "--peer", "bob", "--local", "127.0.0.11",
                "--fingerprint", dir.resolve("alice.fp").toString()));
        a.addAll(List.of(more));
        int code = XstuntCli.run(args(server, a.toArray(String[]::new)).toArray(String[]::new), out.stream(),
                err.stream());
        assertEquals(expectedExit, code, out.text() + err.text());
        assertEquals(0, listening.get(BOUND.toSeconds(), TimeUnit.SECONDS), listenOut.text() + listenErr.text());
        return new Lines[] {out, listenOut};
    }

    private static Matcher transfer(Lines l) {
        String line = l.all().stream().filter(s -> s.startsWith("{\"event\":\"transfer\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no transfer event: " + l.text()));
        Matcher m = TRANSFER.matcher(line);
        assertTrue(m.find(), line);
        return m;
    }

    private static String relayEnded(Lines l) {
        return l.all().stream().filter(s -> s.startsWith("{\"event\":\"relayEnded\"")).findFirst()
                .orElseThrow(() -> new AssertionError("no relayEnded event: " + l.text()));
    }

    @Test
    void bulkBytesGoThroughTheRelayBothWaysIntactAndBothSidesSayHowItEnded() throws Exception {
        long n = 3L << 20;
        try (LoopbackServer server = LoopbackServer.start(b -> b.relay(new RelayLimits(true, 0, Duration.ZERO, 0, 10,
                10)))) {
            Lines[] o = pair(server, 0, "--send-bytes", "3MiB");
            Matcher c = transfer(o[0]);
            Matcher l = transfer(o[1]);
            assertEquals(String.valueOf(n), c.group(1));
            assertEquals(String.valueOf(n), c.group(3));
            assertEquals(c.group(2), c.group(4), "the echo came back as sent: " + c.group());
            assertEquals(String.valueOf(n), l.group(3));
            assertEquals(c.group(2), l.group(4), "the listener got what the connector sent");
            assertEquals("true", c.group(5));
            assertTrue(o[0].text().contains("\"path\":\"relayed\""), o[0].text());
            assertTrue(relayEnded(o[0]).contains("\"reason\":\"CLOSED_HERE\",\"bytesSent\":" + n + ",\"bytesReceived\":"
                    + n), o[0].text());
            assertTrue(relayEnded(o[1]).contains("\"reason\":\"PEER_CLOSED\",\"bytesSent\":" + n + ",\"bytesReceived\":"
                    + n), o[1].text());
        }
    }

    @Test
    void aBytesLimitEndsTheTransferWithItsReasonOnBothSides() throws Exception {
        try (LoopbackServer server = LoopbackServer.start(b -> b.relay(new RelayLimits(true, 1 << 20, Duration.ZERO,
                0, 10, 10)))) {
            Lines[] o = pair(server, XstuntCli.EXIT_FAILURE, "--send-bytes", "4MiB");
            Matcher c = transfer(o[0]);
            assertEquals("false", c.group(5), c.group());
            assertTrue(Long.parseLong(c.group(3)) <= 1 << 20, "no more than the limit came back: " + c.group());
            for (Lines side : o) {
                assertTrue(relayEnded(side).contains("\"reason\":\"BYTES_LIMIT\""), side.text());
            }
        }
    }

    @Test
    void waitDirectTakesTheDirectOfferOnBothSidesAndSendsOverItToo() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines[] o = pair(server, 0, "--send-bytes", "64KiB", "--wait-direct", "40");
            for (Lines side : o) {
                String offer = side.all().stream().filter(s -> s.startsWith("{\"event\":\"directOffer\"")).findFirst()
                        .orElseThrow(() -> new AssertionError("no directOffer event: " + side.text()));
                assertTrue(offer.contains("\"offered\":true") && offer.contains("\"path\":\"direct\""), offer);
            }
            List<String> transfers = o[0].all().stream().filter(s -> s.startsWith("{\"event\":\"transfer\"")).toList();
            assertEquals(2, transfers.size(), o[0].text());
            assertTrue(transfers.get(0).contains("\"path\":\"relayed\"") && transfers.get(1).contains("\"path\":\"direct\""),
                    o[0].text());
            for (String t : transfers) {
                assertTrue(t.contains("\"complete\":true"), t);
            }
            assertTrue(relayEnded(o[0]).contains("\"reason\":\"CLOSED_HERE\""), o[0].text());
        }
    }
}
