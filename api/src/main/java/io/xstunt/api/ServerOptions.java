package io.xstunt.api;

import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.wire.Ipv4;
import java.time.Duration;

/**
 * Everything a STUNT server is started with ({@link XstuntServer#start}): its two public IPv4
 * addresses and every port, bound, limit and timeout, with XSTUNT 1.0's defaults (log service on
 * {@code SERVER_LOG_PORT} 8123, communication service on {@code SERVER_COMM_PORT} 8132, echo
 * service on 8124 and 8125 of both IPs, client build {@code BUILDVER} 10). Port 0 binds any free
 * port (tests); the ports really bound are read from the running {@link XstuntServer}.
 * Every setter keeps the default until called; {@link XstuntServer#start} checks them all and
 * names the first invalid one ({@link IllegalArgumentException}).
 */
public final class ServerOptions {
    /** Default of {@link #sessionTimeout}. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = ServerConfig.DEFAULT_SESSION_TIMEOUT;
    /** Default of {@link #handshakeTimeout}. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = ServerConfig.DEFAULT_HANDSHAKE_TIMEOUT;
    /** Default of {@link #probeTimeout}. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = ServerConfig.DEFAULT_PROBE_TIMEOUT;
    /** Default of {@link #maxLogLine}. */
    public static final int DEFAULT_MAX_LOG_LINE = ServerConfig.DEFAULT_MAX_LOG_LINE;
    /** Default of {@link #maxRelayBacklog}. */
    public static final int DEFAULT_MAX_RELAY_BACKLOG = ServerConfig.DEFAULT_MAX_RELAY_BACKLOG;
    /** Default of {@link #backlog}. */
    public static final int DEFAULT_BACKLOG = ServerConfig.DEFAULT_BACKLOG;
    /** Default of {@link #maxClients}. */
    public static final int DEFAULT_MAX_CLIENTS = ServerConfig.DEFAULT_MAX_CLIENTS;
    /** Default of {@link #maxConnectionsPerSource}. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = ServerConfig.DEFAULT_MAX_CONNECTIONS_PER_SOURCE;
    /** Default of {@link #maxSessions}. */
    public static final int DEFAULT_MAX_SESSIONS = ServerConfig.DEFAULT_MAX_SESSIONS;
    /** Default of {@link #maxPendingAnnouncements}. */
    public static final int DEFAULT_MAX_PENDING_ANNOUNCEMENTS = ServerConfig.DEFAULT_MAX_PENDING_ANNOUNCEMENTS;
    /** Default of {@link #maxAnnouncementsPerSecond}. */
    public static final int DEFAULT_MAX_ANNOUNCEMENTS_PER_SECOND = ServerConfig.DEFAULT_MAX_ANNOUNCEMENTS_PER_SECOND;
    /** Default of {@link #idleTimeout}. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = ServerConfig.DEFAULT_IDLE_TIMEOUT;

    private final ServerConfig.Builder b;
    private io.xstunt.engine.server.RelayLimits relay = io.xstunt.engine.server.RelayLimits.DEFAULTS;

    private ServerOptions(ServerConfig.Builder b) {
        this.b = b;
    }

    /**
     * @param ip1 the server's first public IPv4 literal: log, comm, control and two echo services
     * @param ip2 the server's second public IPv4 literal: two echo services (must differ from ip1)
     * @return options with the reference's defaults
     * @throws IllegalArgumentException if either is not an IPv4 literal
     */
    public static ServerOptions of(String ip1, String ip2) {
        return new ServerOptions(ServerConfig.builder(Ipv4.parse(ip1), Ipv4.parse(ip2)));
    }

    /** @param port the log service's port ({@code SERVER_LOG_PORT}); 0 for any free one */
    public ServerOptions logPort(int port) {
        b.logPort(port);
        return this;
    }

    /** @param port the comm service's port ({@code SERVER_COMM_PORT}); 0 for any free one */
    public ServerOptions commPort(int port) {
        b.commPort(port);
        return this;
    }

    /** @param port the first echo port on both IPs; 0 for any free one */
    public ServerOptions echoPort1(int port) {
        b.echoPort1(port);
        return this;
    }

    /** @param port the second echo port on both IPs; 0 for any free one */
    public ServerOptions echoPort2(int port) {
        b.echoPort2(port);
        return this;
    }

