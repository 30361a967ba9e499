package io.xstunt.bench;

import io.xstunt.api.PunchStrategy;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Handshake latency on loopback (issue #4, benchmark 1): one operation is XConnect from an
 * initiator to a listener until the connected SocketChannel is held on both sides (the
 * initiator's future and the listener's incoming callback), through a server on 127.0.0.1 +
 * 127.0.0.2. The baseline in the same run: a plain TCP connect to 127.0.0.1 plus a 1-byte round
 * trip (which proves the server side accepted). Channels are closed outside the measured
 * operation in both, and the next operation starts once the server has both peers IDLE again.
 *
 * <p>{@code pairs}: with 1, alice (127.0.0.11) connects to bob (127.0.0.12) every time. Each
 * handshake leaves a few sockets of each peer in TIME_WAIT (the client closes its comm, control
 * and direct connections first), and after some thousands of them Linux's
 * {@code bind(address, 0)} with SO_REUSEADDR takes milliseconds on that address (measured: 1.5 ms
 * with 8,000 TIME_WAIT sockets, 2.5 us on a fresh address), so a long run measures the kernel's
 * port search. With N pairs, operation i uses pair i mod N (127.0.2.k -> 127.0.3.k), as N
 * separate users would; the baseline rotates its source address the same way.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class HandshakeBenchmark {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** Peer pairs used in turn (1: alice 127.0.0.11 and bob 127.0.0.12 only). */
    @Param({"1", "200"})
    public int pairs;

    /** FAST (the default between our peers, issue 15) or RACE, in the same run. */
    @Param({"FAST", "RACE"})
    public String strategy;

    private Path dir;
    private LoopbackRig rig;
    private XstuntClient[] initiators;
    private XstuntClient[] listeners;
    private int turn;
    private XstuntClient alice;
    private XstuntClient bob;
    private String sourceIp;
    private volatile CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
    private XstuntConnection atAlice;
    private XstuntConnection atBob;

    private ServerSocketChannel plainServer;
    private Thread plainAcceptor;
    private SocketChannel plainClient;
    private final ByteBuffer oneByte = ByteBuffer.allocateDirect(1);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("xstunt-bench-handshake");
        rig = LoopbackRig.start();
        initiators = new XstuntClient[pairs];
        listeners = new XstuntClient[pairs];
        for (int k = 0; k < pairs; k++) {
            String a = pairs == 1 ? "127.0.0.11" : "127.0.2." + (k + 1);
            String b = pairs == 1 ? "127.0.0.12" : "127.0.3." + (k + 1);
            initiators[k] = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, pairs == 1 ? "alice" : "a" + k,
                    rig.options(a, dir.resolve("a" + k + ".dat"), PunchStrategy.valueOf(strategy)));
            listeners[k] = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, pairs == 1 ? "bob" : "b" + k,
                    rig.options(b, dir.resolve("b" + k + ".dat"), PunchStrategy.valueOf(strategy)));
            XstuntAsync.onIncoming(listeners[k], r -> incoming.complete(r), e -> incoming.completeExceptionally(e));
        }
        startPlainServer();
    }

    /** The baseline's server: accepts, echoes one byte, closes (server closes first). */
    private void startPlainServer() throws IOException {
        plainServer = ServerSocketChannel.open().bind(new InetSocketAddress(LoopbackRig.IP1, 0), 1024);
        plainAcceptor = Thread.ofPlatform().daemon().name("bench-plain-acceptor").start(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(1);
            while (plainServer.isOpen()) {
                try (SocketChannel c = plainServer.accept()) {
                    b.clear();
                    if (c.read(b) == 1) {
                        c.write(b.flip());
                    }
                } catch (IOException e) {
                    if (plainServer.isOpen()) {
                        System.err.println("baseline server: " + e);
                    }
                }
            }
        });
    }

    @Setup(Level.Invocation)
    public void awaitIdle() {
        int k = turn++ % pairs;
        alice = initiators[k];
        bob = listeners[k];
        sourceIp = alice.publicAddress().getHostAddress();
        rig.awaitState(alice.id(), OptionalInt.of(Protocol.CSTATE_IDLE), BOUND);
        rig.awaitState(bob.id(), OptionalInt.of(Protocol.CSTATE_IDLE), BOUND);
        incoming = new CompletableFuture<>();
    }

    /** XConnect until both sides hold the direct connection. */
    @Benchmark
    public XstuntConnection xconnect() throws Exception {
        atAlice = XstuntAsync.xConnect(alice, bob.id(), TIMEOUT).get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        atBob = incoming.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        return atBob;
    }

    /** Baseline: plain TCP connect plus one 1-byte round trip. */
    @Benchmark
    public int plainTcpConnectRoundTrip() throws IOException {
        SocketChannel c = SocketChannel.open();
        plainClient = c;
        c.bind(new InetSocketAddress(sourceIp, 0));
        c.connect(plainServer.getLocalAddress());
        c.write(oneByte.clear().put((byte) 1).flip());
        oneByte.clear();
        if (c.read(oneByte) != 1) {
            throw new IOException("baseline server did not echo the byte");
        }
        return oneByte.get(0);
    }

    @TearDown(Level.Invocation)
    public void closeChannels() throws IOException {
        for (XstuntConnection r : new XstuntConnection[] {atAlice, atBob}) {
            if (r != null) {
                r.channel().close();
            }
        }
        atAlice = null;
        atBob = null;
        if (plainClient != null) {
            plainClient.close();
            plainClient = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        plainServer.close();
        plainAcceptor.join(5_000);
        for (int k = 0; k < pairs; k++) {
            initiators[k].close();
            listeners[k].close();
        }
        rig.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
