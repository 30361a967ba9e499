package io.xstunt.cli;

import io.xstunt.engine.XstuntException;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Protocol;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code xstunt server}: a STUNT server on its own event loop until Ctrl-C or {@code --duration}. */
final class ServerCommand {
    static final Set<String> OPTIONS = Set.of("ip1", "ip2", "log-port", "comm-port", "echo-ports",
            "server-version", "session-timeout", "duration", "secret-file", "max-clients", "max-per-source",
            "max-sessions", "idle-timeout");
    /** The flags of {@code xstunt server}. */
    static final Set<String> FLAGS = Set.of("json", "require-tokens");
    /** Binding is quick; past this the loop is stuck. */
    private static final long START_WAIT_S = 10;
    /** How long a SIGTERM waits for the server to close its clients. */
    private static final long SHUTDOWN_WAIT_S = 5;

    private ServerCommand() {
    }

    static int run(CliArgs a, EventOutput o) throws UsageException, XstuntException, InterruptedException {
        Inet4Address ip1 = a.ip("ip1", "127.0.0.1");
        Inet4Address ip2 = a.ip("ip2", "127.0.0.2");
        if (ip1.equals(ip2)) {
            throw new UsageException("--ip1 and --ip2 must differ (the NAT probe compares them)");
        }
        int[] echo = a.portPair("echo-ports", Protocol.DEFAULT_ECHO_PORT1, Protocol.DEFAULT_ECHO_PORT2, 0);
        ServerConfig config = ServerConfig.builder(ip1, ip2)
                .logPort(a.intValue("log-port", Protocol.SERVER_LOG_PORT, 0, 65535))
                .commPort(a.intValue("comm-port", Protocol.SERVER_COMM_PORT, 0, 65535))
                .echoPort1(echo[0])
                .echoPort2(echo[1])
                .serverVersion(a.intValue("server-version", 1, 0, Integer.MAX_VALUE))
                .sessionTimeout(a.seconds("session-timeout", ServerConfig.DEFAULT_SESSION_TIMEOUT))
                .maxClients(a.intValue("max-clients", ServerConfig.DEFAULT_MAX_CLIENTS, 1, 10_000_000))
                .maxConnectionsPerSource(a.intValue("max-per-source", ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_SOURCE,
                        1, 1_000_000))
                .maxSessions(a.intValue("max-sessions", ServerConfig.DEFAULT_MAX_SESSIONS, 1, 1_000_000))
                .idleTimeout(a.seconds("idle-timeout", ServerConfig.DEFAULT_IDLE_TIMEOUT))
                .sharedSecret(secret(a))
                .requireTokens(a.flag("require-tokens"))
                .build();
        Duration duration = a.seconds("duration", null);
        EventLoop loop = EventLoop.open("xstunt-server").start();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: the JVM halts once its hooks return, so the hook waits (bounded) until the
        // server has closed every client connection cleanly (FIN, not a reset at process exit).
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(SHUTDOWN_WAIT_S, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "xstunt-server-stop");
        try {
            StuntServer server = start(loop, config);
            Runtime.getRuntime().addShutdownHook(hook);
            try (server) {
                // on the loop thread: the two counts are read there without waiting
                server.onSessionFinished(s -> o.session(s, server.sessionsInFlight(), server.registeredCount()));
                o.server(describe(server));
                o.info("serving; Ctrl-C to stop");
                if (duration != null) {
                    stop.await(duration.toNanos(), TimeUnit.NANOSECONDS);
                } else {
                    stop.await();
                }
            } finally {
                closed.countDown();
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook is running, nothing to remove
            }
            loop.close();
        }
        return 0;
    }

    /** The shared secret from {@code --secret-file} (its bytes, a trailing newline dropped), or null. */
    private static byte[] secret(CliArgs a) throws UsageException {
        java.nio.file.Path file = a.path("secret-file", null);
        if (file == null) {
            return null;
        }
        byte[] b;
        try {
            b = java.nio.file.Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new UsageException("--secret-file " + file + ": " + e.getMessage());
        }
        int n = b.length;
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r')) {
            n--;
        }
        if (n < 8) {
            throw new UsageException("--secret-file " + file + ": the secret must be at least 8 bytes");
        }
        return java.util.Arrays.copyOf(b, n);
    }

    /** Starts the server and waits (bounded) for its services to be bound. */
    static StuntServer start(EventLoop loop, ServerConfig config) throws XstuntException, InterruptedException {
        try {
            return StuntServer.start(loop, config).get(START_WAIT_S, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof XstuntException x) {
                throw x;
            }
            throw new XstuntException(io.xstunt.engine.ErrorCode.ERR_FAIL, 0, "server start failed: " + e.getCause(),
                    e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new XstuntException(io.xstunt.engine.ErrorCode.ERR_TIMEOUT, 0,
                    "server did not bind its services within " + START_WAIT_S + " s");
        }
    }

    /** @return the addresses and ports a running server serves on (the real ports if 0 was asked) */
    static Map<String, Object> describe(StuntServer s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ip1", s.config().ip1().getHostAddress());
        m.put("ip2", s.config().ip2().getHostAddress());
        m.put("logPort", s.logAddress().getPort());
        m.put("commPort", s.commAddress().getPort());
        m.put("echoPorts", List.of(s.echoPorts()[0], s.echoPorts()[1]));
        m.put("serverVersion", s.config().serverVersion());
        return m;
    }
}
