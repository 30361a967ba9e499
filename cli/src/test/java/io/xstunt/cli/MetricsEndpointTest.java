package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The server program's HTTP endpoint on loopback: /health up while the server runs and down
 * (503) once its loop no longer answers, /metrics in the Prometheus text format with the server's
 * meters, anything else than GET refused.
 */
class MetricsEndpointTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(BOUND).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIsUpWhileTheServerRunsAndDownOnceItsLoopIsGone() throws Exception {
        XstuntServer server = XstuntServer.start(ServerOptions.of("127.0.0.1", "127.0.0.2").logPort(0).commPort(0)
                .echoPort1(0).echoPort2(0));
        try (server; HttpClient http = HttpClient.newHttpClient();
             MetricsEndpoint endpoint = MetricsEndpoint.start(server, new InetSocketAddress("127.0.0.1", 0),
                     "in-memory")) {
            String base = "http://127.0.0.1:" + endpoint.address().getPort();
            HttpResponse<String> up = get(http, base + "/health");
            assertEquals(200, up.statusCode());
            assertTrue(up.body().startsWith("{\"status\":\"up\",\"loop\":\"responsive\","), up.body());
            assertEquals("application/json", up.headers().firstValue("Content-Type").orElse(""));

            HttpResponse<String> metrics = get(http, base + "/metrics");
            assertEquals(MetricsEndpoint.PROMETHEUS_TYPE, metrics.headers().firstValue("Content-Type").orElse(""));
            assertTrue(metrics.body().contains("# TYPE xstunt_server_sessions_total counter\n"), metrics.body());
            assertTrue(metrics.body().contains("xstunt_server_sessions_total{outcome=\"timed_out\",path=\"direct\"} 0.0\n"),
                    metrics.body());
            assertTrue(metrics.body().contains("xstunt_server_rejected_inputs_total{reason=\"source_limit\"} 0.0\n"));
            assertEquals(405, http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString()).statusCode());

            server.close(); // its loop too: nothing answers any more
            HttpResponse<String> down = get(http, base + "/health");
            assertEquals(503, down.statusCode(), down.body());
            assertTrue(down.body().startsWith("{\"status\":\"down\",\"loop\":\"not answering: "), down.body());
            assertTrue(down.body().contains("\"registry\":{\"kind\":\"in-memory\",\"reachable\":null}"), down.body());
        }
    }
}
