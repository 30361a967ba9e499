package io.xstunt.bench.load;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.xstunt.api.ServerMeterBinder;
import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntServer;
import io.xstunt.engine.server.RelayLimits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The server side of the load test, in its own JVM so that its heap holds nothing but the
 * server: {@code stunt} runs an {@link XstuntServer} on 127.0.0.1 + 127.0.0.2 ({@code stunt-metrics}: the
 * same with its Prometheus binder, scraped every {@value #SCRAPE_MS_PROPERTY} milliseconds, a system property); {@code floor} runs a
 * {@link FloorServer} (a session's socket operations and nothing else); {@code baseline} runs a
 * minimal NIO accept-write-close loop (one Selector, 12 bytes written, closed). It prints
 * {@code READY <log port> <comm port>} and then answers commands on stdin, one per line:
 * {@code HEAP} (after full GCs: {@code HEAP <used bytes> <registered> <open connections>}),
 * {@code LOOPCPU} (the server loop thread's CPU so far: {@code LOOPCPU <ns>}) and {@code QUIT}.
 */
public final class ServerProcess {
    /** What the baseline writes before closing: as long as the log service's greeting. */
    static final int BASELINE_REPLY = 12;

    private ServerProcess() {
    }

    /** The system property of the {@code stunt-metrics} mode: milliseconds between two scrapes. */
    static final String SCRAPE_MS_PROPERTY = "xstunt.scrape.ms";
    /** The system property of the {@code stunt-redis} mode: the shared registry's URI. */
    static final String REDIS_URI_PROPERTY = "xstunt.redis.uri";
    /** The name of the server's loop thread (XstuntServer's own loop). */
    private static final String LOOP_THREAD = "xstunt-server";

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "stunt";
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        switch (mode) {
            case "baseline" -> runBaseline(in);
            case "floor" -> runFloor(in);
            case "stunt-metrics" -> runStunt(in, Long.getLong(SCRAPE_MS_PROPERTY, 1000), null);
            case "stunt-redis" -> runStunt(in, 0, System.getProperty(REDIS_URI_PROPERTY, ""));
            default -> runStunt(in, 0, null);
        }
    }

    /**
     * The server, through the public API as an operator's program runs it.
     *
     * @param scrapeMs 0: no metrics; else the Prometheus binder is bound and scraped this often
     *     (as the CLI's /metrics does it, without the HTTP)
     * @param registryUri null: the in-memory registry; else the shared registry's URI (redis://...)
     */
    private static void runStunt(BufferedReader in, long scrapeMs, String registryUri) throws Exception {
        if (registryUri != null && registryUri.isEmpty()) {
            throw new IllegalArgumentException("stunt-redis needs -D" + REDIS_URI_PROPERTY + "=redis://HOST:PORT");
        }
        XstuntServer server = XstuntServer.start(ServerOptions.of("127.0.0.1", "127.0.0.2")
                .logPort(0).commPort(0).echoPort1(0).echoPort2(0)
                .backlog(4096)
                // the capacity test is the point: lift the server's protective limits above the load
                .maxClients(1_000_000).maxConnectionsPerSource(1_000_000).maxSessions(100_000)
                .maxAnnouncementsPerSecond(1_000_000)
                .relayLimits(RelayLimits.DEFAULT_MAX_BYTES, RelayLimits.DEFAULT_MAX_DURATION,
                        RelayLimits.DEFAULT_BYTES_PER_SECOND, 1_000_000, RelayLimits.DEFAULT_MAX_RELAYS_PER_CLIENT)
                .registry(registryUri));
        if (registryUri != null) {
            java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
            server.onRegistryEvents(new io.xstunt.api.RegistryEvents() {
                @Override
                public void reachability(boolean reachable, String why) {
                    if (reachable) {
                        reached.countDown();
                    }
                }

                @Override
                public void command(long latencyNs, boolean failed) {
                }
            });
            if (!server.registryStatus().reachable() && !reached.await(15, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the registry at " + registryUri + " was not reachable within 15 s");
            }
            server.onRegistryEvents(null);
        }
        java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
        server.onSessionFinished(s -> {
            if (s.bytesFromInitiator() > 0 && s.bytesFromListener() > 0) {
                served.incrementAndGet();
            }
        });
        PrometheusMeterRegistry registry = null;
        Thread scraper = null;
        java.util.concurrent.atomic.AtomicLong scrapes = new java.util.concurrent.atomic.AtomicLong();
        if (scrapeMs > 0) {
            PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new ServerMeterBinder(server).bindTo(r);
            registry = r;
            scraper = Thread.ofPlatform().daemon().name("scraper").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        r.scrape();
                        scrapes.incrementAndGet();
                        Thread.sleep(scrapeMs); // the scrape interval, not a synchronisation
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        serve(in, server.logAddress().getPort(), server.commAddress().getPort(),
                () -> server.registeredCount() + " " + server.openConnections() + " " + server.refusals()
                        + " " + served.get());
        if (scraper != null) {
            scraper.interrupt();
            System.err.println("stunt-metrics: " + scrapes.get() + " scrapes");
            registry.close();
        }
        server.close();
    }

    private static void runFloor(BufferedReader in) throws IOException {
        try (FloorServer floor = new FloorServer("127.0.0.1", "127.0.0.2", 4096)) {
            serve(in, floor.logPort(), floor.commPort(),
                    () -> floor.registered() + " " + floor.openConnections() + " " + floor.errors() + " "
                            + floor.served());
        }
    }

    /**
     * Says {@code READY port1 port2}, then answers the generator's commands until QUIT or the end
     * of stdin: {@code HEAP} with the used heap after full GCs and {@code counts} (registered, open
     * connections, refused inputs, sessions served: both sides' control bytes relayed),
     * {@code HISTO rows} with the class histogram.
     */
    private static void serve(BufferedReader in, int port1, int port2, java.util.function.Supplier<String> counts)
            throws IOException {
        System.out.println("READY " + port1 + " " + port2);
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("HEAP")) {
                long used = usedHeapAfterGc();
                System.out.println("HEAP " + used + " " + counts.get());
                System.out.flush();
            } else if (line.startsWith("HISTO")) {
                System.out.print(histogram(Integer.parseInt(line.substring(6).trim())));
                System.out.println("HISTO done");
                System.out.flush();
            } else if (line.equals("LOOPCPU")) {
                System.out.println("LOOPCPU " + loopCpuNs());
                System.out.flush();
            } else if (line.equals("QUIT")) {
                break;
            }
        }
    }

    /**
     * @return the CPU time of the server's event-loop thread ({@code xstunt-server}) so far, in
     *     nanoseconds, or -1 where there is none (floor, baseline): the loop's own cost, without
     *     the JIT, the GC or a scraper thread of the same process
     */
    static long loopCpuNs() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (java.lang.management.ThreadInfo t : threads.dumpAllThreads(false, false)) {
            if (t != null && t.getThreadName().equals(LOOP_THREAD)) {
                return threads.getThreadCpuTime(t.getThreadId());
            }
        }
        return -1;
    }

    /** Used heap after full collections, settled: the smallest of three readings. */
    static long usedHeapAfterGc() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            min = Math.min(min, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return min;
    }

    /**
     * The heap's class histogram (live objects, after a full GC), first {@code rows} classes, as
     * {@code jcmd GC.class_histogram} prints it: what the bytes per registered client are made of.
     */
    static String histogram(int rows) {
        try {
            javax.management.ObjectName name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
            String h = (String) ManagementFactory.getPlatformMBeanServer().invoke(name, "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            StringBuilder b = new StringBuilder();
            String[] lines = h.split("\n");
            for (int i = 0; i < Math.min(lines.length, rows + 2); i++) {
                b.append("histo ").append(lines[i]).append('\n');
            }
            return b.toString();
        } catch (javax.management.JMException e) {
            return "histo unavailable: " + e + "\n";
        }
    }

    /** Accept, write {@link #BASELINE_REPLY} bytes, close: the least a TCP server can do. */
    private static void runBaseline(BufferedReader in) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        ByteBuffer reply = ByteBuffer.allocateDirect(BASELINE_REPLY);
        Thread loop = Thread.ofPlatform().daemon().name("baseline-loop").start(() -> {
            try {
                while (selector.isOpen()) {
                    selector.select(k -> {
                        SocketChannel c;
                        try {
                            while ((c = server.accept()) != null) {
                                try (SocketChannel ch = c) {
                                    ch.write(reply.clear());
                                }
                            }
                        } catch (IOException e) {
                            System.err.println("baseline: " + e);
                        }
                    });
                }
            } catch (IOException | java.nio.channels.ClosedSelectorException e) {
                // closed
            }
        });
        serve(in, ((InetSocketAddress) server.getLocalAddress()).getPort(), 0, () -> "0 0 0 0");
        selector.close();
        server.close();
        try {
            loop.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
