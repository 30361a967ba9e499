package io.xstunt.engine.server;

import io.xstunt.engine.wire.Protocol;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.Objects;

/**
 * Every address, port, bound and timeout of the STUNT server, with the reference's defaults
 * ({@code SERVER_LOG_PORT}, {@code SERVER_COMM_PORT}, {@code BUILDVER}). Build one with
 * {@link #builder(Inet4Address, Inet4Address)}.
 *
 * <p>Port 0 is allowed for every service (tests): the log and comm services then listen on an
 * ephemeral port of IP1; an echo port of 0 is bound ephemeral on IP1 and the same number is then
 * bound on IP2 (so the four echo endpoints stay IP1:P1, IP1:P2, IP2:P1, IP2:P2). The ports really
 * bound are read from {@link StuntServer}, and the ServerInfo announces the real echo ports.
 *
 * @param ip1 the server's first public IPv4: log, comm, control and two echo services
 * @param ip2 the server's second public IPv4: two echo services
 * @param logPort the log (registration) service's port ({@code SERVER_LOG_PORT}, 8123)
 * @param commPort the communication service's port ({@code SERVER_COMM_PORT}, 8132)
 * @param echoPort1 the first echo port, on both IPs (ServerInfo {@code wPort1})
 * @param echoPort2 the second echo port, on both IPs (ServerInfo {@code wPort2})
 * @param serverVersion the version sent in the log greeting ({@code nServerVer})
 * @param requiredBuild the client build the log greeting requires ({@code BUILDVER}, 10)
 * @param sessionTimeout bound of one rendezvous session, from MSG_CONNECT to the end of the relay
 * @param handshakeTimeout bound for a connection that must send something (ID field, state,
 *     Msg) and for flushing a final answer
 * @param probeTimeout how long a PROBE registration may hold its ID
 * @param maxLogLine the longest client log line in bytes; a longer one closes that client
 * @param maxRelayBacklog bytes buffered on the control channel for a side that is not connected yet
 * @param backlog the accept queue length of every listening socket
 * @param maxClients the most registered IDs; a registration beyond is refused (empty ServerInfo)
 * @param maxConnectionsPerSource the most connections the server holds from one source IP, all
 *     services together; one more is closed at once
 * @param maxSessions the most rendezvous sessions in flight; a MSG_CONNECT beyond is answered -1
 * @param maxPendingAnnouncements the most session announcements a log connection may have
 *     unwritten (its client does not read); a MSG_CONNECT that would add one more is answered -1
 * @param maxAnnouncementsPerSecond the most sessions announced to one client a second (a token
 *     bucket of one second's worth); a MSG_CONNECT beyond is answered -1
 * @param idleTimeout how long a registered client that asked for the extensions may stay silent
 *     on its log connection before its ID is freed; it is told to send a keepalive every third of it
 * @param originalIdleTimeout the same for original clients (which send no keepalive);
 *     {@link Duration#ZERO}: none (the default: an original client may stay silent for ever)
 * @param sharedSecret when not null, only clients that prove they know it may register (xstunt
 *     extension; original clients are then refused); null: anyone may (the original behaviour)
 * @param requireTokens strict mode: MSG_CONNECT and MSG_DEREGISTER must carry the holder token,
 *     the public-IP rule alone is not enough (original clients can then only register and listen)
 * @param variantWait how long the log and comm services wait for the byte that tells a request
 *     of the reference's wire variant (MAX_ID_LEN 32) from one of the published client's (31):
 *     the 33rd byte of an ID field, the 69th of a Msg; without it the request is the published
 *     client's (docs/PROTOCOL.md, "Wire variants"). Only a 31-variant request waits; it is bounded
 *     by the handshake timeout too.
 * @param listen6 an IPv6 address of the server on which the log, comm and control services listen
 *     too (the same ports as on IP1), or null: IPv4 only. A client that registers over it is known
 *     by a key of 240.0.0.0/4 ({@code SourceKeys}) and is not echo-probed (it has no NAT to learn)
 * @param relay whether and within which limits the server relays pairs that cannot punch (relay
 *     extension, between extension clients only)
 */
