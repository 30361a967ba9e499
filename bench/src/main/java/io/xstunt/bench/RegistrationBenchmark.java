package io.xstunt.bench;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
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
 * Registration latency (XInit, issue #4 benchmark 2) on loopback: with a cached fingerprint
 * (the file matches: greeting, ID, ServerInfo, LogState IDLE) and with full probing (no file:
 * PROBE registration, four echo probes per round, then IDLE registration). One operation ends
 * when XInit returns; the session is closed and the server has forgotten the ID before the next.
 * {@code addresses}: the client's local address is taken in turn from this many (1: 127.0.0.21
 * cached, 127.0.0.22 probing), for the TIME_WAIT reason given in {@link HandshakeBenchmark}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class RegistrationBenchmark {
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** Local addresses used in turn. */
    @Param({"1", "200"})
    public int addresses;

    private Path dir;
    private LoopbackRig rig;
    private XstuntClient session;
    private io.xstunt.api.XstuntOptions[] cached;
    private io.xstunt.api.XstuntOptions[] probing;
    private int turn;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("xstunt-bench-registration");
        rig = LoopbackRig.start();
        cached = new io.xstunt.api.XstuntOptions[addresses];
        probing = new io.xstunt.api.XstuntOptions[addresses];
        for (int k = 0; k < addresses; k++) {
            cached[k] = rig.options(addresses == 1 ? "127.0.0.21" : "127.0.4." + (k + 1),
                    dir.resolve("fingerprint-" + k + ".dat"));
            probing[k] = rig.options(addresses == 1 ? "127.0.0.22" : "127.0.5." + (k + 1), null);
            // the first registration probes and writes the file that the cached runs reuse
            try (XstuntClient first = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, "carol", cached[k])) {
                if (first.fingerprintCached()) {
                    throw new IllegalStateException("fresh directory, yet the fingerprint was cached");
                }
            }
            rig.awaitState("carol", OptionalInt.empty(), BOUND);
        }
    }

    @Setup(Level.Invocation)
    public void awaitFreed() {
        rig.awaitState("carol", OptionalInt.empty(), BOUND);
        rig.awaitState("dave", OptionalInt.empty(), BOUND);
        turn++;
    }

    @Benchmark
    public XstuntClient cachedFingerprint() throws Exception {
        session = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, "carol", cached[turn % addresses]);
        if (!session.fingerprintCached()) {
            throw new IllegalStateException("expected the cached fingerprint to be used");
        }
        return session;
    }

    @Benchmark
    public XstuntClient fullProbing() throws Exception {
        session = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, "dave", probing[turn % addresses]);
        if (session.fingerprintCached()) {
            throw new IllegalStateException("expected probing without a fingerprint file");
        }
        return session;
    }

    @TearDown(Level.Invocation)
    public void closeSession() {
        if (session != null) {
            session.close();
            session = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        rig.close();
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
