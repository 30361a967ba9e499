package io.xstunt.engine.client;

import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a client reaches its STUNT server and behaves (the reference's XInit arguments and
 * client constants, made configurable). Build one with {@link #builder(Inet4Address, Inet4Address)}.
 *
 * @param serverIp1 the server's first IP ({@code pchIP1}); or its one IPv6 address, where the client
 *     registers over IPv6 (log, comm and control connections to it; no echo probing)
 * @param serverIp2 the server's second IP ({@code pchIP2}); the same IPv6 address for a server over IPv6
 * @param logPort the log service's port ({@code SERVER_LOG_PORT})
 * @param commPort the communication service's port ({@code SERVER_COMM_PORT})
 * @param localAddress the local address every socket of this client binds to; null for any
 * @param fingerprintFile where the fingerprint is kept ({@code FINGERPRINT_FILE}); null: never stored
 * @param punchStrategy how the direct connection is attempted
 * @param commTimeout waiting for the comm service's answer ({@code COMM_TIMEOUT})
 * @param echoTimeout waiting for echoes and sync through the server ({@code RCV_ECHO_TIMEOUT}); also
 *     bounds each answer of the log service during registration and each wait of a rendezvous phase
 * @param listenTimeout bound of a listener-side procedure started by an incoming request
 *     (XListen's {@code nTimeoutSec})
 * @param probeRetries NAT probing attempts ({@code PROBE_RETRY_TIMES})
 * @param sharedSecret the secret to prove to a server that requires one (xstunt extension,
 *     docs/PROTOCOL.md "Authentication and ownership"); null: none. Never sent in clear.
 * @param extensions whether to ask an xstunt server for the extensions at registration (holder
 *     token, keepalive; docs/PROTOCOL.md "Authentication and ownership"): one padding byte of the
 *     ID field, which an original server ignores; false sends the original bytes exactly
 * @param autoReRegister when the log connection to the server is lost (server restart), register
 *     the same ID again on its own, retrying with a growing delay until it succeeds or the client
 *     is closed; in between, connect and listen fail with ERR_CONNECT
 * @param wireVariant the wire variant to speak: {@link WireVariant#ID32} (the reference's
 *     MAX_ID_LEN 32, the default) or {@link WireVariant#ID31} (the published client's, for a
 *     server built from it); an xstunt server speaks both
 * @param relayMode whether a pair that cannot punch is relayed through the server (relay
 *     extension, only with an xstunt server and an xstunt peer that both agree; with anyone else
 *     the rendezvous is XSTUNT 1.0's): {@code DIRECT_ONLY} never, {@code RELAY_ALLOWED} (the
 *     default) when both NATs are random or the punch gave up, {@code RELAY_ONLY} at once (tests)
 * @param failoverServers the servers a client that lost its server registers on when this one
 *     does not take it back (with {@code autoReRegister}; servers sharing one registry), in order;
 *     empty: none
 * @param sweep the birthday sweep's budget
 * @param ipv6 whether to offer and race a direct IPv6 path ({@link Ipv6Setting#AUTO} by default)
 */
public record ClientConfig(InetAddress serverIp1, InetAddress serverIp2, int logPort, int commPort,
                           Inet4Address localAddress, Path fingerprintFile, PunchStrategy punchStrategy,
                           Duration commTimeout, Duration echoTimeout, Duration listenTimeout, int probeRetries,
                           byte[] sharedSecret, boolean extensions, boolean autoReRegister,
                           WireVariant wireVariant, io.xstunt.engine.wire.RelayFrame.Mode relayMode,
                           List<ServerPair> failoverServers, SweepBudget sweep, Ipv6Setting ipv6) {
    /**
     * A STUNT server by its two IPs ({@code pchIP1}, {@code pchIP2}).
     *
     * @param ip1 its first IP: log, comm and control services
     * @param ip2 its second IP (echo)
     */
    public record ServerPair(InetAddress ip1, InetAddress ip2) {
        /** Checks both: two IPv4 addresses, or one IPv6 address given twice. */
        public ServerPair {
            checkServer(ip1, ip2);
        }

        /** @return whether the server is reached over IPv6 (its one IPv6 address, no echo probing) */
        public boolean overIpv6() {
            return ip1 instanceof Inet6Address;
        }

        @Override
        public String toString() {
            return ip1.getHostAddress() + "/" + ip2.getHostAddress();
        }
    }

    /** Checks every field. */
    public ClientConfig {
        failoverServers = List.copyOf(Objects.requireNonNull(failoverServers, "failoverServers"));
        if (sharedSecret != null) {
            if (sharedSecret.length == 0) {
                throw new IllegalArgumentException("sharedSecret must not be empty (null: none)");
            }
            sharedSecret = sharedSecret.clone();
        }
        checkServer(serverIp1, serverIp2);
        Objects.requireNonNull(punchStrategy, "punchStrategy");
        Objects.requireNonNull(wireVariant, "wireVariant");
        Objects.requireNonNull(relayMode, "relayMode");
        Objects.requireNonNull(sweep, "sweep");
        Objects.requireNonNull(ipv6, "ipv6");
        checkPort(logPort, "logPort");
        checkPort(commPort, "commPort");
        checkPositive(commTimeout, "commTimeout");
        checkPositive(echoTimeout, "echoTimeout");
        checkPositive(listenTimeout, "listenTimeout");
        if (probeRetries < 1) {
            throw new IllegalArgumentException("probeRetries must be at least 1, got " + probeRetries);
        }
    }

    /** @return the servers in the order a client that lost its server tries them: this one first, then the failover ones */
    public List<ServerPair> servers() {
        List<ServerPair> all = new java.util.ArrayList<>();
        all.add(new ServerPair(serverIp1, serverIp2));
        for (ServerPair p : failoverServers) {
            if (!all.contains(p)) {
                all.add(p);
            }
        }
        return all;
    }

    /** @return this configuration with {@code server} as the server the client talks to (the failover list unchanged) */
    public ClientConfig withServer(ServerPair server) {
        return new ClientConfig(server.ip1(), server.ip2(), logPort, commPort, localAddress, fingerprintFile,
                punchStrategy, commTimeout, echoTimeout, listenTimeout, probeRetries, sharedSecret, extensions,
                autoReRegister, wireVariant, relayMode, failoverServers, sweep, ipv6);
    }

    /** @return a copy of the shared secret, or null */
    @Override
    public byte[] sharedSecret() {
        return sharedSecret == null ? null : sharedSecret.clone();
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "ClientConfig[server " + serverIp1.getHostAddress() + "/" + serverIp2.getHostAddress() + ", log "
                + logPort + ", comm " + commPort + ", local " + localAddress + ", " + punchStrategy + ", secret "
                + (sharedSecret == null ? "none" : "set") + ", autoReRegister " + autoReRegister + ", "
                + wireVariant + ", " + relayMode + (failoverServers.isEmpty() ? "" : ", failover " + failoverServers)
                + ", " + sweep + ", " + ipv6 + "]";
    }

    private static void checkPort(int port, String what) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535, got " + port);
        }
    }

    /**
     * A server is two IPv4 addresses (log, comm, control on the first; echo on both), or one IPv6
     * address (given as both): the echo probing needs the server's two IPv4 addresses and over
     * IPv6 there is no NAT to learn, so a client registered over IPv6 does not probe.
     */
    private static void checkServer(InetAddress ip1, InetAddress ip2) {
        Objects.requireNonNull(ip1, "serverIp1");
        Objects.requireNonNull(ip2, "serverIp2");
        if (ip1 instanceof Inet6Address || ip2 instanceof Inet6Address) {
            if (!ip1.equals(ip2)) {
                throw new IllegalArgumentException("a server reached over IPv6 has one address (given as both IPs), got "
                        + ip1.getHostAddress() + " and " + ip2.getHostAddress());
            }
            if (ip1.isAnyLocalAddress() || ip1.isMulticastAddress()) {
                throw new IllegalArgumentException("the server's IPv6 address must be a unicast address, got "
                        + ip1.getHostAddress());
            }
        }
    }

    /**
     * @return the local address to bind the server's connections (log, comm, control) to: the
     *     configured IPv4 one; over IPv6 the IPv6 endpoint's address if one is given
     *     ({@link Ipv6Setting#address()}, so that the server keys the client by the address its
     *     peers reach), else any (null)
     */
    public InetAddress serviceLocalAddress() {
        if (!overIpv6()) {
            return localAddress;
        }
        return ipv6.enabled() ? ipv6.address() : null;
    }

    /**
     * @return the address of the server's control listener that an announcement names by its IPv4
     *     {@code ip}: that one, or over IPv6 the server's IPv6 address (it listens on the same
     *     port there, docs/PROTOCOL.md "IPv6")
     */
    public InetAddress controlAddress(int ip) {
        return overIpv6() ? serverIp1 : io.xstunt.engine.wire.Ipv4.toAddress(ip);
    }

    /** @return whether this client registers over IPv6 (the server's one IPv6 address; no echo probing) */
    public boolean overIpv6() {
        return serverIp1 instanceof Inet6Address;
    }

    private static void checkPositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
        }
    }

    /** @return a builder with the reference's defaults */
    public static Builder builder(InetAddress serverIp1, InetAddress serverIp2) {
        return new Builder(serverIp1, serverIp2);
    }

    /** @return a builder that starts from this configuration */
    public Builder toBuilder() {
        Builder b = new Builder(serverIp1, serverIp2);
        b.logPort = logPort;
        b.commPort = commPort;
        b.localAddress = localAddress;
        b.fingerprintFile = fingerprintFile;
        b.punchStrategy = punchStrategy;
        b.commTimeout = commTimeout;
        b.echoTimeout = echoTimeout;
        b.listenTimeout = listenTimeout;
        b.probeRetries = probeRetries;
        b.sharedSecret = sharedSecret;
        b.extensions = extensions;
        b.autoReRegister = autoReRegister;
        b.wireVariant = wireVariant;
        b.relayMode = relayMode;
        b.failoverServers = failoverServers;
        b.sweep = sweep;
        b.ipv6 = ipv6;
        return b;
    }

    /** Builds a {@link ClientConfig}; defaults are the reference's. */
    public static final class Builder {
        private List<ServerPair> failoverServers = List.of();
        private final InetAddress serverIp1;
        private final InetAddress serverIp2;
        private int logPort = Protocol.SERVER_LOG_PORT;
        private int commPort = Protocol.SERVER_COMM_PORT;
        private Inet4Address localAddress;
        private Path fingerprintFile = Path.of(Protocol.FINGERPRINT_FILE);
        private PunchStrategy punchStrategy = PunchStrategy.FAST;
        private Duration commTimeout = Duration.ofSeconds(Protocol.COMM_TIMEOUT_SEC);
        private Duration echoTimeout = Duration.ofSeconds(Protocol.RCV_ECHO_TIMEOUT_SEC);
        private Duration listenTimeout = Duration.ofSeconds(12);
        private int probeRetries = Protocol.PROBE_RETRY_TIMES;
        private byte[] sharedSecret;
        private boolean extensions = true;
        private boolean autoReRegister;
        private WireVariant wireVariant = WireVariant.ID32;
        private io.xstunt.engine.wire.RelayFrame.Mode relayMode = io.xstunt.engine.wire.RelayFrame.Mode.RELAY_ALLOWED;
        private SweepBudget sweep = SweepBudget.DEFAULT;
        private Ipv6Setting ipv6 = Ipv6Setting.AUTO;

        private Builder(InetAddress serverIp1, InetAddress serverIp2) {
            this.serverIp1 = serverIp1;
            this.serverIp2 = serverIp2;
        }

        /** @param port the log service's port */
        public Builder logPort(int port) {
            this.logPort = port;
            return this;
        }

        /** @param port the communication service's port */
        public Builder commPort(int port) {
            this.commPort = port;
            return this;
        }

        /** @param address the local address to bind every socket to; null for any */
        public Builder localAddress(Inet4Address address) {
            this.localAddress = address;
            return this;
        }

        /** @param file the fingerprint file; null never reads or writes one */
        public Builder fingerprintFile(Path file) {
            this.fingerprintFile = file;
            return this;
        }

        /** @param strategy how the direct connection is attempted */
        public Builder punchStrategy(PunchStrategy strategy) {
            this.punchStrategy = strategy;
            return this;
        }

        /** @param timeout waiting for the comm service's answer */
        public Builder commTimeout(Duration timeout) {
            this.commTimeout = timeout;
            return this;
        }

        /** @param timeout waiting for echoes and sync through the server */
        public Builder echoTimeout(Duration timeout) {
            this.echoTimeout = timeout;
            return this;
        }

        /** @param timeout bound of a listener-side procedure */
        public Builder listenTimeout(Duration timeout) {
            this.listenTimeout = timeout;
            return this;
        }

        /** @param retries NAT probing attempts */
        public Builder probeRetries(int retries) {
            this.probeRetries = retries;
            return this;
        }

        /** @param secret the server's shared secret; null: none */
        public Builder sharedSecret(byte[] secret) {
            this.sharedSecret = secret;
            return this;
        }

        /** @param on whether to ask for the holder token and keepalive (default true) */
        public Builder extensions(boolean on) {
            this.extensions = on;
            return this;
        }

        /** @param on whether to register again on its own after losing the server */
        public Builder autoReRegister(boolean on) {
            this.autoReRegister = on;
            return this;
        }

        /** @param variant the wire variant to speak (default {@link WireVariant#ID32}) */
        public Builder wireVariant(WireVariant variant) {
            this.wireVariant = variant;
            return this;
        }

        /** @param mode whether a pair that cannot punch is relayed (default RELAY_ALLOWED) */
        public Builder relayMode(io.xstunt.engine.wire.RelayFrame.Mode mode) {
            this.relayMode = mode;
            return this;
        }

        /**
         * @param servers the servers a client that lost its server registers on next, in order
         *     (with {@link #autoReRegister}); the first server is tried again first
         */
        public Builder failoverServers(List<ServerPair> servers) {
            this.failoverServers = servers;
            return this;
        }

        /** @param setting whether and how to race a direct IPv6 path (default {@link Ipv6Setting#AUTO}) */
        public Builder ipv6(Ipv6Setting setting) {
            this.ipv6 = setting;
            return this;
        }

        /** @param budget the birthday sweep's budget ({@link SweepBudget#OFF}: none; default {@link SweepBudget#DEFAULT}) */
        public Builder sweep(SweepBudget budget) {
            this.sweep = budget;
            return this;
        }

        /** @return the configuration */
        public ClientConfig build() {
            return new ClientConfig(serverIp1, serverIp2, logPort, commPort, localAddress, fingerprintFile,
                    punchStrategy, commTimeout, echoTimeout, listenTimeout, probeRetries, sharedSecret,
                    extensions, autoReRegister, wireVariant, relayMode, failoverServers, sweep, ipv6);
        }
    }
}