    /** @param version the server version of the log greeting ({@code nServerVer}) */
    public ServerOptions serverVersion(int version) {
        b.serverVersion(version);
        return this;
    }

    /** @param build the client build the log greeting requires ({@code BUILDVER}) */
    public ServerOptions requiredBuild(int build) {
        b.requiredBuild(build);
        return this;
    }

    /** @param timeout bound of a rendezvous session */
    public ServerOptions sessionTimeout(Duration timeout) {
        b.sessionTimeout(timeout);
        return this;
    }

    /** @param timeout bound for a connection that must send something */
    public ServerOptions handshakeTimeout(Duration timeout) {
        b.handshakeTimeout(timeout);
        return this;
    }

    /** @param timeout how long a PROBE registration may hold its ID */
    public ServerOptions probeTimeout(Duration timeout) {
        b.probeTimeout(timeout);
        return this;
    }

    /** @param bytes the longest client log line */
    public ServerOptions maxLogLine(int bytes) {
        b.maxLogLine(bytes);
        return this;
    }

    /** @param bytes control-channel bytes buffered for a side not connected yet */
    public ServerOptions maxRelayBacklog(int bytes) {
        b.maxRelayBacklog(bytes);
        return this;
    }

    /** @param backlog the accept queue length of every listening socket */
    public ServerOptions backlog(int backlog) {
        b.backlog(backlog);
        return this;
    }

    /** @param n the most registered IDs */
    public ServerOptions maxClients(int n) {
        b.maxClients(n);
        return this;
    }

    /** @param n the most connections held from one source IP */
    public ServerOptions maxConnectionsPerSource(int n) {
        b.maxConnectionsPerSource(n);
        return this;
    }

    /** @param n the most rendezvous sessions in flight */
    public ServerOptions maxSessions(int n) {
        b.maxSessions(n);
        return this;
    }

    /** @param n the most unwritten announcements per log connection */
    public ServerOptions maxPendingAnnouncements(int n) {
        b.maxPendingAnnouncements(n);
        return this;
    }

    /** @param n the most sessions announced to one client a second */
    public ServerOptions maxAnnouncementsPerSecond(int n) {
        b.maxAnnouncementsPerSecond(n);
        return this;
    }

    /** @param timeout silence allowed to a registered client that keeps alive */
    public ServerOptions idleTimeout(Duration timeout) {
        b.idleTimeout(timeout);
        return this;
    }

    /** @param timeout silence allowed to an original client; {@link Duration#ZERO}: none */
    public ServerOptions originalIdleTimeout(Duration timeout) {
        b.originalIdleTimeout(timeout);
        return this;
    }

    /** @param secret the shared secret registering clients must prove; null: none */
    public ServerOptions sharedSecret(byte[] secret) {
        b.sharedSecret(secret);
        return this;
    }

    /** @param strict whether MSG_CONNECT and MSG_DEREGISTER must carry the holder token */
    public ServerOptions requireTokens(boolean strict) {
        b.requireTokens(strict);
        return this;
    }

    /**
     * @param on whether the server relays pairs of xstunt clients that cannot punch (default on;
     *     original clients are never relayed)
     */
    public ServerOptions relay(boolean on) {
        relay = relay.withEnabled(on);
        b.relay(relay);
        return this;
    }

    /**
     * The relay's limits (docs/RELIABILITY.md, "Relay"). Defaults: 8 GiB each way, 24 h, 16 MiB/s
     * each way, 1000 relayed connections, 16 per client.
     *
     * @param maxBytesPerDirection bytes one relayed connection carries each way; 0: none
     * @param maxDuration how long one lasts; {@link Duration#ZERO}: no limit
     * @param bytesPerSecond its rate each way; 0: none
     * @param maxRelays relayed connections at once
     * @param maxRelaysPerClient relayed connections at once that one client takes part in
     * @throws IllegalArgumentException naming the first invalid value
     */
    public ServerOptions relayLimits(long maxBytesPerDirection, Duration maxDuration, int bytesPerSecond,
                                     int maxRelays, int maxRelaysPerClient) {
        relay = new io.xstunt.engine.server.RelayLimits(relay.enabled(), maxBytesPerDirection, maxDuration,
                bytesPerSecond, maxRelays, maxRelaysPerClient);
        b.relay(relay);
        return this;
    }

    /** @return the engine's configuration (checked) */
    ServerConfig config() {
        return b.build();
    }
}
