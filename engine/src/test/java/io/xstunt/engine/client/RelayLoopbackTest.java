package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.RelayLimits;
import io.xstunt.engine.server.Rejection;
import io.xstunt.engine.server.RelayBuffering;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.RelayNotice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The relay extension end to end on loopback, real server and real clients: a pair that asks for
 * the relay only is relayed through the server's control connections (data both ways, the path and
 * its reason on both sides, the server's report); a limit ends it with its reason on both sides;
 * a direct-only side is never relayed; an original client never sees a relay byte; the way back
 * to direct offers a direct connection while the relayed one stays open.
 */
class RelayLoopbackTest extends LoopbackFixture {
    private final CompletableFuture<SessionSummary> summary = new CompletableFuture<>();

    private void restartServer(RelayLimits limits) throws Exception {
        server.close();
        // many sessions a second between the same two clients on purpose: no announcement rate limit
        server = StuntServer.start(serverLoop, ServerConfig.builder(IP1, IP2).logPort(0).commPort(0).echoPort1(0)
                .echoPort2(0).maxAnnouncementsPerSecond(1_000_000).relay(limits).build()).get(WAIT_S, TimeUnit.SECONDS);
        server.onSessionFinished(summary::complete);
    }

    private Rendezvous[] relayedPair(RelayFrame.Mode initiatorMode, RelayFrame.Mode listenerMode) throws Exception {
        return relayedPair(initiatorMode, listenerMode, PunchStrategy.FAST);
    }

    private Rendezvous[] relayedPair(RelayFrame.Mode initiatorMode, RelayFrame.Mode listenerMode,
                                     PunchStrategy strategy) throws Exception {
        StuntClient a = register(config(PEER_A, "a.fp").relayMode(initiatorMode).punchStrategy(strategy).build(),
                "alice");
        StuntClient b = register(config(PEER_B, "b.fp").relayMode(listenerMode).punchStrategy(strategy).build(),
                "bob");
        CompletableFuture<Rendezvous> in = new CompletableFuture<>();
        b.onIncoming(in::complete, in::completeExceptionally);
        Rendezvous out = a.connect("bob", Duration.ofSeconds(8)).get(WAIT_S, TimeUnit.SECONDS);
        Rendezvous got = in.get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        channels.add(got.socketChannel());
        return new Rendezvous[] {out, got};
    }