public record ServerConfig(Inet4Address ip1, Inet4Address ip2, int logPort, int commPort, int echoPort1,
                           int echoPort2, int serverVersion, int requiredBuild, Duration sessionTimeout,
                           Duration handshakeTimeout, Duration probeTimeout, int maxLogLine, int maxRelayBacklog,
                           int backlog, int maxClients, int maxConnectionsPerSource, int maxSessions,
                           int maxPendingAnnouncements, int maxAnnouncementsPerSecond, Duration idleTimeout,
                           Duration originalIdleTimeout, byte[] sharedSecret, boolean requireTokens,
                           Duration variantWait, RelayLimits relay, Inet6Address listen6) {
    /** Default {@link #sessionTimeout()}. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(30);
    /** Default {@link #handshakeTimeout()}. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Default {@link #probeTimeout()}: generous for PROBE_RETRY_TIMES rounds of echo probes. */
    public static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(60);
    /** Default {@link #maxLogLine()}. */
    public static final int DEFAULT_MAX_LOG_LINE = 1024;
    /** Default {@link #maxRelayBacklog()}: far above the few frames a handshake sends. */
    public static final int DEFAULT_MAX_RELAY_BACKLOG = 4096;
    /** Default {@link #backlog()}. */
    public static final int DEFAULT_BACKLOG = 128;
    /** Default {@link #maxClients()}. */
    public static final int DEFAULT_MAX_CLIENTS = 10_000;
    /** Default {@link #maxConnectionsPerSource()}: room for many clients behind one NAT. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 256;
    /** Default {@link #maxSessions()}. */
    public static final int DEFAULT_MAX_SESSIONS = 1_000;
    /** Default {@link #maxPendingAnnouncements()}. */
    public static final int DEFAULT_MAX_PENDING_ANNOUNCEMENTS = 4;
    /** Default {@link #maxAnnouncementsPerSecond()}. */
    public static final int DEFAULT_MAX_ANNOUNCEMENTS_PER_SECOND = 50;
    /**
     * Default {@link #variantWait()}: a 32-variant client writes its ID field and its Msg with one
     * send() each, so their last byte comes with the others; the wait only covers a client that
     * splits them, whose next piece follows within a round trip.
     */
    public static final Duration DEFAULT_VARIANT_WAIT = Duration.ofMillis(200);
    /** Default {@link #idleTimeout()}: keepalives every 20 s. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Smallest {@link #maxLogLine()}: room for the timestamp, file and line prefix. */
    public static final int MIN_LOG_LINE = 64;
    /** Largest {@link #maxLogLine()}. */
    public static final int MAX_LOG_LINE = 64 * 1024;
    private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    /** Checks every field; the message names the field and the value. */
    public ServerConfig {
        Objects.requireNonNull(ip1, "ip1");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(ip2, "ip2");
        if (ip1.equals(ip2)) {
            throw new IllegalArgumentException("ip1 and ip2 must differ (NAT probing compares mappings"
                    + " to both), got " + ip1.getHostAddress() + " twice");
        }
        if (listen6 != null && (listen6.isAnyLocalAddress() || listen6.isMulticastAddress())) {
            throw new IllegalArgumentException("listen6 must be a concrete unicast IPv6 address of this host, not "
                    + listen6.getHostAddress() + " (a [::] socket would take the IPv4 ports too)");
        }
        if (ip1.isAnyLocalAddress() || ip2.isAnyLocalAddress()) {
            throw new IllegalArgumentException("ip1 and ip2 must be concrete addresses, not 0.0.0.0:"
                    + " clients are told them in ServerInfo");
        }
        checkPort(logPort, "logPort");
        checkPort(commPort, "commPort");
        checkPort(echoPort1, "echoPort1");
        checkPort(echoPort2, "echoPort2");
        checkDistinct(logPort, "logPort", commPort, "commPort");
        checkDistinct(logPort, "logPort", echoPort1, "echoPort1");
        checkDistinct(logPort, "logPort", echoPort2, "echoPort2");
        checkDistinct(commPort, "commPort", echoPort1, "echoPort1");
        checkDistinct(commPort, "commPort", echoPort2, "echoPort2");
        checkDistinct(echoPort1, "echoPort1", echoPort2, "echoPort2");
        if (serverVersion < 0) {
            throw new IllegalArgumentException("serverVersion must be >= 0, got " + serverVersion);
        }
        if (requiredBuild < 1) {
            throw new IllegalArgumentException("requiredBuild must be >= 1, got " + requiredBuild);
        }
        checkTimeout(sessionTimeout, "sessionTimeout");
        checkTimeout(handshakeTimeout, "handshakeTimeout");
        checkTimeout(probeTimeout, "probeTimeout");
        if (maxLogLine < MIN_LOG_LINE || maxLogLine > MAX_LOG_LINE) {
            throw new IllegalArgumentException("maxLogLine must be " + MIN_LOG_LINE + ".." + MAX_LOG_LINE
                    + " bytes, got " + maxLogLine);
        }
        if (maxRelayBacklog < Protocol.CONTROL_HEADER_LEN + Protocol.CONTROL_MAX_PAYLOAD
                || maxRelayBacklog > 1 << 20) {
            throw new IllegalArgumentException("maxRelayBacklog must be "
                    + (Protocol.CONTROL_HEADER_LEN + Protocol.CONTROL_MAX_PAYLOAD) + ".." + (1 << 20)
                    + " bytes (at least one control frame), got " + maxRelayBacklog);
        }
        if (backlog < 1 || backlog > 65535) {
            throw new IllegalArgumentException("backlog must be 1..65535, got " + backlog);
        }
        checkRange(maxClients, 1, 10_000_000, "maxClients");
        checkRange(maxConnectionsPerSource, 1, 1_000_000, "maxConnectionsPerSource");
        checkRange(maxSessions, 1, 1_000_000, "maxSessions");
        checkRange(maxPendingAnnouncements, 1, 1024, "maxPendingAnnouncements");
        checkRange(maxAnnouncementsPerSecond, 1, 1_000_000, "maxAnnouncementsPerSecond");
        checkTimeout(idleTimeout, "idleTimeout");
        if (idleTimeout.compareTo(Duration.ofSeconds(3)) < 0 || idleTimeout.toSeconds() / 3 > 65535) {
            throw new IllegalArgumentException("idleTimeout must be 3 s..." + 3 * 65535L
                    + " s (a third of it is announced in whole seconds), got " + idleTimeout);
        }
        if (!Duration.ZERO.equals(originalIdleTimeout)) {
            checkTimeout(originalIdleTimeout, "originalIdleTimeout (or Duration.ZERO: none)");
        }
        checkTimeout(variantWait, "variantWait");
        if (sharedSecret != null) {
            if (sharedSecret.length < 8 || sharedSecret.length > 1024) {
                throw new IllegalArgumentException("sharedSecret must be 8..1024 bytes, got " + sharedSecret.length);
            }
            sharedSecret = sharedSecret.clone();
        }
    }

    /** @return a copy of the shared secret, or null if none */
    @Override
    public byte[] sharedSecret() {
        return sharedSecret == null ? null : sharedSecret.clone();
    }

    /** @return the keepalive interval announced to clients: a third of {@link #idleTimeout()}, in seconds */
    public int keepaliveSeconds() {
        return (int) (idleTimeout.toSeconds() / 3);
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "ServerConfig[" + ip1.getHostAddress() + "/" + ip2.getHostAddress() + ", log " + logPort + ", comm "
                + commPort + ", echo " + echoPort1 + "/" + echoPort2 + ", maxClients " + maxClients
                + ", maxConnectionsPerSource " + maxConnectionsPerSource + ", maxSessions " + maxSessions
                + (listen6 == null ? "" : ", listen6 " + listen6.getHostAddress())
                + ", secret " + (sharedSecret == null ? "off" : "on") + ", requireTokens " + requireTokens + ", " + relay + "]";
    }

    private static void checkRange(int v, int min, int max, String what) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", got " + v);
        }
    }

    private static void checkPort(int port, String what) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 0..65535 (0: any free port), got " + port);
        }
    }

    private static void checkDistinct(int a, String aName, int b, String bName) {
        if (a != 0 && a == b) {
            throw new IllegalArgumentException(aName + " and " + bName + " must differ, both are " + a);
        }
    }

    private static void checkTimeout(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(what + " must be a positive duration of at most "
                    + MAX_TIMEOUT + ", got " + d);
        }
    }

    /** @return a builder with the reference's defaults for a server on {@code ip1} and {@code ip2} */
    public static Builder builder(Inet4Address ip1, Inet4Address ip2) {
        return new Builder(ip1, ip2);
    }

    /** Builds a {@link ServerConfig}; every setter keeps the reference's default until called. */
    public static final class Builder {
        private final Inet4Address ip1;
        private final Inet4Address ip2;
        private int logPort = Protocol.SERVER_LOG_PORT;
        private int commPort = Protocol.SERVER_COMM_PORT;
        private int echoPort1 = Protocol.DEFAULT_ECHO_PORT1;
        private int echoPort2 = Protocol.DEFAULT_ECHO_PORT2;
        private int serverVersion = 1;
        private int requiredBuild = Protocol.BUILD_VERSION;
        private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration probeTimeout = DEFAULT_PROBE_TIMEOUT;
        private int maxLogLine = DEFAULT_MAX_LOG_LINE;
        private int maxRelayBacklog = DEFAULT_MAX_RELAY_BACKLOG;
        private int backlog = DEFAULT_BACKLOG;
        private int maxClients = DEFAULT_MAX_CLIENTS;
        private int maxConnectionsPerSource = DEFAULT_MAX_CONNECTIONS_PER_SOURCE;
        private int maxSessions = DEFAULT_MAX_SESSIONS;
        private int maxPendingAnnouncements = DEFAULT_MAX_PENDING_ANNOUNCEMENTS;
        private int maxAnnouncementsPerSecond = DEFAULT_MAX_ANNOUNCEMENTS_PER_SECOND;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration originalIdleTimeout = Duration.ZERO;
        private byte[] sharedSecret;
        private boolean requireTokens;
        private Duration variantWait = DEFAULT_VARIANT_WAIT;
        private RelayLimits relay = RelayLimits.DEFAULTS;
        private Inet6Address listen6;

        private Builder(Inet4Address ip1, Inet4Address ip2) {
            this.ip1 = ip1;
            this.ip2 = ip2;
        }

        /** @param port the log service's port ({@code SERVER_LOG_PORT}); 0 for any free one */
        public Builder logPort(int port) {
            this.logPort = port;
            return this;
        }

        /** @param port the comm service's port ({@code SERVER_COMM_PORT}); 0 for any free one */
        public Builder commPort(int port) {
            this.commPort = port;
            return this;
        }

        /** @param port the first echo port on both IPs; 0 for any free one */
        public Builder echoPort1(int port) {
            this.echoPort1 = port;
            return this;
        }

        /** @param port the second echo port on both IPs; 0 for any free one */
        public Builder echoPort2(int port) {
            this.echoPort2 = port;
            return this;
        }

        /** @param version the server version of the log greeting ({@code nServerVer}) */
        public Builder serverVersion(int version) {
            this.serverVersion = version;
            return this;
        }

        /** @param build the client build the log greeting requires ({@code BUILDVER}) */
        public Builder requiredBuild(int build) {
            this.requiredBuild = build;
            return this;
        }

        /** @param timeout bound of a rendezvous session */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = timeout;
            return this;
        }

        /** @param timeout bound for a connection that must send something */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        /** @param timeout how long a PROBE registration may hold its ID */
        public Builder probeTimeout(Duration timeout) {
            this.probeTimeout = timeout;
            return this;
        }

        /** @param bytes the longest client log line */
        public Builder maxLogLine(int bytes) {
            this.maxLogLine = bytes;
            return this;
        }

        /** @param bytes control-channel bytes buffered for a side not connected yet */
        public Builder maxRelayBacklog(int bytes) {
            this.maxRelayBacklog = bytes;
            return this;
        }

        /** @param backlog the accept queue length of every listening socket */
        public Builder backlog(int backlog) {
            this.backlog = backlog;
            return this;
        }

        /** @param n the most registered IDs */
        public Builder maxClients(int n) {
            this.maxClients = n;
            return this;
        }

        /** @param n the most connections held from one source IP */
        public Builder maxConnectionsPerSource(int n) {
            this.maxConnectionsPerSource = n;
            return this;
        }

        /** @param n the most rendezvous sessions in flight */
        public Builder maxSessions(int n) {
            this.maxSessions = n;
            return this;
        }

        /** @param n the most unwritten announcements per log connection */
        public Builder maxPendingAnnouncements(int n) {
            this.maxPendingAnnouncements = n;
            return this;
        }

        /** @param n the most sessions announced to one client a second */
        public Builder maxAnnouncementsPerSecond(int n) {
            this.maxAnnouncementsPerSecond = n;
            return this;
        }

        /** @param timeout silence allowed to a registered client that keeps alive */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /** @param timeout silence allowed to an original client; {@link Duration#ZERO}: none */
        public Builder originalIdleTimeout(Duration timeout) {
            this.originalIdleTimeout = timeout;
            return this;
        }

        /** @param secret the shared secret registering clients must prove; null: none */
        public Builder sharedSecret(byte[] secret) {
            this.sharedSecret = secret;
            return this;
        }

        /** @param strict whether MSG_CONNECT and MSG_DEREGISTER must carry the holder token */
        public Builder requireTokens(boolean strict) {
            this.requireTokens = strict;
            return this;
        }

        /**
         * @param address the IPv6 address on which the log, comm and control services listen too
         *     (null: none, the default)
         */
        public Builder listen6(Inet6Address address) {
            this.listen6 = address;
            return this;
        }

        /** @param limits whether and within which limits pairs that cannot punch are relayed */
        public Builder relay(RelayLimits limits) {
            this.relay = limits;
            return this;
        }

        /**
         * @param wait how long a request of the published client's wire variant (MAX_ID_LEN 31) is
         *     waited on for the byte that would make it the reference's (32); the handshake timeout
         *     bounds it too
         */
        public Builder variantWait(Duration wait) {
            this.variantWait = wait;
            return this;
        }

        /**
         * @return the configuration
         * @throws IllegalArgumentException naming the first invalid field
         */
        public ServerConfig build() {
            return new ServerConfig(ip1, ip2, logPort, commPort, echoPort1, echoPort2, serverVersion,
                    requiredBuild, sessionTimeout, handshakeTimeout, probeTimeout, maxLogLine, maxRelayBacklog,
                    backlog, maxClients, maxConnectionsPerSource, maxSessions, maxPendingAnnouncements,
                    maxAnnouncementsPerSecond, idleTimeout, originalIdleTimeout, sharedSecret, requireTokens,
                    variantWait, relay, listen6);
        }
    }
}
