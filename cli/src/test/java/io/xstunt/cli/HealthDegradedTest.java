package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ServerOptions;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntServer;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.Prerequisite;
import io.xstunt.testkit.RedisServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /health and /metrics over HTTP while the shared registry's real Redis dies and returns: the
 * endpoint says {@code degraded} (HTTP 200) and counts the registry's errors and the outage; the
 * server goes on registering its own clients; when Redis is back (empty, as after a restart) the
 * endpoint says {@code up} again and Redis holds every registration once.
 */
class HealthDegradedTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(BOUND).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static double meter(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.E+-]+)$").matcher(metrics);
        assertTrue(m.find(), name + " not in /metrics:\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void healthIsDegradedWhileRedisIsDownAndUpAgainWithEveryRegistrationOnce() throws Exception {
        Prerequisite.redisServer();
        List<XstuntClient> clients = new ArrayList<>();
        try (RedisServer redis = RedisServer.start(dir.resolve("redis"))) {
            XstuntServer server = XstuntServer.start(ServerOptions.of("127.0.0.1", "127.0.0.2").logPort(0).commPort(0)
                    .echoPort1(0).echoPort2(0).registry(redis.uri(30_000)));
            try (server; HttpClient http = HttpClient.newHttpClient();
                 MetricsEndpoint endpoint = MetricsEndpoint.start(server, new InetSocketAddress("127.0.0.1", 0),
                         "redis")) {
                String base = "http://127.0.0.1:" + endpoint.address().getPort();
                Await.until("the registry reaching Redis", BOUND, () -> server.registryStatus().reachable());
                XstuntOptions.Builder options = XstuntOptions.builder().logPort(server.logAddress().getPort())
                        .commPort(server.commAddress().getPort());
                for (String id : List.of("alice", "bob")) {
                    clients.add(Xstunt.xInit("127.0.0.1", "127.0.0.2", id, options.localAddress("127.0.0.1")
                            .fingerprintFile(dir.resolve(id + ".dat")).build()));
                }
                HttpResponse<String> up = get(http, base + "/health");
                assertEquals(200, up.statusCode());
                assertTrue(up.body().startsWith("{\"status\":\"up\","), up.body());
                assertTrue(up.body().contains("\"registry\":{\"kind\":\"redis\",\"reachable\":true}"), up.body());
                double errorsBefore = meter(get(http, base + "/metrics").body(), "xstunt_server_registry_errors_total");

                redis.stop();
                Await.until("/health saying degraded", BOUND, () -> {
                    try {
                        return get(http, base + "/health").body().startsWith("{\"status\":\"degraded\",");
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                HttpResponse<String> degraded = get(http, base + "/health");
                assertEquals(200, degraded.statusCode(), "degraded still serves its own clients: " + degraded.body());
                assertTrue(degraded.body().contains("\"registry\":{\"kind\":\"redis\",\"reachable\":false}"),
                        degraded.body());
                // the server's PINGs to the dead Redis fail: the errors are counted while it is away
                Await.until("registry errors counted in /metrics", BOUND, () -> {
                    try {
                        return meter(get(http, base + "/metrics").body(), "xstunt_server_registry_errors_total")
                                > errorsBefore;
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                String during = get(http, base + "/metrics").body();
                assertEquals(0.0, meter(during, "xstunt_server_registry_up"));
                assertEquals(1.0, meter(during, "xstunt_server_registry_outages_total"));
                clients.add(Xstunt.xInit("127.0.0.1", "127.0.0.2", "carol", options.localAddress("127.0.0.1")
                        .fingerprintFile(dir.resolve("carol.dat")).build())); // its own clients still register

                redis.start(); // empty, as after a restart without persistence
                Await.until("/health saying up again", BOUND, () -> {
                    try {
                        return get(http, base + "/health").body().startsWith("{\"status\":\"up\",");
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                });
                String after = get(http, base + "/metrics").body();
                assertEquals(1.0, meter(after, "xstunt_server_registry_up"));
                assertEquals(3.0, meter(after, "xstunt_server_clients"));
                Set<String> keys = new TreeSet<>(Arrays.asList(redis.command("KEYS", "xstunt:id:*").split("\n")));
                assertEquals(new TreeSet<>(List.of("xstunt:id:alice", "xstunt:id:bob", "xstunt:id:carol")), keys,
                        "every registration written back, none lost, none twice");
            } finally {
                clients.forEach(XstuntClient::close);
            }
        }
    }
}
