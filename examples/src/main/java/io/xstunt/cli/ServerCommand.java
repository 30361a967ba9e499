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
            "server-version", "session-timeout", "duration");
    /** Binding is quick; past this the loop is stuck. */
    private static final long START_WAIT_S = 10;

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
                .build();
        Duration duration = a.seconds("duration", null);
        EventLoop loop = EventLoop.open("xstunt-server").start();
        CountDownLatch stop = new CountDownLatch(1);
        Thread hook = new Thread(stop::countDown, "xstunt-server-stop");
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
