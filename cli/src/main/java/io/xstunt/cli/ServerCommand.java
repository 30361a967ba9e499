package io.xstunt.cli;

import io.xstunt.engine.ErrorCode;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** {@code xstunt server}: a STUNT server on its own event loop until Ctrl-C or {@code --duration}. */
@Command(name = "server",
        defaultValueProvider = ServerCommand.EngineDefaults.class,
        description = "Run a STUNT server until Ctrl-C (or --duration). Port 0 means any free port; the"
                + " server line says which it got.")
final class ServerCommand extends EventCommand {
    /** Binding is quick; past this the loop is stuck. */
    private static final long START_WAIT_S = 10;
    /** How long a SIGTERM waits for the server to close its clients. */
    private static final long SHUTDOWN_WAIT_S = 5;

    @Option(names = "--ip1", paramLabel = "IP", defaultValue = "127.0.0.1", converter = OptionTypes.Ipv4Literal.class,
            description = "The server's first IP (default: ${DEFAULT-VALUE}).")
    private Inet4Address ip1;

    @Option(names = "--ip2", paramLabel = "IP", defaultValue = "127.0.0.2", converter = OptionTypes.Ipv4Literal.class,
            description = "Its second IP, for the NAT probe (default: ${DEFAULT-VALUE}).")
    private Inet4Address ip2;

    @Option(names = "--log-port", paramLabel = "N", defaultValue = "" + Protocol.SERVER_LOG_PORT,
            converter = OptionTypes.PortOrAny.class,
            description = "The log (registration) port (default: ${DEFAULT-VALUE}).")
    private int logPort;

    @Option(names = "--comm-port", paramLabel = "N", defaultValue = "" + Protocol.SERVER_COMM_PORT,
            converter = OptionTypes.PortOrAny.class,
            description = "The communication port (default: ${DEFAULT-VALUE}).")
    private int commPort;

    @Option(names = "--echo-ports", paramLabel = "P1,P2",
            defaultValue = Protocol.DEFAULT_ECHO_PORT1 + "," + Protocol.DEFAULT_ECHO_PORT2,
            converter = OptionTypes.EchoPorts.class,
            description = "The two echo ports of the NAT probe (default: ${DEFAULT-VALUE}).")
    private OptionTypes.PortPair echoPorts;

    @Option(names = "--server-version", paramLabel = "N", defaultValue = "1", converter = OptionTypes.NonNegative.class,
            description = "The server version it announces (default: ${DEFAULT-VALUE}).")
    private int serverVersion;

    @Option(names = "--session-timeout", paramLabel = "SEC", converter = OptionTypes.Seconds.class,
            description = "The bound of one rendezvous session (default: ${DEFAULT-VALUE}).")
    private Duration sessionTimeout;

    @Option(names = "--idle-timeout", paramLabel = "SEC", converter = OptionTypes.Seconds.class,
            description = "The silence allowed to a client that keeps alive (default: ${DEFAULT-VALUE}).")
    private Duration idleTimeout;

    @Option(names = "--duration", paramLabel = "SEC", converter = OptionTypes.Seconds.class,
            description = "Stop after this long (default: run until Ctrl-C).")
    private Duration duration;

    @Option(names = "--secret-file", paramLabel = "FILE", converter = OptionTypes.SecretFile.class,
            description = "Admit only clients that prove this shared secret (8 to 1024 bytes; a trailing"
                    + " newline is dropped) (default: none).")
    private OptionTypes.SharedSecret secret;

    @Option(names = "--require-tokens",
            description = "Require the holder token to connect or deregister.")
    private boolean requireTokens;

    @Option(names = "--max-clients", paramLabel = "N", defaultValue = "" + ServerConfig.DEFAULT_MAX_CLIENTS,
            converter = OptionTypes.Positive.class,
            description = "The most registered clients (default: ${DEFAULT-VALUE}).")
    private int maxClients;

    @Option(names = "--max-per-source", paramLabel = "N",
            defaultValue = "" + ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_SOURCE, converter = OptionTypes.Positive.class,
            description = "The most connections from one source IP (default: ${DEFAULT-VALUE}).")
    private int maxPerSource;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "" + ServerConfig.DEFAULT_MAX_SESSIONS,
            converter = OptionTypes.Positive.class,
            description = "The most rendezvous sessions at once (default: ${DEFAULT-VALUE}).")
    private int maxSessions;

    /** The defaults that are durations in the engine's configuration, in seconds for the options. */
    static final class EngineDefaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option)) {
                return null;
            }
            return switch (option.longestName()) {
                case "--session-timeout" -> String.valueOf(ServerConfig.DEFAULT_SESSION_TIMEOUT.toSeconds());
                case "--idle-timeout" -> String.valueOf(ServerConfig.DEFAULT_IDLE_TIMEOUT.toSeconds());
                default -> null;
            };
        }
    }

    /**
     * @return the server's configuration from the options
     * @throws picocli.CommandLine.ParameterException a usage error when the options do not make a
     *     valid configuration together (the engine checks it: the same port twice, ip1 = ip2, ...)
     */
    ServerConfig config() {
        try {
            return ServerConfig.builder(ip1, ip2)
                    .logPort(logPort)
                    .commPort(commPort)
                    .echoPort1(echoPorts.first())
                    .echoPort2(echoPorts.second())
                    .serverVersion(serverVersion)
                    .sessionTimeout(sessionTimeout)
                    .maxClients(maxClients)
                    .maxConnectionsPerSource(maxPerSource)
                    .maxSessions(maxSessions)
                    .idleTimeout(idleTimeout)
                    .sharedSecret(secret == null ? null : secret.bytes())
                    .requireTokens(requireTokens)
                    .build();
        } catch (IllegalArgumentException e) {
            throw usageError("not a valid server configuration: " + e.getMessage());
        }
    }

    @Override
    int run(EventOutput o) throws XstuntException, InterruptedException {
        ServerConfig config = config();
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

    /** Starts the server and waits (bounded) for its services to be bound. */
    static StuntServer start(EventLoop loop, ServerConfig config) throws XstuntException, InterruptedException {
        try {
            return StuntServer.start(loop, config).get(START_WAIT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof XstuntException x) {
                throw x;
            }
            throw new XstuntException(ErrorCode.ERR_FAIL, 0, "server start failed: " + e.getCause(),
                    e.getCause());
        } catch (TimeoutException e) {
            throw new XstuntException(ErrorCode.ERR_TIMEOUT, 0,
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
