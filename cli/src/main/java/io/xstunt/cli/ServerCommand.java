package io.xstunt.cli;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.Xstunt;
import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntServer;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code xstunt server}: a STUNT server on its own event loop until Ctrl-C or {@code --duration}. */
@Command(name = "server",
        defaultValueProvider = ServerCommand.EngineDefaults.class,
        description = "Run a STUNT server until Ctrl-C (or --duration). Port 0 means any free port; the"
                + " server line says which it got.")
final class ServerCommand extends EventCommand {
    /** How long a SIGTERM waits for the server to close its clients. */
    private static final long SHUTDOWN_WAIT_S = 5;

    @Option(names = "--ip1", paramLabel = "IP", defaultValue = "127.0.0.1", converter = OptionTypes.Ipv4Literal.class,
            description = "The server's first IP (default: ${DEFAULT-VALUE}).")
    private Inet4Address ip1;

    @Option(names = "--ip2", paramLabel = "IP", defaultValue = "127.0.0.2", converter = OptionTypes.Ipv4Literal.class,
            description = "Its second IP, for the NAT probe (default: ${DEFAULT-VALUE}).")
    private Inet4Address ip2;

    @Option(names = "--listen6", paramLabel = "IPV6", converter = OptionTypes.Ipv6Literal.class,
            description = "An IPv6 address of this host on which the log, comm and control services listen too"
                    + " (the same ports), for clients with IPv6 only (default: none; never ::).")
    private java.net.Inet6Address listen6;

    @Option(names = "--log-port", paramLabel = "N", defaultValue = "" + Xstunt.SERVER_LOG_PORT,
            converter = OptionTypes.PortOrAny.class,
            description = "The log (registration) port (default: ${DEFAULT-VALUE}).")
    private int logPort;

    @Option(names = "--comm-port", paramLabel = "N", defaultValue = "" + Xstunt.SERVER_COMM_PORT,
            converter = OptionTypes.PortOrAny.class,
            description = "The communication port (default: ${DEFAULT-VALUE}).")
    private int commPort;

    @Option(names = "--echo-ports", paramLabel = "P1,P2",
            defaultValue = Xstunt.DEFAULT_ECHO_PORT1 + "," + Xstunt.DEFAULT_ECHO_PORT2,
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

    @Option(names = "--max-clients", paramLabel = "N", defaultValue = "" + ServerOptions.DEFAULT_MAX_CLIENTS,
            converter = OptionTypes.Positive.class,
            description = "The most registered clients (default: ${DEFAULT-VALUE}).")
    private int maxClients;

    @Option(names = "--max-per-source", paramLabel = "N",
            defaultValue = "" + ServerOptions.DEFAULT_MAX_CONNECTIONS_PER_SOURCE, converter = OptionTypes.Positive.class,
            description = "The most connections from one source IP (default: ${DEFAULT-VALUE}).")
    private int maxPerSource;

    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "" + ServerOptions.DEFAULT_MAX_SESSIONS,
            converter = OptionTypes.Positive.class,
            description = "The most rendezvous sessions at once (default: ${DEFAULT-VALUE}).")
    private int maxSessions;

    @Option(names = "--registry", paramLabel = "URI",
            description = "Share the registered clients with other servers: redis://HOST:PORT,"
                    + " redis-sentinel://HOST:PORT,...#MASTER or redis-cluster://HOST:PORT,... (needs the"
                    + " xstunt-registry-redis module on the class path; README, \"Several servers\")"
                    + " (default: in this server's memory).")
    private String registry;

    @Option(names = "--no-relay", description = "Never relay: pairs that cannot punch fail as with XSTUNT 1.0.")
    private boolean noRelay;

    @Option(names = "--relay-max-bytes", paramLabel = "BYTES", defaultValue = "8589934592",
            description = "Bytes one relayed connection carries each way, 0: no limit (default: ${DEFAULT-VALUE}).")
    private long relayMaxBytes;

    @Option(names = "--relay-max-duration", paramLabel = "SEC", defaultValue = "86400",
            description = "How long one relayed connection lasts, 0: no limit (default: ${DEFAULT-VALUE}).")
    private long relayMaxDuration;

    @Option(names = "--relay-rate", paramLabel = "BYTES/S", defaultValue = "16777216",
            description = "The rate of one relayed connection each way, 0: no limit (default: ${DEFAULT-VALUE}).")
    private int relayRate;

    @Option(names = "--relay-max", paramLabel = "N", defaultValue = "1000", converter = OptionTypes.Positive.class,
            description = "Relayed connections at once (default: ${DEFAULT-VALUE}).")
    private int relayMax;

    @Option(names = "--relay-max-per-client", paramLabel = "N", defaultValue = "16",
            converter = OptionTypes.Positive.class,
            description = "Relayed connections at once that one client takes part in (default: ${DEFAULT-VALUE}).")
    private int relayMaxPerClient;

