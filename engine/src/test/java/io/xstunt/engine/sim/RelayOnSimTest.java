package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import io.xstunt.engine.client.FingerprintFile;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.ConnectionPath;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The relay on the simulated internet, real server and real clients behind natlab's NATs (every
 * build, virtual time): both NATs random (natlab's scenario 5, which failed before the relay)
 * connect relayed at once, without a punch; one random NAT behind a port-preserving one (a pair
 * that cannot punch through conntrack's exact-endpoint filtering), with the birthday sweep off, is
 * relayed after the punch window,
 * inside XConnect's timeout; data crosses both ways; the server reports the path and the bytes.
 */
class RelayOnSimTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private static ClientConfig fast(String local) {
        return ClientConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2))
                .localAddress(Ipv4.parse(local)).fingerprintFile(null).listenTimeout(Duration.ofSeconds(12))
                .sweep(io.xstunt.engine.client.SweepBudget.OFF).punchStrategy(PunchStrategy.FAST).build();
    }

    private static ClientConfig client(String local) {
        // without the birthday sweep, which connects one random NAT directly (BirthdaySweepOnSimTest)
        return ClientConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2))
                .localAddress(Ipv4.parse(local)).fingerprintFile(null).listenTimeout(Duration.ofSeconds(12))
                .sweep(io.xstunt.engine.client.SweepBudget.OFF).build();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void bothRandomNatsAreRelayedAtOnce(long seed) {
        run(NatLab.builder().nat(NatMapping.RANDOM).inbound(InboundPolicy.DROP).seed(seed).build(),
                "both NATs random-symmetric");
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void oneRandomNatIsRelayedAfterThePunchWindow(long seed) {
        run(NatLab.builder().nat1(NatMapping.PRESERVE).nat2(NatMapping.RANDOM).inbound(InboundPolicy.DROP).seed(seed)
                .build(), "punch timed out");
    }

    /**
     * FAST's fail-over (docs/PROTOCOL.md "FAST"): alice's fingerprint file says port-preserving,
     * but her NAT is random now. The server gives the pair a go; alice's NAT maps her punch port
     * elsewhere, so no SYN finds a hole; the punch window ends, one side fails over, the server
     * starts the normal session, RACE (with the same wrong fingerprint) times out its punch and
     * the pair is relayed: all inside the one XConnect call and its timeout.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2})
    void aFastGoThatMissesFailsOverToRaceThenToTheRelay(long seed, @org.junit.jupiter.api.io.TempDir Path dir)
            throws java.io.IOException {
        NatLab lab = NatLab.builder().nat1(NatMapping.PRESERVE).nat2(NatMapping.RANDOM).inbound(InboundPolicy.DROP)
                .seed(seed).build();
        SimNetwork net = lab.net();
        ServerConfig config = ServerConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2)).build();
        StuntServer server = net.await("server", StuntServer.start(lab.srv().network(), config), BOUND);
        CompletableFuture<SessionSummary> summary = new CompletableFuture<>();
        server.onSessionFinished(summary::complete);
        Path stale = dir.resolve("alice.dat");
        // what alice's NAT was when she probed it: port-preserving cone
        FingerprintFile.write(stale, new Fingerprint(Protocol.BUILD_VERSION, config.serverVersion(), "alice", true,
                Ipv4.toInt(Ipv4.parse(NatLab.NAT2_IP)), 0, true));
        StuntClient bob = net.await("bob registered", StuntClient.register(lab.h1().network(), fast(NatLab.H1_IP),
                "bob"), BOUND);
        ClientConfig aliceConfig = ClientConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2))
                .localAddress(Ipv4.parse(NatLab.H2_IP)).fingerprintFile(stale).listenTimeout(Duration.ofSeconds(12))
                .sweep(io.xstunt.engine.client.SweepBudget.OFF).punchStrategy(PunchStrategy.FAST).build();
        StuntClient alice = net.await("alice registered", StuntClient.register(lab.h2().network(), aliceConfig,
                "alice"), BOUND);
        assertTrue(alice.fingerprintCached(), "the stale fingerprint is used");
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        bob.onIncoming(incoming::complete, incoming::completeExceptionally);
        long t0 = net.nowNs();
        Rendezvous a = net.await("alice's XConnect", alice.connect("bob", Duration.ofSeconds(12)), BOUND);
        long took = net.nowNs() - t0;
        Rendezvous b = net.await("bob's incoming connection", incoming, BOUND);
        assertEquals(ConnectionPath.RELAYED, a.path(), a.toString());
        assertEquals(ConnectionPath.RELAYED, b.path(), b.toString());
        assertTrue(a.phases().keySet().containsAll(java.util.List.of("fast.request", "fast.announcement",
                "fast.firstSyn", "announce")), "the FAST try, then the normal session: " + a.phases());
        assertFalse(a.phases().containsKey("comm"), "the request went on the log connection: " + a.phases());
        assertTrue(took < Duration.ofSeconds(12).toNanos(), "within XConnect's timeout: " + took / 1_000_000 + " ms");
        crossBothWays(a, b, "to bob", "hi");
        assertEquals(SessionSummary.Path.RELAYED, net.await("the server's report", summary, BOUND).path());
    }

    private static void run(NatLab lab, String reason) {
        SimNetwork net = lab.net();
        StuntServer server = net.await("server", StuntServer.start(lab.srv().network(),
                ServerConfig.builder(Ipv4.parse(NatLab.SRV_IP1), Ipv4.parse(NatLab.SRV_IP2)).build()), BOUND);
        CompletableFuture<SessionSummary> summary = new CompletableFuture<>();
        server.onSessionFinished(summary::complete);
        StuntClient bob = net.await("bob registered", StuntClient.register(lab.h1().network(), client(NatLab.H1_IP),
                "bob"), BOUND);
        StuntClient alice = net.await("alice registered", StuntClient.register(lab.h2().network(),
                client(NatLab.H2_IP), "alice"), BOUND);
        CompletableFuture<Rendezvous> incoming = new CompletableFuture<>();
        bob.onIncoming(incoming::complete, incoming::completeExceptionally);
        long t0 = net.nowNs();
        Rendezvous a = net.await("alice's XConnect", alice.connect("bob", Duration.ofSeconds(12)), BOUND);
        long took = net.nowNs() - t0;
        Rendezvous b = net.await("bob's incoming connection", incoming, BOUND);
        for (Rendezvous r : new Rendezvous[] {a, b}) {
            assertEquals(ConnectionPath.RELAYED, r.path(), r.toString());
            assertTrue(r.relayReason().startsWith(reason), r.relayReason());
        }
        assertTrue(took < Duration.ofSeconds(12).toNanos(), "within XConnect's timeout: " + took / 1_000_000 + " ms");
        crossBothWays(a, b, "to bob", "hi");
        SessionSummary s = net.await("the server's report", summary, BOUND);
        assertEquals(SessionSummary.Path.RELAYED, s.path());
        assertEquals(6, s.relayedFromInitiator());
        assertEquals(2, s.relayedFromListener());
    }

    /** Sends {@code there} from {@code a} to {@code b} and {@code back} the other way, checks both, closes both. */
    static void crossBothWays(Rendezvous a, Rendezvous b, String there, String back) {
        try {
            SocketChannel ca = a.socketChannel();
            SocketChannel cb = b.socketChannel();
            assertEquals(there, carry(ca, cb, there));
            assertEquals(back, carry(cb, ca, back));
            ca.close();
            cb.close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String carry(SocketChannel from, SocketChannel to, String text) throws java.io.IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        from.write(ByteBuffer.wrap(bytes));
        ByteBuffer got = ByteBuffer.allocate(bytes.length);
        while (got.hasRemaining()) {
            to.read(got);
        }
        return new String(got.array(), StandardCharsets.UTF_8);
    }
}
