package io.xstunt.bench.load;

import io.xstunt.api.PunchStrategy;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.loop.EventLoop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * Whole handshakes per second on one server with many in flight, punch strategy against punch
 * strategy in the same run (issue 15: "handshakes per second on one server with FAST against
 * RACE"). {@link LoadGenerator}'s own sessions speak the original protocol with simulated clients
 * and stop at the relayed control frames; this drives the real client library instead, so each
 * operation is what an application gets: XConnect until both the initiator and the listener hold
 * the connected SocketChannel, the punch included.
 *
 * <p>One server JVM ({@link ServerProcess} {@code stunt}) per phase; in this JVM {@code pairs}
 * initiator/listener pairs registered with the strategy of the phase (initiators on
 * 127.0.6.1.., listeners on 127.0.16.1..), all on one client loop thread (2 cores: one for the
 * server's loop, one for the clients'). {@code inFlight} handshakes run at once; a pair that
 * finished goes to the back of the queue, so with {@code pairs} well above {@code inFlight} the
 * server has long put both peers back to IDLE before they are asked again (a peer that is not
 * IDLE yet refuses, which would show as a failure). Phases alternate their order each round so
 * that neither strategy always runs on the warmer or quieter machine; the report gives each
 * phase and the median ratio of the rounds.
 */
final class HandshakeLoad {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** A listener whose incoming connection has not come this long after the initiator's: failed. */
    private static final long INCOMING_BOUND_MS = 15_000;

    private final List<String> serverOpts;
    private final List<String> wrapper;
    /** Writes one {@code key = value} line of the report. */
    private final java.util.function.BiConsumer<String, String> report;

    HandshakeLoad(List<String> serverOpts, List<String> wrapper, java.util.function.BiConsumer<String, String> report) {
        this.serverOpts = serverOpts;
        this.wrapper = wrapper;
        this.report = report;
    }

    /** What one phase measured. */
    record Phase(double perSecond, double p50Us, double p99Us, long ok, long failed, double serverCpuUs,
            double clientCpuUs) {
    }

    /**
     * Runs {@code rounds} rounds; in each, every strategy in turn (the order reversed on odd
     * rounds), and reports the median ratio of each later strategy to the first.
     */
    void run(List<PunchStrategy> strategies, int pairs, int handshakes, int inFlight, int warmup, int rounds)
            throws IOException {
        if (inFlight < 1 || pairs < 2 * inFlight) {
            throw new IllegalArgumentException("--pairs must be at least twice --in-flight (a pair rests while"
                    + " others run, so that the server has it IDLE again): pairs " + pairs + ", in flight " + inFlight);
        }
        report.accept("handshakes.setup", pairs + " pairs, " + inFlight + " in flight, " + warmup + " warm-up + "
                + handshakes + " measured handshakes per phase, " + rounds + " rounds, strategies " + strategies);
        List<Phase[]> all = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Phase[] phases = new Phase[strategies.size()];
            List<Integer> order = new ArrayList<>();
            for (int s = 0; s < strategies.size(); s++) {
                order.add(s);
            }
            if (r % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (int s : order) {
                PunchStrategy strategy = strategies.get(s);
                Phase p = phase(strategy, pairs, handshakes, inFlight, warmup);
                phases[s] = p;
                String key = "round." + r + "." + strategy;
                report.accept(key + ".handshakes.per.s", fmt(p.perSecond()));
                report.accept(key + ".latency.p50.p99.us", fmt(p.p50Us()) + " / " + fmt(p.p99Us()));
                report.accept(key + ".cpu.per.handshake.us", "server " + fmt(p.serverCpuUs()) + ", clients (this JVM) "
                        + fmt(p.clientCpuUs()));
                report.accept(key + ".ok", p.ok() + " of " + handshakes);
                report.accept(key + ".failed", Long.toString(p.failed()));
            }
            all.add(phases);
        }
        String ref = strategies.get(0).name();
        for (int s = 1; s < strategies.size(); s++) {
            int col = s;
            report.accept("ratio." + strategies.get(s) + ".to." + ref + ".handshakes.per.s",
                    median(all, p -> p[col].perSecond() / p[0].perSecond()));
            report.accept("ratio." + strategies.get(s) + ".to." + ref + ".server.cpu.per.handshake",
                    median(all, p -> p[col].serverCpuUs() / p[0].serverCpuUs()));
            report.accept("ratio." + strategies.get(s) + ".to." + ref + ".latency.p50",
                    median(all, p -> p[col].p50Us() / p[0].p50Us()));
        }
    }

    private static String median(List<Phase[]> rounds, java.util.function.ToDoubleFunction<Phase[]> ratio) {
        double[] v = rounds.stream().mapToDouble(ratio).sorted().toArray();
        double m = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        return String.format(Locale.ROOT, "%.2f (median of %d; min %.2f, max %.2f)", m, v.length, v[0],
                v[v.length - 1]);
    }

    private Phase phase(PunchStrategy strategy, int pairs, int handshakes, int inFlight, int warmup)
            throws IOException {
        Path dir = Files.createTempDirectory("xstunt-load-handshakes");
        EventLoop clientLoop = EventLoop.open("load-clients").start();
        ExecutorService driver = Executors.newSingleThreadExecutor(r -> new Thread(r, "load-driver"));
        List<XstuntClient> opened = new ArrayList<>();
        try (LoadGenerator.ServerJvm server = new LoadGenerator.ServerJvm("stunt", serverOpts, wrapper)) {
            try {
                Pair[] ps = new Pair[pairs];
                List<CompletableFuture<XstuntClient>> inits = new ArrayList<>();
                for (int k = 0; k < pairs; k++) {
                    String a = "127.0." + (6 + k / 250) + "." + (k % 250 + 1);
                    String b = "127.0." + (16 + k / 250) + "." + (k % 250 + 1);
                    inits.add(XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "ha" + k,
                            options(server, a, dir.resolve("a" + k), strategy, clientLoop)));
                    inits.add(XstuntAsync.xInit("127.0.0.1", "127.0.0.2", "hb" + k,
                            options(server, b, dir.resolve("b" + k), strategy, clientLoop)));
                }
                for (int k = 0; k < pairs; k++) {
                    XstuntClient a = join(inits.get(2 * k), "registering ha" + k);
                    XstuntClient b = join(inits.get(2 * k + 1), "registering hb" + k);
                    opened.add(a);
                    opened.add(b);
                    ps[k] = new Pair(a, b);
                    Pair p = ps[k];
                    XstuntAsync.onIncoming(b, c -> p.incoming.get().complete(c),
                            e -> p.incoming.get().completeExceptionally(e));
                }
                Run warm = new Run(ps, warmup, inFlight, driver);
                warm.await();
                long[] s0 = LoadGenerator.cpuNs(server.process.pid());
                long[] c0 = LoadGenerator.cpuNs(ProcessHandle.current().pid());
                Run run = new Run(ps, handshakes, inFlight, driver);
                double seconds = run.await();
                long[] s1 = LoadGenerator.cpuNs(server.process.pid());
                long[] c1 = LoadGenerator.cpuNs(ProcessHandle.current().pid());
                long ok = run.latency.getTotalCount();
                return new Phase(ok / seconds, run.latency.getValueAtPercentile(50) / 1e3,
                        run.latency.getValueAtPercentile(99) / 1e3, ok, run.failed,
                        (s1[0] + s1[1] - s0[0] - s0[1]) / 1e3 / Math.max(1, ok),
                        (c1[0] + c1[1] - c0[0] - c0[1]) / 1e3 / Math.max(1, ok));
            } finally {
                for (XstuntClient c : opened) { // before the server goes, so that none of them reports its loss
                    c.close();
                }
            }
        } finally {
            driver.shutdownNow();
            clientLoop.close();
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static XstuntOptions options(LoadGenerator.ServerJvm server, String address, Path fingerprint,
            PunchStrategy strategy, EventLoop loop) {
        return XstuntOptions.builder()
                .punchStrategy(strategy)
                .logPort(server.port1)
                .commPort(server.port2)
                .localAddress(address)
                .fingerprintFile(fingerprint)
                .eventLoop(loop)
                .build();
    }

    private static <T> T join(CompletableFuture<T> f, String what) throws IOException {
        return join(f, what, 60_000);
    }

    private static <T> T join(CompletableFuture<T> f, String what, long boundMs) throws IOException {
        try {
            return f.get(boundMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(what + ": not done within " + boundMs + " ms", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(what + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted", e);
        }
    }

    /** An initiator and its listener; {@code incoming} is the listener's side of the current handshake. */
    private static final class Pair {
        final XstuntClient initiator;
        final XstuntClient listener;
        final AtomicReference<CompletableFuture<XstuntConnection>> incoming =
                new AtomicReference<>(new CompletableFuture<>());

        Pair(XstuntClient initiator, XstuntClient listener) {
            this.initiator = initiator;
            this.listener = listener;
        }
    }

    /** {@code count} handshakes with {@code inFlight} under way, driven from one thread. */
    private static final class Run {
        final Histogram latency = new Histogram(60_000_000_000L, 3);
        final ArrayDeque<Pair> idle = new ArrayDeque<>();
        final ExecutorService driver;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final int count;
        int started;
        int finished;
        long failed;
        String lastFailure;
        final long start = System.nanoTime();

        Run(Pair[] pairs, int count, int inFlight, ExecutorService driver) {
            this.count = count;
            this.driver = driver;
            java.util.Collections.addAll(idle, pairs);
            driver.execute(() -> {
                for (int i = 0; i < inFlight; i++) {
                    next();
                }
                if (count == 0) {
                    done.complete(null);
                }
            });
        }

        /** On the driver thread: starts the next handshake with the pair that rested longest. */
        private void next() {
            if (started >= count) {
                return;
            }
            started++;
            Pair p = idle.poll();
            CompletableFuture<XstuntConnection> in = new CompletableFuture<>();
            p.incoming.set(in);
            long t0 = System.nanoTime();
            CompletableFuture<XstuntConnection> out = XstuntAsync.xConnect(p.initiator, p.listener.id(), TIMEOUT);
            out.thenCompose(c -> in.orTimeout(INCOMING_BOUND_MS, TimeUnit.MILLISECONDS).thenApply(l -> List.of(c, l)))
                    .whenCompleteAsync((both, e) -> {
                        long ns = System.nanoTime() - t0;
                        if (e == null) {
                            latency.recordValue(ns);
                            both.forEach(Run::close);
                        } else {
                            failed++;
                            lastFailure = String.valueOf(e);
                            out.thenAccept(Run::close);
                            in.thenAccept(Run::close);
                        }
                        idle.add(p);
                        if (++finished == count) {
                            done.complete(null);
                        } else {
                            next();
                        }
                    }, driver);
        }

        private static void close(XstuntConnection c) {
            try {
                c.channel().close();
            } catch (IOException e) {
                // closed either way
            }
        }

        /** @return seconds the run took; fails if it does not end within a bound fitting its size */
        double await() throws IOException {
            long boundMs = 60_000 + 100L * count;
            join(done, count + " handshakes", boundMs);
            if (failed > 0) {
                System.err.println("handshakes: " + failed + " of " + count + " failed; last: " + lastFailure);
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
