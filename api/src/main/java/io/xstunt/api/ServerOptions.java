package io.xstunt.api;

import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
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
    /** Default of {@link #variantWait}. */
    public static final Duration DEFAULT_VARIANT_WAIT = ServerConfig.DEFAULT_VARIANT_WAIT;

    private final ServerConfig.Builder b;
    private io.xstunt.engine.server.RelayLimits relay = io.xstunt.engine.server.RelayLimits.DEFAULTS;

    private java.net.URI registry;

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

    /**
     * @param ip1 the server's first public IPv4: log, comm, control and two echo services
     * @param ip2 the server's second public IPv4: two echo services (must differ from ip1)
     * @return options with the reference's defaults
     */
    public static ServerOptions of(Inet4Address ip1, Inet4Address ip2) {
        return new ServerOptions(ServerConfig.builder(ip1, ip2));
    }

    /**
     * Checks every option together, as {@link XstuntServer#start} will.
     *
     * @return these options
     * @throws IllegalArgumentException naming the first invalid option
     */
    public ServerOptions check() {
        b.build();
        return this;
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

    /**
     * An xstunt extension (XSTUNT 1.0's server listens on IPv4 only): the log, comm and control
     * services listen on this IPv6 address too, the same ports as on IP1, so that a client with
     * IPv6 only can register. Such a client is known by a key of 240.0.0.0/4 where the original
     * uses its public IPv4 (docs/PROTOCOL.md, "IPv6").
     *
     * @param address a unicast IPv6 address of this host; null (the default): IPv4 only. The any
     *     address {@code ::} is refused by {@link #check()} (it would take the IPv4 ports too)
     */
    public ServerOptions listen6(java.net.Inet6Address address) {
        b.listen6(address);
        return this;
    }

    /** @param strict whether MSG_CONNECT and MSG_DEREGISTER must carry the holder token */
    public ServerOptions requireTokens(boolean strict) {
        b.requireTokens(strict);
        return this;
    }

    /**
     * @param wait how long the log and comm services wait for the byte that tells a request of the
     *     reference's wire variant (MAX_ID_LEN 32) from one of the published XSTUNT client's (31);
     *     only requests of the published client's variant wait it (docs/PROTOCOL.md, "Wire variants")
     */
    public ServerOptions variantWait(Duration wait) {
        b.variantWait(wait);
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

    /**
     * The registry of the registered clients: null (the default) keeps them in this server's
     * memory; {@code redis://[PASSWORD@]HOST:PORT[/DB][?lease-ms=N&timeout-ms=N&prefix=P]} shares
     * them with every server that names the same Redis (module {@code xstunt-registry-redis} on
     * the class path; {@code redis-sentinel://HOST:PORT,...[?...]#MASTER} follows a Sentinel's
     * primary, {@code redis-cluster://HOST:PORT,...[?...]} uses a Redis Cluster): an ID is unique across them, a client of one reaches a client of another,
     * and a client whose server died registers on another (README, "Several servers").
     *
     * @param uri the registry's URI, or null for in memory
     * @throws IllegalArgumentException if it is not a URI with a scheme and host, no backend on the
     *     class path serves its scheme, or the backend refuses it (an unknown parameter, ...)
     */
    public ServerOptions registry(String uri) {
        if (uri == null) {
            registry = null;
            return this;
        }
        java.net.URI u;
        try {
            u = new java.net.URI(uri);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("registry: not a URI: " + e.getMessage(), e);
        }
        // the authority, not the host: a Sentinel's or a Cluster's URI names several hosts
        // (HOST:PORT,HOST:PORT), which URI keeps as an authority without a host; the backend parses it
        if (u.getScheme() == null || u.getRawAuthority() == null) {
            throw new IllegalArgumentException("registry: expected SCHEME://HOST:PORT (redis://HOST:PORT), got " + uri);
        }
        io.xstunt.engine.registry.Registries.check(u);
        registry = u;
        return this;
    }

    /** @return the registry's URI ({@link #registry(String)}), or null for in memory */
    public String registry() {
        return registry == null ? null : registry.toString();
    }

    /** @return the registry's URI, or null (within the API) */
    java.net.URI registryUri() {
        return registry;
    }

    /** @return whether the server relays pairs of xstunt clients that cannot punch */
    public boolean relayEnabled() {
        return relay.enabled();
    }

    // ---- what the options say (each read checks all of them together, as {@link #check()} does)

    /** @return the server's first public IPv4: log, comm, control and two echo services */
    public Inet4Address ip1() {
        return b.build().ip1();
    }

    /** @return the server's second public IPv4: two echo services */
    public Inet4Address ip2() {
        return b.build().ip2();
    }

    /** @return the log (registration) service's port ({@code SERVER_LOG_PORT}, 8123) */
    public int logPort() {
        return b.build().logPort();
    }

    /** @return the communication service's port ({@code SERVER_COMM_PORT}, 8132) */
    public int commPort() {
        return b.build().commPort();
    }

    /** @return the first echo port, on both IPs (ServerInfo {@code wPort1}) */
    public int echoPort1() {
        return b.build().echoPort1();
    }

    /** @return the second echo port, on both IPs (ServerInfo {@code wPort2}) */
    public int echoPort2() {
        return b.build().echoPort2();
    }

    /** @return the version sent in the log greeting ({@code nServerVer}) */
    public int serverVersion() {
        return b.build().serverVersion();
    }

    /** @return the client build the log greeting requires ({@code BUILDVER}, 10) */
    public int requiredBuild() {
        return b.build().requiredBuild();
    }

    /** @return bound of one rendezvous session, from MSG_CONNECT to the end of the relay */
    public Duration sessionTimeout() {
        return b.build().sessionTimeout();
    }

    /** @return bound for a connection that must send something (ID field, state, * Msg) and for flushing a final answer */
    public Duration handshakeTimeout() {
        return b.build().handshakeTimeout();
    }

    /** @return how long a PROBE registration may hold its ID */
    public Duration probeTimeout() {
        return b.build().probeTimeout();
    }

    /** @return the longest client log line in bytes; a longer one closes that client */
    public int maxLogLine() {
        return b.build().maxLogLine();
    }

    /** @return bytes buffered on the control channel for a side that is not connected yet */
    public int maxRelayBacklog() {
        return b.build().maxRelayBacklog();
    }

    /** @return the accept queue length of every listening socket */
    public int backlog() {
        return b.build().backlog();
    }

    /** @return the most registered IDs; a registration beyond is refused (empty ServerInfo) */
    public int maxClients() {
        return b.build().maxClients();
    }

    /** @return the most connections the server holds from one source IP, all * services together; one more is closed at once */
    public int maxConnectionsPerSource() {
        return b.build().maxConnectionsPerSource();
    }

    /** @return the most rendezvous sessions in flight; a MSG_CONNECT beyond is answered -1 */
    public int maxSessions() {
        return b.build().maxSessions();
    }

    /** @return the most session announcements a log connection may have * unwritten (its client does not read); a MSG_CONNECT that would add one more is answered -1 */
    public int maxPendingAnnouncements() {
        return b.build().maxPendingAnnouncements();
    }

    /** @return the most sessions announced to one client a second (a token * bucket of one second's worth); a MSG_CONNECT beyond is answered -1 */
    public int maxAnnouncementsPerSecond() {
        return b.build().maxAnnouncementsPerSecond();
    }

    /** @return how long a registered client that asked for the extensions may stay silent * on its log connection before its ID is freed; it is told to send a keepalive every third of it */
    public Duration idleTimeout() {
        return b.build().idleTimeout();
    }

    /** @return the same for original clients (which send no keepalive); * {@link Duration#ZERO}: none (the default: an original client may stay silent for ever) */
    public Duration originalIdleTimeout() {
        return b.build().originalIdleTimeout();
    }

    /** @return when not null, only clients that prove they know it may register (xstunt * extension; original clients are then refused); null: anyone may (the original behaviour) */
    public byte[] sharedSecret() {
        return b.build().sharedSecret();
    }

    /** @return strict mode: MSG_CONNECT and MSG_DEREGISTER must carry the holder token, * the public-IP rule alone is not enough (original clients can then only register and listen) */
    public boolean requireTokens() {
        return b.build().requireTokens();
    }

    /** @return how long a request of the published client's wire variant is waited on ({@link #variantWait}) */
    public Duration variantWait() {
        return b.build().variantWait();
    }

    /** @return the engine's configuration (checked) */
    ServerConfig config() {
        return b.build();
    }
}
