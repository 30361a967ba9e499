package io.xstunt.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.bench.load.LoadGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The CI's smoke check of the benchmarks: every JMH benchmark method runs one 100 ms iteration
 * (in this JVM, no warm-up) and must produce a result; the load generator runs a tiny load. No
 * speed is asserted: CI machines differ, the figures belong to docs/PERFORMANCE.md.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BenchmarkSmokeTest {
    @TempDir
    Path dir;

    private static Collection<RunResult> runOnce(Class<?> benchmark) throws Exception {
        Options opt = new OptionsBuilder()
                .include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .forks(0)
                .shouldFailOnError(true)
                .build();
        return new Runner(opt).run();
    }

    private static Set<String> methods(Collection<RunResult> results) {
        Set<String> names = new TreeSet<>();
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getSampleCount() > 0, r.getParams().getBenchmark() + " has no samples");
            String b = r.getParams().getBenchmark();
            names.add(b.substring(b.lastIndexOf('.') + 1));
        }
        return names;
    }

    private static Set<String> declared(Class<?> benchmark) {
        Set<String> names = new TreeSet<>();
        for (var m : benchmark.getDeclaredMethods()) {
            if (m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class)) {
                names.add(m.getName());
            }
        }
        return names;
    }

    @Test
    void codecBenchmarksProduceResults() throws Exception {
        assertEquals(declared(CodecBenchmark.class), methods(runOnce(CodecBenchmark.class)));
    }

    @Test
    void handshakeBenchmarksProduceResults() throws Exception {
        assertEquals(declared(HandshakeBenchmark.class), methods(runOnce(HandshakeBenchmark.class)));
    }

    @Test
    void registrationBenchmarksProduceResults() throws Exception {
        assertEquals(declared(RegistrationBenchmark.class), methods(runOnce(RegistrationBenchmark.class)));
    }

    @Test
    void loadGeneratorReportsEveryFigure() throws Exception {
        Path out = dir.resolve("load.txt");
        LoadGenerator.main(new String[] {"--clients", "400", "--sessions", "300", "--in-flight", "50",
            "--warmup", "0", "--baseline", "300", "--server-jvm-opts", "-Xmx256m", "--out", out.toString()});
        String report = Files.readString(out);
        for (String key : new String[] {"registrations.per.s", "heap.per.client.bytes", "sessions.per.s",
            "session.latency.p99.us", "baseline.accept.write.close.per.s", "ratio.registrations.to.baseline",
            "ratio.sessions.to.baseline", "floor.sessions.per.s", "ratio.floor.sessions.to.baseline",
            "ratio.sessions.to.floor", "sessions.busy", "baseline.busy"}) {
            assertTrue(report.contains(key + " = "), key + " missing from:\n" + report);
        }
        assertTrue(report.contains("clients.held = 400 of 400"), report);
        assertTrue(report.contains("\nsessions.ok = 300 of 300"), report);
        assertTrue(report.contains("floor.sessions.ok = 300 of 300"), report);
        // nothing of the sessions is left open on either server once they are done
        // each server counted the sessions itself (both ways relayed), and nothing of them is left open
        assertTrue(report.contains("server.after.sessions = 400 registered, 400 open connections, 0 inputs refused, "
                + "300 sessions served"), report);
        assertTrue(report.contains("floor.after.sessions = 400 registered, 400 open connections, 0 connections closed"
                + " on bad bytes, 300 sessions served"), report);
    }

    @Test
    void loadGeneratorsRedisModeReportsTheRatiosToTheInMemoryRegistry() throws Exception {
        io.xstunt.testkit.Prerequisite.redisServer();
        Path out = dir.resolve("redis-ab.txt");
        LoadGenerator.main(new String[] {"--clients", "200", "--sessions", "100", "--in-flight", "20",
            "--warmup", "0", "--server-jvm-opts", "-Xmx256m", "--redis-ab", "1", "--out", out.toString()});
        String report = Files.readString(out);
        for (String what : new String[] {"registrations.per.s", "sessions.per.s", "registration.server.cpu.us",
            "session.server.cpu.us", "registration.loop.cpu.us", "session.loop.cpu.us"}) {
            assertTrue(report.contains("ratio.redis.to.memory." + what + " = "), what + " missing from:\n" + report);
        }
        assertTrue(report.contains("redis.ab = 1 rounds, in memory against redis://127.0.0.1:"), report);
        assertTrue(report.contains("\nfailures = 0"), report);
    }

    @Test
    void loadGeneratorsHandshakeModeRunsBothStrategiesThroughTheClientLibrary() throws Exception {
        Path out = dir.resolve("handshakes.txt");
        LoadGenerator.main(new String[] {"--strategies", "RACE,FAST", "--pairs", "8", "--in-flight", "2",
            "--sessions", "40", "--warmup", "0", "--rounds", "1", "--server-jvm-opts", "-Xmx256m",
            "--out", out.toString()});
        String report = Files.readString(out);
        for (String s : new String[] {"RACE", "FAST"}) {
            assertTrue(report.contains("round.0." + s + ".ok = 40 of 40"), report);
            assertTrue(report.contains("round.0." + s + ".failed = 0"), report);
            assertTrue(report.contains("round.0." + s + ".handshakes.per.s = "), report);
        }
        assertTrue(report.contains("ratio.FAST.to.RACE.handshakes.per.s = "), report);
    }
}
