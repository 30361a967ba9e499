package io.xstunt.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.xstunt.api.ServerMeterBinder;
import io.xstunt.api.ServerMetrics;
import io.xstunt.api.XstuntServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server program's HTTP endpoint for operators (JDK's {@code com.sun.net.httpserver}, one
 * thread of its own, never the server's loop): {@code GET /metrics}, the Prometheus scrape of
 * the server's counts ({@link ServerMeterBinder}) and the JVM's; {@code GET /health}, a JSON
 * status. The counts are read when scraped: the server's loop does the same work with the
 * endpoint as without, except answering the gauges' questions (a few per scrape).
 */
final class MetricsEndpoint implements AutoCloseable {
    /** The Prometheus text format's content type (version 0.0.4, what every scraper reads). */
    static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
    /** How long close waits for a request being answered. */
    private static final int STOP_DELAY_S = 1;

    private final HttpServer http;
    private final ExecutorService thread;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final ServerMetrics metrics;
    private final String registryKind;
    private final long startedNs = System.nanoTime();

    private MetricsEndpoint(HttpServer http, ExecutorService thread, PrometheusMeterRegistry registry, JvmGcMetrics gc,
                            ServerMetrics metrics, String registryKind) {
        this.http = http;
        this.thread = thread;
        this.registry = registry;
        this.gc = gc;
        this.metrics = metrics;
        this.registryKind = registryKind;
    }

    /**
     * Binds {@code address} and serves {@code /metrics} and {@code /health} for {@code server}.
     *
     * @param registryKind what the registry is, as /health names it: "in-memory", or the shared registry's URI scheme ("redis")
     * @throws IOException if the address cannot be bound
     */
    static MetricsEndpoint start(XstuntServer server, InetSocketAddress address, String registryKind)
            throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ServerMeterBinder(server).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        HttpServer http;
        try {
            http = HttpServer.create(address, 16);
        } catch (IOException e) {
            gc.close();
            registry.close();
            throw new IOException("cannot bind the metrics endpoint on " + address + ": " + e.getMessage(), e);
        }
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xstunt-metrics-http");
            t.setDaemon(true);
            return t;
        });
        MetricsEndpoint endpoint = new MetricsEndpoint(http, thread, registry, gc, server.metrics(), registryKind);
        http.createContext("/metrics", endpoint::metrics);
        http.createContext("/health", endpoint::health);
        http.setExecutor(thread);
        http.start();
        LOG.info("metrics endpoint on http://{}:{}/metrics and /health", http.getAddress().getAddress()
                .getHostAddress(), http.getAddress().getPort());
        return endpoint;
    }

    /** @return where it listens (the real port if 0 was asked) */
    InetSocketAddress address() {
        return http.getAddress();
    }

    private void metrics(HttpExchange x) throws IOException {
        if (!get(x)) {
            return;
        }
        respond(x, 200, PROMETHEUS_TYPE, registry.scrape());
    }

    /**
     * {@code {"status":"up"|"degraded"|"down", "loop":..., "registry":{"kind":..,"reachable":..}, ...}}:
     * down (503) when the server's loop does not answer, degraded (200: it still serves its own
     * clients) when the registry's store is unreachable, else up.
     */
    private void health(HttpExchange x) throws IOException {
        if (!get(x)) {
            return;
        }
        Json registryJson = Json.object().put("kind", registryKind);
        Json j = Json.object();
        int status;
        try {
            boolean reachable = metrics.registryReachable();
            registryJson.put("reachable", reachable);
            j.put("status", reachable ? "up" : "degraded").put("loop", "responsive").put("registry", registryJson)
                    .put("clients", metrics.clients()).put("sessionsInFlight", metrics.sessionsInFlight())
                    .put("relaysInFlight", metrics.relaysInFlight());
            status = 200;
        } catch (RuntimeException e) {
            // the loop did not answer within its bound (IllegalStateException) or is closed
            // (RejectedExecutionException): nothing is served
            registryJson.put("reachable", null);
            j.put("status", "down").put("loop", "not answering: " + e).put("registry", registryJson);
            status = 503;
        }
        j.put("uptimeSeconds", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNs));
        respond(x, status, "application/json", j.toString());
    }

    /** @return true for a GET; anything else is answered 405 */
    private static boolean get(HttpExchange x) throws IOException {
        if ("GET".equals(x.getRequestMethod()) || "HEAD".equals(x.getRequestMethod())) {
            return true;
        }
        x.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(x, 405, "text/plain; charset=utf-8", "only GET\n");
        return false;
    }

    private static void respond(HttpExchange x, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = "HEAD".equals(x.getRequestMethod());
        x.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    /** Stops serving (a request being answered gets a second), then releases the registry. */
    @Override
    public void close() {
        http.stop(STOP_DELAY_S);
        thread.shutdownNow();
        gc.close();
        registry.close();
    }
}
