package io.xstunt.bench;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.engine.wire.Protocol;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What the handshake's time is made of: runs XConnect on the loopback rig of
 * {@link HandshakeBenchmark} and prints, per phase the client reports in
 * {@link XstuntConnection#phases()} (comm, announce, sync, predict, exchange, punch, ...), the p50 and
 * p99 on each side. Usage: {@code HandshakePhases [count]} (default 2000, after 500 warm-up).
 */
public final class HandshakePhases {
    private HandshakePhases() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int warmup = 500;
        Path dir = Files.createTempDirectory("xstunt-bench-phases");
        Duration timeout = Duration.ofSeconds(10);
        Duration bound = Duration.ofSeconds(15);
        Map<String, Histogram> samples = new LinkedHashMap<>();
        Histogram total = histogram();
        try (LoopbackRig rig = LoopbackRig.start()) {
            XstuntClient alice = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, "alice", rig.options(11, dir.resolve("a")));
            XstuntClient bob = Xstunt.xInit(LoopbackRig.IP1, LoopbackRig.IP2, "bob", rig.options(12, dir.resolve("b")));
            CompletableFuture<?>[] incoming = {new CompletableFuture<XstuntConnection>()};
            XstuntAsync.onIncoming(bob, r -> cast(incoming[0]).complete(r), e -> incoming[0].completeExceptionally(e));
            for (int i = -warmup; i < count; i++) {
                rig.awaitState("alice", OptionalInt.of(Protocol.CSTATE_IDLE), bound);
                rig.awaitState("bob", OptionalInt.of(Protocol.CSTATE_IDLE), bound);
                CompletableFuture<XstuntConnection> in = new CompletableFuture<>();
                incoming[0] = in;
                long t0 = System.nanoTime();
                XstuntConnection a = XstuntAsync.xConnect(alice, "bob", timeout).get(15, TimeUnit.SECONDS);
                XstuntConnection b = in.get(15, TimeUnit.SECONDS);
                long t = System.nanoTime() - t0;
                a.channel().close();
                b.channel().close();
                if (i < 0) {
                    continue;
                }
                total.recordValue(t);
                record(samples, "initiator ", a.phases());
                record(samples, "listener  ", b.phases());
            }
            alice.close();
            bob.close();
        }
        System.out.println(String.format(Locale.ROOT, "%-34s %10s %10s", "phase", "p50 us", "p99 us"));
        for (Map.Entry<String, Histogram> e : samples.entrySet()) {
            print(e.getKey(), e.getValue());
        }
        print("both sides hold the channel", total);
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<XstuntConnection> cast(CompletableFuture<?> f) {
        return (CompletableFuture<XstuntConnection>) f;
    }

    /** Nanoseconds, four significant digits (a figure off by at most 0.01 %). */
    private static Histogram histogram() {
        return new Histogram(4);
    }

    private static void record(Map<String, Histogram> samples, String side, Map<String, Duration> phases) {
        for (Map.Entry<String, Duration> p : phases.entrySet()) {
            samples.computeIfAbsent(side + p.getKey(), k -> histogram()).recordValue(p.getValue().toNanos());
        }
    }

    private static void print(String name, Histogram h) {
        System.out.println(String.format(Locale.ROOT, "%-34s %10.1f %10.1f", name, h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3));
    }
}
