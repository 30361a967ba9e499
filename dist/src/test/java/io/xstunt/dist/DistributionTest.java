package io.xstunt.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntOptions;
import io.xstunt.testkit.LoopbackServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server distribution used the way an operator uses it: {@code bin/xstunt-server --config
 * FILE} from the unpacked distribution (target/xstunt-server-VERSION), its /health and /metrics
 * scraped over HTTP while a real client registers, then stopped with SIGTERM as systemd stops
 * it; and a config file with a mistake, refused at start. Every address is on loopback; the ports
 * are free ones (0) so that the test never meets a server already running.
 */
class DistributionTest {
    private static final long BOUND_S = 30;
    private static final Pattern SERVER_LINE = Pattern.compile(
            "\"logPort\":(\\d+),\"commPort\":(\\d+).*\"metrics\":\"(http://[^\"]+)/metrics\"");

    @TempDir
    Path dir;
    private Path home;
    /** XSTUNT_CACHE_KIND for the launcher; null: unset (the script picks by the Java version). */
    private String cacheKind;
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void findDistribution() {
        String d = System.getProperty("xstunt.dist.dir");
        assertTrue(d != null && Files.isExecutable(Path.of(d, "bin", "xstunt-server")),
                "no distribution at " + d + ": build the dist module with package (./xstunt test does)");
        home = Path.of(d);
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(BOUND_S, TimeUnit.SECONDS);
        }
        http.close();
    }

    /** {@code bin/xstunt-server ARGS} with this JVM's Java, its log in {@code dir}, its start-up cache in dir/cache. */
    private Process serverScript(String... args) throws IOException {
        return launcher(null, args);
    }

    /** {@link #serverScript} with {@code JAVA_OPTS} (null: none). */
    private Process launcher(String javaOpts, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/xstunt-server").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("server.log").toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("XSTUNT_CACHE_DIR", dir.resolve("cache").toString());
        if (cacheKind == null) {
            pb.environment().remove("XSTUNT_CACHE_KIND");
        } else {
            pb.environment().put("XSTUNT_CACHE_KIND", cacheKind);
        }
        if (javaOpts == null) {
            pb.environment().remove("JAVA_OPTS");
        } else {
            pb.environment().put("JAVA_OPTS", javaOpts);
        }
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(BOUND_S)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void startsWithAConfigFileServesHealthAndMetricsAndStopsOnSigterm() throws Exception {
        Path conf = Files.writeString(dir.resolve("xstunt-server.properties"), """
                # as conf/xstunt-server.properties, on free ports
                ip1=127.0.0.1
                ip2=127.0.0.2
                log-port=0
                comm-port=0
                echo-ports=0,0
                metrics-port=0
                metrics-address=127.0.0.1
                max-clients=100
                json=true
                """, StandardCharsets.UTF_8);
        Process server = serverScript("--config", conf.toString());
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).get(BOUND_S, TimeUnit.SECONDS);
        Matcher m = SERVER_LINE.matcher(String.valueOf(line));
        assertTrue(m.find(), "the server's first line names its ports and metrics: " + line + "\nlog:\n"
                + Files.readString(dir.resolve("server.log")));
        String base = m.group(3);

        HttpResponse<String> health = get(base + "/health");
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("\"status\":\"up\""), health.body());
        assertTrue(health.body().contains("\"registry\":{\"kind\":\"in-memory\",\"reachable\":true}"), health.body());

        XstuntOptions options = XstuntOptions.builder().logPort(Integer.parseInt(m.group(1)))
                .commPort(Integer.parseInt(m.group(2))).localAddress(LoopbackServer.peerAddress(11))
                .fingerprintFile(dir.resolve("fingerprint.dat")).build();
        try (XstuntClient client = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "operator-check", options)) {
            HttpResponse<String> metrics = get(base + "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                    metrics.headers().toString());
            assertTrue(metrics.body().contains("\nxstunt_server_registrations_total 1.0\n"), metrics.body());
            assertTrue(metrics.body().contains("\nxstunt_server_clients 1.0\n"), metrics.body());
            assertTrue(metrics.body().contains("\nxstunt_server_registry_up 1.0\n"), metrics.body());
            assertTrue(metrics.body().contains("\njvm_memory_used_bytes{"), "the JVM's meters too");
            assertTrue(get(base + "/health").body().contains("\"clients\":1"));
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }

        server.destroy(); // SIGTERM, as systemctl stop sends
        assertTrue(server.waitFor(BOUND_S, TimeUnit.SECONDS), "the server stops on SIGTERM");
        assertEquals(143, server.exitValue(), "SIGTERM's exit status (the systemd unit's SuccessExitStatus)");
        String log = Files.readString(dir.resolve("server.log"));
        assertTrue(log.contains("STUNT server on /127.0.0.1:" + m.group(1) + " closed"),
                "it closed its services: " + log);
        assertThrows(ConnectException.class, () -> get(base + "/health"), "the endpoint is gone with it");
    }

    @Test
    void theShippedConfigFileIsValid() throws Exception {
        // as shipped, on free ports instead of the reference's: the command line wins over the file
        Process server = serverScript("--config", home.resolve("conf/xstunt-server.properties").toString(),
                "--log-port", "0", "--comm-port", "0", "--echo-ports", "0,0", "--metrics-port", "0",
                "--duration", "0.5");
        assertTrue(server.waitFor(BOUND_S, TimeUnit.SECONDS));
        assertEquals(0, server.exitValue(), Files.readString(dir.resolve("server.log")));
        assertTrue(new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8).contains("server up: "));
    }

    @Test
    void aBadConfigFileStopsTheStartWithAClearError() throws Exception {
        Path conf = Files.writeString(dir.resolve("bad.properties"), "log-port=0\nmetrics-prot=9123\n",
                StandardCharsets.UTF_8);
        Process server = serverScript("--config", conf.toString());
        assertTrue(server.waitFor(BOUND_S, TimeUnit.SECONDS));
        assertEquals(2, server.exitValue());
        String err = Files.readString(dir.resolve("server.log"));
        assertTrue(err.contains("--config " + conf + ": unknown setting 'metrics-prot'"), err);
    }

    /** Runs the launcher to its end; @return {exit code, stdout, stderr}. */
    private String[] run(String javaOpts, String... args) throws Exception {
        Process p = launcher(javaOpts, args);
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/xstunt-server " + String.join(" ", args) + " did not end");
        return new String[] {String.valueOf(p.exitValue()), out.get(BOUND_S, TimeUnit.SECONDS),
            Files.readString(dir.resolve("server.log"))};
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void theStartUpCacheIsMadeByTrainUsedWhenItFitsAndSkippedWithOneLineWhenNot() throws Exception {
        String without = "xstunt-server: starting without the start-up cache: ";
        String[] none = run(null, "--help");
        assertEquals("0", none[0], none[2]);
        assertEquals(1, count(none[2], without + "none was made (bin/xstunt-server --train makes it)"), none[2]);

        String[] trained = run(null, "--train");
        assertEquals("0", trained[0], trained[1] + trained[2] + "\ntraining log:\n"
                + (Files.exists(dir.resolve("cache/training.log")) ? Files.readString(dir.resolve("cache/training.log"))
                        : "none"));
        boolean aot = Runtime.version().feature() >= 25;
        Path cache = dir.resolve(aot ? "cache/xstunt-cli.aot" : "cache/xstunt-cli.jsa");
        assertTrue(Files.size(cache) > 0, "the cache: " + cache);
        assertTrue(trained[1].contains("start-up cache made with Java " + Runtime.version().feature()), trained[1]);

        // the JVM must use the cache or fail: AOTMode=on (Java 25), -Xshare:on (AppCDS)
        String[] used = run(aot ? "-XX:AOTMode=on" : "-Xshare:on", "--help");
        assertEquals("0", used[0], "the JVM could not use the cache: " + used[2]);
        assertEquals(0, count(used[2], without), used[2]);
        assertTrue(used[1].contains("Usage: xstunt server"), used[1]);

        // another JDK's cache: the stamp names another runtime version
        Path stamp = dir.resolve("cache/xstunt-cli.startup");
        String made = Files.readString(stamp);
        Files.writeString(stamp, made.replaceFirst("java\\.runtime\\.version=.*", "java.runtime.version=21.0.1+12"));
        String[] other = run(null, "--help");
        assertEquals("0", other[0], other[2]);
        assertEquals(1, count(other[2], without + "it was made by Java 21.0.1+12 at "), other[2]);

        // a stale cache: older than the program's jars
        Files.writeString(stamp, made);
        Files.setLastModifiedTime(cache, java.nio.file.attribute.FileTime.fromMillis(0));
        String[] stale = run(null, "--help");
        assertEquals("0", stale[0], stale[2]);
        assertEquals(1, count(stale[2], " is newer than the cache (bin/xstunt-server --train makes it again)"),
                stale[2]);

        String[] extra = run(null, "--train", "--log-port", "1");
        assertEquals("2", extra[0], extra[2]);
        assertTrue(extra[2].contains("--train takes no other argument"), extra[2]);
    }

    /**
     * The AppCDS path that Java 21-24 take (XSTUNT_CACHE_KIND=cds forces it on this Java; every
     * Java from 21 on has -XX:ArchiveClassesAtExit and -XX:SharedArchiveFile): --train writes the
     * archive and its stamp, and a start maps it: -Xshare:on makes the JVM fail if it cannot, and
     * the class-load log shows the CLI's main class coming from the archive (the dynamic archive
     * is the "top" layer), not from the jar.
     */
    @Test
    void theAppCdsArchiveIsMadeByTrainAndMappedAtStart() throws Exception {
        cacheKind = "cds";
        String[] trained = run(null, "--train");
        assertEquals("0", trained[0], trained[1] + trained[2] + "\ntraining log:\n"
                + (Files.exists(dir.resolve("cache/training.log")) ? Files.readString(dir.resolve("cache/training.log"))
                        : "none"));
        assertTrue(Files.size(dir.resolve("cache/xstunt-cli.jsa")) > 0);
        assertTrue(Files.readString(dir.resolve("cache/xstunt-cli.startup")).contains("kind=cds"));

        String[] used = run("-Xshare:on -Xlog:class+load=info", "--help");
        assertEquals("0", used[0], "the JVM could not map the archive: " + used[2]);
        assertEquals(0, count(used[2], "starting without the start-up cache"), used[2]);
        assertTrue(used[1].contains("Usage: xstunt server"), used[1]);
        assertTrue(used[1].contains("io.xstunt.cli.XstuntCli source: shared objects file (top)"),
                "the CLI's main class did not come from the archive:\n" + used[1].lines()
                        .filter(l -> l.contains("io.xstunt.cli.XstuntCli ")).toList());

        cacheKind = "jsa";
        String[] bad = run(null, "--help");
        assertEquals("2", bad[0], bad[2]);
        assertTrue(bad[2].contains("XSTUNT_CACHE_KIND is aot or cds, not 'jsa'"), bad[2]);
    }
}