    @Option(names = "--metrics-port", paramLabel = "N", converter = OptionTypes.PortOrAny.class,
            description = "Serve GET /metrics (Prometheus) and /health (JSON) over HTTP on this port, 0: any free"
                    + " port (default: off).")
    private Integer metricsPort;

    @Option(names = "--metrics-address", paramLabel = "IP", defaultValue = "127.0.0.1",
            converter = OptionTypes.Ipv4Literal.class,
            description = "The address the metrics endpoint binds (default: ${DEFAULT-VALUE}, this host only;"
                    + " 0.0.0.0 for every interface).")
    private Inet4Address metricsAddress;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read settings from a properties file: each key an option's name without '--'"
                    + " (log-port=8123, require-tokens=true); options on the command line win (default: none).")
    private Path config;

    /** The defaults that are durations in the engine's configuration, in seconds for the options. */
    static final class EngineDefaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec option)) {
                return null;
            }
            return switch (option.longestName()) {
                case "--session-timeout" -> String.valueOf(ServerOptions.DEFAULT_SESSION_TIMEOUT.toSeconds());
                case "--idle-timeout" -> String.valueOf(ServerOptions.DEFAULT_IDLE_TIMEOUT.toSeconds());
                default -> null;
            };
        }
    }

    /** @return this command, its {@code --config} file's settings already applied (by {@link ServerConfigFile}) */
    ServerCommand configApplied() {
        config = null;
        return this;
    }

    /**
     * @return the server's options from the command's
     * @throws picocli.CommandLine.ParameterException a usage error when the options do not make a
     *     valid configuration together (the same port twice, ip1 = ip2, ...)
     */
    ServerOptions options() {
        try {
            return ServerOptions.of(ip1, ip2)
                    .logPort(logPort)
                    .commPort(commPort)
                    .listen6(listen6)
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
                    .relayLimits(relayMaxBytes, Duration.ofSeconds(relayMaxDuration), relayRate, relayMax,
                            relayMaxPerClient)
                    .relay(!noRelay)
                    .registry(registry)
                    .check();
        } catch (IllegalArgumentException e) {
            throw usageError("not a valid server configuration: " + e.getMessage());
        }
    }

    @Override
    int run(EventOutput o) throws XstuntException, InterruptedException {
        if (config != null) {
            ServerCommand fromFile = ServerConfigFile.read(config, spec);
            try {
                return fromFile.run(fromFile.json == json ? o : new EventOutput(fromFile.json, cli.out(), cli.err()));
            } catch (ParameterException e) {
                // a check across the settings: this command's usage, and where the settings came from
                throw usageError(e.getMessage() + " (with --config " + config + ")");
            }
        }
        ServerOptions options = options();
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
            XstuntServer server = XstuntServer.start(options);
            Runtime.getRuntime().addShutdownHook(hook);
            try (server; MetricsEndpoint metrics = metricsEndpoint(server)) {
                // on the loop thread: the two counts are read there without waiting
                server.onSessionFinished(s -> o.session(s, server.sessionsInFlight(), server.registeredCount()));
                Map<String, Object> up = describe(server);
                if (metrics != null) {
                    up.put("metrics", "http://" + metrics.address().getAddress().getHostAddress() + ":"
                            + metrics.address().getPort() + "/metrics");
                }
                o.server(up);
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
        }
        return 0;
    }

    /**
     * @return the metrics endpoint of {@code server} if {@code --metrics-port} asks for one, else null
     * @throws XstuntException ERR_BIND if its address cannot be bound (the server is then closed by the caller)
     */
    private MetricsEndpoint metricsEndpoint(XstuntServer server) throws XstuntException {
        if (metricsPort == null) {
            return null;
        }
        try {
            return MetricsEndpoint.start(server, new InetSocketAddress(metricsAddress, metricsPort),
                    registry == null ? "in-memory" : java.net.URI.create(registry).getScheme());
        } catch (java.io.IOException e) {
            throw new XstuntException(ErrorCode.ERR_BIND, 0, e.getMessage(), e);
        }
    }

    /** @return the addresses and ports a running server serves on (the real ports if 0 was asked) */
    static Map<String, Object> describe(XstuntServer s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ip1", s.ips()[0]);
        m.put("ip2", s.ips()[1]);
        m.put("logPort", s.logAddress().getPort());
        m.put("commPort", s.commAddress().getPort());
        if (s.logAddress6() != null) {
            m.put("listen6", s.logAddress6().getAddress().getHostAddress());
        }
        m.put("echoPorts", List.of(s.echoPorts()[0], s.echoPorts()[1]));
        m.put("serverVersion", s.serverVersion());
        return m;
    }
}