    @Test
    void relayOnlyPairIsRelayedBothWaysWithItsReasonAndReport() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ALLOWED);
        for (Rendezvous x : r) {
            assertEquals(ConnectionPath.RELAYED, x.path(), x.toString());
            assertEquals("relay only was asked for", x.relayReason());
            assertNotNull(x.relay());
            assertEquals(server.logAddress().getAddress(), x.peerAddress().getAddress(), "a relayed connection's"
                    + " other end is the server");
        }
        assertEquals("hello bob", roundTrip(r[0].socketChannel(), r[1].socketChannel(), "hello bob"));
        assertEquals("hi alice", roundTrip(r[1].socketChannel(), r[0].socketChannel(), "hi alice"));
        assertEquals(1, server.relaysInFlight());
        assertEquals(0, server.sessionsInFlight(), "a relay is no rendezvous in flight");
        assertEquals(java.util.OptionalInt.of(1), server.stateOf("alice"), "relayed clients are IDLE again");
        r[0].socketChannel().close();
        RelayNotice endB = r[1].relay().ended().get(WAIT_S, TimeUnit.SECONDS);
        RelayNotice endA = r[0].relay().ended().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(RelayNotice.End.PEER_CLOSED, endB.end());
        assertEquals(RelayNotice.End.CLOSED_HERE, endA.end());
        assertEquals(9, endA.bytesSent());
        assertEquals(8, endA.bytesReceived());
        SessionSummary s = awaitSummary();
        assertEquals(SessionSummary.Path.RELAYED, s.path());
        assertEquals("relay only was asked for", s.relayReason());
        assertEquals(9, s.relayedFromInitiator());
        assertEquals(8, s.relayedFromListener());
        assertEquals(0, server.relaysInFlight());
    }

    @Test
    void bytesLimitEndsTheRelayWithItsReasonOnBothSidesAfterExactlyTheLimit() throws Exception {
        restartServer(new RelayLimits(true, 100_000, Duration.ZERO, 0, 10, 10));
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ONLY);
        byte[] data = new byte[150_000];
        new Random(1).nextBytes(data);
        SocketChannel from = r[0].socketChannel();
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                from.write(ByteBuffer.wrap(data));
            } catch (IOException e) {
                // the relay closes at its limit: the rest cannot be written
            }
        });
        ByteBuffer got = ByteBuffer.allocate(data.length);
        while (r[1].socketChannel().read(got) >= 0) {
            // until the relay closes
        }
        writer.join(Duration.ofSeconds(WAIT_S));
        assertEquals(100_000, got.position(), "exactly the limit passed");
        assertArrayEquals(java.util.Arrays.copyOf(data, 100_000), java.util.Arrays.copyOf(got.array(), 100_000));
        assertEquals(RelayNotice.End.BYTES_LIMIT, r[0].relay().ended().get(WAIT_S, TimeUnit.SECONDS).end());
        assertEquals(RelayNotice.End.BYTES_LIMIT, r[1].relay().ended().get(WAIT_S, TimeUnit.SECONDS).end());
    }

    @Test
    void durationLimitEndsTheRelayWithItsReason() throws Exception {
        restartServer(new RelayLimits(true, 0, Duration.ofSeconds(1), 0, 10, 10));
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ALLOWED);
        assertEquals(-1, r[1].socketChannel().read(ByteBuffer.allocate(16)), "the relay closes at its duration");
        assertEquals(RelayNotice.End.DURATION_LIMIT, r[0].relay().ended().get(WAIT_S, TimeUnit.SECONDS).end());
        assertEquals(RelayNotice.End.DURATION_LIMIT, r[1].relay().ended().get(WAIT_S, TimeUnit.SECONDS).end());
    }

    @Test
    void relayOnlyAgainstDirectOnlyFailsAsThePunchWouldAndTheServerRefusesNothingElse() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        StuntClient a = register(config(PEER_A, "a.fp").relayMode(RelayFrame.Mode.RELAY_ONLY).build(), "alice");
        register(config(PEER_B, "b.fp").relayMode(RelayFrame.Mode.DIRECT_ONLY).build(), "bob");
        var f = a.connect("bob", Duration.ofSeconds(4));
        var e = failure(f);
        assertEquals(ErrorStat.ERR_ASYMCLIENT, e.code(), e.getMessage());
        assertEquals(ErrorStat.ERR_ASYM_TIMEOUT, e.asymmetricCause(), "the asymmetric phase's code as detail");
        assertTrue(e.getMessage().contains("direct connections only"), e.getMessage());
        assertEquals(0, server.relaysInFlight());
    }

    @Test
    void relayLimitPerClientRefusesTheSecondRelay() throws Exception {
        restartServer(new RelayLimits(true, 0, Duration.ZERO, 0, 10, 1));
        relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ONLY);
        StuntClient c = register(config(io.xstunt.engine.wire.Ipv4.parse("127.0.0.13"), "c.fp")
                .relayMode(RelayFrame.Mode.RELAY_ONLY).build(), "carol");
        var e = failure(c.connect("bob", Duration.ofSeconds(4)));
        assertEquals(ErrorStat.ERR_ASYMCLIENT, e.code(), e.getMessage());
        assertEquals(ErrorStat.ERR_ASYM_TIMEOUT, e.asymmetricCause(), "the asymmetric phase's code as detail");
        assertTrue(e.getMessage().contains("bob takes part in 1 relayed connections"), e.getMessage());
        // a question to the server's loop comes after the refusal's count (same loop turn as its frames)
        assertEquals(1, server.relaysInFlight(), "the first relay still runs");
        assertEquals(1, server.rejected(Rejection.RELAY_REFUSED));
    }

    @Test
    void relayingOffOnTheServerMeansTheOldRendezvous() throws Exception {
        restartServer(RelayLimits.OFF);
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ALLOWED, RelayFrame.Mode.RELAY_ALLOWED);
        assertEquals(ConnectionPath.DIRECT, r[0].path());
        assertEquals(ConnectionPath.DIRECT, r[1].path());
        assertNull(r[0].relay());
    }

    @Test
    void allowedPairOnLoopbackPunchesDirectAndTheServerKnowsIt() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        // RACE: the server's session knows the path (a FAST session has none on the server)
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ALLOWED, RelayFrame.Mode.RELAY_ALLOWED, PunchStrategy.RACE);
        assertEquals(ConnectionPath.DIRECT, r[0].path());
        assertEquals("x", roundTrip(r[0].socketChannel(), r[1].socketChannel(), "x"));
        assertEquals(SessionSummary.Path.DIRECT, awaitSummary().path());
    }

    @Test
    void wayBackToDirectOffersADirectConnectionWhileTheRelayedOneStaysOpen() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ALLOWED);
        Rendezvous[] d = offeredOnDemand(r);
        Rendezvous da = d[0];
        Rendezvous db = d[1];
        assertEquals(ConnectionPath.DIRECT, da.path());
        assertEquals(ConnectionPath.DIRECT, db.path());
        assertEquals(r[0].relay().session(), da.replaces());
        assertEquals(r[1].relay().session(), db.replaces());
        assertEquals("direct", roundTrip(da.socketChannel(), db.socketChannel(), "direct"));
        assertEquals("still relayed", roundTrip(r[0].socketChannel(), r[1].socketChannel(), "still relayed"));
    }

    @Test
    void wayBackToDirectWorksWhenBothSidesAskedForTheRelayOnly() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        Rendezvous[] d = offeredOnDemand(relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ONLY));
        assertEquals(ConnectionPath.DIRECT, d[1].path(), "the relay-only listener punched for the way back");
        assertEquals("direct", roundTrip(d[0].socketChannel(), d[1].socketChannel(), "direct"));
    }

    /**
     * A client whose fingerprint says random probes its NAT again before it looks for a direct
     * path (the NAT may have become predictable while it was relayed, and the old fingerprint
     * would mispredict: natlab's RelayLabBenchmark shows a pair that never got its offer), and
     * uses the new reading from then on.
     */
    @Test
    void aClientWithARandomFingerprintProbesAgainBeforeTheWayBack() throws Exception {
        restartServer(RelayLimits.DEFAULTS);
        // a cached fingerprint that says random (what a random NAT left in the file)
        StuntClient probing = register(config(PEER_A, "a.fp").build(), "alice");
        probing.close();
        Fingerprint real = FingerprintFile.read(dir.resolve("a.fp")).orElseThrow();
        FingerprintFile.write(dir.resolve("a.fp"), new Fingerprint(real.clientVersion(), real.serverVersion(), real.id(),
                true, real.publicIp(), Protocol.RANDOM_INCREMENT, false));
        StuntClient a = register(config(PEER_A, "a.fp").relayMode(RelayFrame.Mode.RELAY_ONLY).build(), "alice");
        assertTrue(a.fingerprint().isRandom(), a.fingerprint().describe());
        StuntClient b = register(config(PEER_B, "b.fp").relayMode(RelayFrame.Mode.RELAY_ALLOWED).build(), "bob");
        CompletableFuture<Rendezvous> in = new CompletableFuture<>();
        b.onIncoming(in::complete, in::completeExceptionally);
        Rendezvous out = a.connect("bob", Duration.ofSeconds(8)).get(WAIT_S, TimeUnit.SECONDS);
        channels.add(out.socketChannel());
        channels.add(in.get(WAIT_S, TimeUnit.SECONDS).socketChannel());
        out.relay().tryDirect();
        Rendezvous direct = out.relay().directOffer().get(WAIT_S, TimeUnit.SECONDS);
        channels.add(direct.socketChannel());
        assertEquals(ConnectionPath.DIRECT, direct.path());
        assertEquals(real.describe(), a.fingerprint().describe(), "probed again: loopback has no NAT");
    }

    /** The initiator looks for a direct path now; both sides' offers (initiator's first). */
    private Rendezvous[] offeredOnDemand(Rendezvous[] r) throws Exception {
        CompletableFuture<Rendezvous> listenerOffer = r[1].relay().directOffer();
        r[0].relay().tryDirect();
        Rendezvous da = r[0].relay().directOffer().get(WAIT_S, TimeUnit.SECONDS);
        Rendezvous db = listenerOffer.get(WAIT_S, TimeUnit.SECONDS);
        channels.add(da.socketChannel());
        channels.add(db.socketChannel());
        return new Rendezvous[] {da, db};
    }

    /**
     * Backpressure, proven with the server's own accounting and no clock: a reader that reads
     * nothing makes the server stop reading the writer (a side paused) while the connection to
     * the reader holds at most {@link RelayBuffering#BOUND}; the writer cannot have finished then
     * (it writes more than every socket buffer on the way can hold); the loop meanwhile serves
     * two other clients' whole rendezvous; then a reader that reads in small pieces gets every
     * byte, and no relayed connection ever held more than the bound.
     */
    @Test
    void aSlowReaderSlowsTheWriterAndTheServerHoldsAtMostItsBound() throws Exception {
        restartServer(new RelayLimits(true, 0, Duration.ZERO, 0, 10, 10));
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ONLY);
        // more than the kernel may buffer on the way: four sockets (writer, server in, server
        // out, reader) at their largest send and receive buffers, plus the server's bound
        long kernelMost = 4 * (tcpBufferMax("tcp_wmem") + tcpBufferMax("tcp_rmem"));
        long total = kernelMost + 2 * RelayBuffering.BOUND + (1 << 20);
        byte[] chunk = new byte[64 * 1024];
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        SocketChannel out = r[0].socketChannel();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            Random random = new Random(4);
            try {
                for (long done = 0; done < total; done += chunk.length) {
                    random.nextBytes(chunk);
                    int len = (int) Math.min(chunk.length, total - done);
                    sent.update(chunk, 0, len);
                    ByteBuffer b = ByteBuffer.wrap(chunk, 0, len);
                    while (b.hasRemaining()) {
                        out.write(b);
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));

        io.xstunt.engine.loop.LoopTesting.until("the server stops reading the writer while the reader reads nothing",
                Duration.ofSeconds(WAIT_S), () -> server.relayBuffering().pausedSides() == 1);
        RelayBuffering held = server.relayBuffering();
        assertTrue(held.bufferedBytes() <= RelayBuffering.BOUND, held.toString());
        assertTrue(!writer.isDone(), "the writer finished " + total + " bytes while nobody read: the server buffered"
                + " them (" + held + ")");

        // the loop serves other clients meanwhile: a whole rendezvous and data both ways
        StuntClient c = register(config(Ipv4.parse("127.0.0.13"), "c.fp").build(), "carol");
        StuntClient d = register(config(Ipv4.parse("127.0.0.14"), "d.fp").build(), "dave");
        CompletableFuture<Rendezvous> in = new CompletableFuture<>();
        d.onIncoming(in::complete, in::completeExceptionally);
        Rendezvous cd = c.connect("dave", Duration.ofSeconds(8)).get(WAIT_S, TimeUnit.SECONDS);
        Rendezvous dc = in.get(WAIT_S, TimeUnit.SECONDS);
        channels.add(cd.socketChannel());
        channels.add(dc.socketChannel());
        assertEquals("while a relay waits", roundTrip(cd.socketChannel(), dc.socketChannel(), "while a relay waits"));
        assertTrue(!writer.isDone(), "the writer is still held back");

        // a slow reader: small reads; everything arrives, in order
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        ByteBuffer small = ByteBuffer.allocate(4096);
        long read = 0;
        while (read < total) {
            small.clear();
            int n = r[1].socketChannel().read(small);
            if (n < 0) {
                break;
            }
            got.update(small.array(), 0, n);
            read += n;
        }
        writer.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(total, read);
        assertArrayEquals(sent.digest(), got.digest(), "every byte, in order");
        RelayBuffering after = server.relayBuffering();
        assertTrue(after.peakBytes() <= RelayBuffering.BOUND && after.peakBytes() > 0, after.toString());
    }

    /** @return the largest TCP buffer the kernel gives a socket ({@code /proc/sys/net/ipv4/NAME}'s third field) */
    private static long tcpBufferMax(String name) throws IOException {
        // read as a stream: a /proc file reports size 0
        try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of("/proc/sys/net/ipv4", name))) {
            String[] f = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim().split("\\s+");
            return Long.parseLong(f[2]);
        }
    }

    @Test
    void largeTransferArrivesIntactBothWays() throws Exception {
        restartServer(new RelayLimits(true, 0, Duration.ZERO, 0, 10, 10));
        Rendezvous[] r = relayedPair(RelayFrame.Mode.RELAY_ONLY, RelayFrame.Mode.RELAY_ONLY);
        int size = 8 << 20;
        byte[][] sent = new byte[2][size];
        new Random(2).nextBytes(sent[0]);
        new Random(3).nextBytes(sent[1]);
        List<Thread> writers = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            SocketChannel ch = r[s].socketChannel();
            byte[] d = sent[s];
            writers.add(Thread.ofVirtual().start(() -> {
                try {
                    ByteBuffer b = ByteBuffer.wrap(d);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        for (int s = 0; s < 2; s++) {
            ByteBuffer got = ByteBuffer.allocate(size);
            while (got.hasRemaining()) {
                if (r[1 - s].socketChannel().read(got) < 0) {
                    break;
                }
            }
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(sent[s]),
                    MessageDigest.getInstance("SHA-256").digest(got.array()), "side " + s + "'s bytes");
        }
        for (Thread t : writers) {
            t.join(Duration.ofSeconds(WAIT_S));
        }
    }

    @Test
    void manyRelayedSessionsThatEndEveryWayLeaveNothingOnTheServer() throws Exception {
        restartServer(new RelayLimits(true, 0, Duration.ZERO, 0, 10, 10));
        StuntClient a = register(config(PEER_A, "a.fp").relayMode(RelayFrame.Mode.RELAY_ONLY).build(), "alice");
        StuntClient b = register(config(PEER_B, "b.fp").relayMode(RelayFrame.Mode.RELAY_ALLOWED).build(), "bob");
        int[] baseline = serverCounts();
        // 150 in every build; the 10,000 with -Drelay.leak.sessions=10000 (about 25 s)
        int sessions = Integer.getInteger("relay.leak.sessions", 150);
        for (int i = 0; i < sessions; i++) {
            CompletableFuture<Rendezvous> in = new CompletableFuture<>();
            b.onIncoming(in::complete, in::completeExceptionally);
            Rendezvous out = a.connect("bob", Duration.ofSeconds(8)).get(WAIT_S, TimeUnit.SECONDS);
            Rendezvous got = in.get(WAIT_S, TimeUnit.SECONDS);
            assertEquals(ConnectionPath.RELAYED, out.path());
            out.socketChannel().write(ByteBuffer.wrap(new byte[100 + i]));
            switch (i % 3) {
                case 0 -> out.socketChannel().close(); // the initiator closes
                case 1 -> got.socketChannel().close(); // the listener closes
                default -> { // the listener vanishes with a reset
                    got.socketChannel().setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                    got.socketChannel().close();
                }
            }
            out.relay().ended().get(WAIT_S, TimeUnit.SECONDS);
            got.relay().ended().get(WAIT_S, TimeUnit.SECONDS);
            out.closeQuietly();
            got.closeQuietly();
        }
        assertEquals(0, server.relaysInFlight());
        assertEquals(0, server.sessionsInFlight());
        int[] after = serverCounts();
        assertArrayEquals(baseline, after, "connections, sources, keys and timers of the server after " + sessions
                + " relayed sessions (before: " + java.util.Arrays.toString(baseline) + ")");
    }

    /** @return the server's connections, sources, selection keys and timers, once closes have settled */
    private int[] serverCounts() throws Exception {
        CompletableFuture<int[]> keys = new CompletableFuture<>();
        serverLoop.execute(() -> serverLoop.afterNextSelect(
                () -> keys.complete(new int[] {serverLoop.registeredKeys(), serverLoop.pendingTimers()})));
        int[] k = keys.get(WAIT_S, TimeUnit.SECONDS);
        return new int[] {server.openConnections(), server.sourcesTracked(), k[0], k[1]};
    }

    private SessionSummary awaitSummary() throws Exception {
        return summary.get(WAIT_S, TimeUnit.SECONDS);
    }
}
