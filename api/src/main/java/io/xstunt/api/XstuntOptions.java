package io.xstunt.api;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.SweepBudget;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything XInit takes besides the server's IPs and the ID, with the reference's defaults:
 * server ports {@code SERVER_LOG_PORT} 8123 and {@code SERVER_COMM_PORT} 8132, the fingerprint
 * file {@code FINGERPRINT_FILE} ("fingerprint.dat" in the working directory), any local address,
 * the shared event loop. Immutable; build with {@link #builder()}, or use {@link #defaults()}.
 */
public final class XstuntOptions {
    /** Default slack a blocking call gives the engine beyond the operation's own timeout. */
    public static final Duration DEFAULT_WAIT_MARGIN = Duration.ofSeconds(5);

    /** Echo queries per probe attempt (IP1:P1, IP1:P2, IP2:P1, IP2:P2). */
    private static final int PROBE_QUERIES = 4;
    private static final XstuntOptions DEFAULTS = builder().build();

    private final int logPort;
    private final int commPort;
    private final Inet4Address localAddress;
    private final Path fingerprintFile;
    private final PunchStrategy punchStrategy;
    private final Duration listenTimeout;
    private final EventLoop eventLoop;
    private final Duration initTimeout;
    private final Duration waitMargin;
    private final Duration commTimeout;
    private final Duration echoTimeout;
    private final int probeRetries;
    private final byte[] sharedSecret;
    private final boolean extensions;
    private final boolean autoReRegister;
    private final List<ClientConfig.ServerPair> failoverServers;
    private final WireVariant wireVariant;
    private final RelayMode relayMode;
    private final SweepBudget sweep;
    private final io.xstunt.engine.client.Ipv6Setting ipv6;

    private XstuntOptions(Builder b) {
        this.relayMode = b.relayMode;
        this.sweep = b.sweep;
        this.ipv6 = b.ipv6;
        this.logPort = b.logPort;
        this.commPort = b.commPort;
        this.localAddress = b.localAddress;
        this.fingerprintFile = b.fingerprintFile;
        this.punchStrategy = b.punchStrategy;
        this.listenTimeout = b.listenTimeout;
        this.eventLoop = b.eventLoop;
        this.initTimeout = b.initTimeout;
        this.waitMargin = b.waitMargin;
        this.commTimeout = b.commTimeout;
        this.echoTimeout = b.echoTimeout;
        this.probeRetries = b.probeRetries;
        this.sharedSecret = b.sharedSecret;
        this.extensions = b.extensions;
        this.autoReRegister = b.autoReRegister;
        this.failoverServers = List.copyOf(b.failoverServers);
        this.wireVariant = b.wireVariant;
    }

    /** @return the reference's defaults, on the shared event loop */
    public static XstuntOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder that starts from the reference's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the caller's event loop, or null for the shared one */
    public EventLoop eventLoop() {
        return eventLoop;
    }

    /** @return the loop sessions made with these options run on (the shared one started if needed) */
    EventLoop loop() {
        return eventLoop != null ? eventLoop : SharedLoop.get();
    }

    /** @return the bound of a blocking XInit set with {@link Builder#initTimeout}, or null for the derived one */
    public Duration initTimeout() {
        return initTimeout;
    }

    /**
     * The bound of a blocking XInit: the one set, or the longest the engine itself may take with
     * this configuration (the registration exchange and every echo query of every probe attempt
     * each bounded by the echo timeout, plus the margin), so that the engine's own, more precise
     * error comes first.
     */
    Duration initBound(ClientConfig config) {
        if (initTimeout != null) {
            return initTimeout;
        }
        long echoWaits = 1 + (long) PROBE_QUERIES * config.probeRetries();
        return config.echoTimeout().multipliedBy(echoWaits).plus(waitMargin);
    }

    /** @return the slack a blocking call gives the engine beyond the operation's own timeout */
    public Duration waitMargin() {
        return waitMargin;
    }

    /** @return the local address every socket binds to, or null for any */
    public Inet4Address localAddress() {
        return localAddress;
    }

    /** @return the fingerprint file, or null when none is kept */
    public Path fingerprintFile() {
        return fingerprintFile;
    }

    /** @return the punch strategy */
    public PunchStrategy punchStrategy() {
        return punchStrategy;
    }

    /** @return {@code MAX_ID_LEN} of the wire variant spoken: 32 (the reference's) or 31 (the published client's) */
    public int idLength() {
        return wireVariant.maxIdLen();
    }

    /** @return the wire variant spoken (within the API) */
    WireVariant wireVariant() {
        return wireVariant;
    }

    /** @return whether a pair that cannot punch is relayed through the server */
    public RelayMode relayMode() {
        return relayMode;
    }

    /** @return whether the birthday sweep is on (an xstunt extension; see {@link Builder#birthdaySweep}) */
    public boolean birthdaySweep() {
        return sweep.enabled();
    }

    /** @return the birthday sweep's budget: the hard side's sockets, the easy side's probes, SYNs a second */
    public int[] birthdaySweepBudget() {
        return new int[] {sweep.sockets(), sweep.probes(), sweep.synsPerSecond()};
    }

    /** @return whether a direct IPv6 path is offered and raced (an xstunt extension; see {@link Builder#ipv6}) */
    public boolean ipv6() {
        return ipv6.enabled();
    }

    /** @return the IPv6 address configured with {@link Builder#ipv6Address}, or null (the first global one) */
    public java.net.Inet6Address ipv6Address() {
        return ipv6.address();
    }

    /** @return how long the IPv6 attempt leads the IPv4 punch (RFC 8305's Connection Attempt Delay) */
    public Duration ipv6HeadStart() {
        return ipv6.headStart();
    }

    /** The engine's configuration for a server: these options. */
    ClientConfig clientConfig(java.net.InetAddress serverIp1, java.net.InetAddress serverIp2) {
        return ClientConfig.builder(serverIp1, serverIp2)
                .logPort(logPort)
                .commPort(commPort)
                .localAddress(localAddress)
                .fingerprintFile(fingerprintFile)
                .punchStrategy(punchStrategy.engine())
                .listenTimeout(listenTimeout)
                .commTimeout(commTimeout)
                .echoTimeout(echoTimeout)
                .probeRetries(probeRetries)
                .sharedSecret(sharedSecret)
                .extensions(extensions)
                .autoReRegister(autoReRegister)
                .wireVariant(wireVariant)
                .relayMode(relayMode.engine())
                .failoverServers(failoverServers)
                .sweep(sweep)
                .ipv6(ipv6)
                .build();
    }

    /** @return whether a client that lost its server registers again on its own ({@link Builder#autoReRegister}) */
    public boolean autoReRegister() {
        return autoReRegister;
    }

    /** @return the failover servers as {@code {ip1, ip2}} literal pairs, in the order they are tried */
    public List<String[]> failoverServers() {
        return failoverServers.stream().map(p -> new String[] {p.ip1().getHostAddress(), p.ip2().getHostAddress()})
                .toList();
    }

    /** Builds {@link XstuntOptions}. Every setter checks its argument at once. */
    public static final class Builder {
        private int logPort = Protocol.SERVER_LOG_PORT;
        private int commPort = Protocol.SERVER_COMM_PORT;
        private Inet4Address localAddress;
        private Path fingerprintFile = Path.of(Protocol.FINGERPRINT_FILE);
        private PunchStrategy punchStrategy = PunchStrategy.FAST;
        private Duration listenTimeout = Duration.ofSeconds(12);
        private EventLoop eventLoop;
        private Duration initTimeout;
        private Duration waitMargin = DEFAULT_WAIT_MARGIN;
        private Duration commTimeout = Duration.ofSeconds(Protocol.COMM_TIMEOUT_SEC);
        private Duration echoTimeout = Duration.ofSeconds(Protocol.RCV_ECHO_TIMEOUT_SEC);
        private int probeRetries = Protocol.PROBE_RETRY_TIMES;
        private byte[] sharedSecret;
        private boolean extensions = true;
        private boolean autoReRegister;
        private final List<ClientConfig.ServerPair> failoverServers = new ArrayList<>();
        private WireVariant wireVariant = WireVariant.ID32;
        private RelayMode relayMode = RelayMode.RELAY_ALLOWED;
        private SweepBudget sweep = SweepBudget.DEFAULT;
        private io.xstunt.engine.client.Ipv6Setting ipv6 = io.xstunt.engine.client.Ipv6Setting.AUTO;

        private Builder() {
        }

        /**
         * @param on whether to offer a direct IPv6 path (default true): an xstunt extension without
         *     a counterpart in XSTUNT 1.0, whose structs carry IPv4 only. With an IPv6 address to use
         *     ({@link #ipv6Address}, else the first global unicast address of an interface that is
         *     up), XInit registers it with an xstunt server, and XConnect/XListen with a peer that
         *     did the same race a TCP simultaneous open over IPv6 against the IPv4 punch, IPv6 first
         *     (Happy Eyeballs, RFC 8305); {@link XstuntConnection#family()} says which won
         *     (docs/PROTOCOL.md, "IPv6"). False: IPv4 only, as XSTUNT 1.0.
         */
        public Builder ipv6(boolean on) {
            this.ipv6 = new io.xstunt.engine.client.Ipv6Setting(on, ipv6.address(), ipv6.port(), ipv6.headStart());
            return this;
        }

        /**
         * @param address the IPv6 address to register and open from (null: the first global one);
         *     turns IPv6 on. No counterpart in XSTUNT 1.0, whose XInit takes IPv4 addresses only.
         */
        public Builder ipv6Address(java.net.Inet6Address address) {
            this.ipv6 = new io.xstunt.engine.client.Ipv6Setting(true, address, ipv6.port(), ipv6.headStart());
            return this;
        }

        /**
         * @param headStart how long the IPv6 attempt leads the IPv4 punch of XConnect/XListen
         *     (XTryConnect's SYN and the listener's connect; default 250 ms, RFC 8305's recommended
         *     Connection Attempt Delay; 0 to 2 s)
         * @throws IllegalArgumentException outside 0 to 2 s
         */
        public Builder ipv6HeadStart(Duration headStart) {
            this.ipv6 = ipv6.withHeadStart(headStart);
            return this;
        }

        /**
         * @param on whether to take part in a TCP birthday sweep (default true): an xstunt
         *     extension without a counterpart in XSTUNT 1.0, which failed such pairs with
         *     ERR_ASYM_TIMEOUT (XConnect) and ERR_TIMEOUT (XListen). When exactly one of the two NATs
         *     picks a random port for every connection, the peer behind it opens many sockets towards
         *     the other's predicted port and the other probes random ports of its public address
         *     until a pair meets (docs/PROTOCOL.md, "Birthday sweep"); it needs an xstunt server
         *     that relays and an xstunt peer with the sweep on. A sweep that misses falls back to
         *     the relay ({@link #relayMode}) with the reason "birthday sweep missed after N probes".
         */
        public Builder birthdaySweep(boolean on) {
            this.sweep = new SweepBudget(on, sweep.sockets(), sweep.probes(), sweep.synsPerSecond());
            return this;
        }

        /**
         * @param sockets the sockets the hard side opens (default 256, 1-4096)
         * @param probes the most probes the easy side sends (default 1024, 1-16384)
         * @param synsPerSecond the most SYNs a second either side starts (default 500, 1-10000);
         *     two peers sweep with the smaller of their two values of each
         * @throws IllegalArgumentException for a value out of its range
         */
        public Builder birthdaySweepBudget(int sockets, int probes, int synsPerSecond) {
            this.sweep = new SweepBudget(sweep.enabled(), sockets, probes, synsPerSecond);
            return this;
        }

        /**
         * @param mode whether a pair that cannot punch is relayed through the server (default
         *     {@link RelayMode#RELAY_ALLOWED}; needs an xstunt server that relays and a peer that
         *     allows it, and {@link #extensions} on)
         */
        public Builder relayMode(RelayMode mode) {
            this.relayMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** @param port the server's log service port ({@code SERVER_LOG_PORT}, default 8123) */
        public Builder logPort(int port) {
            this.logPort = checkPort(port, "logPort");
            return this;
        }

        /** @param port the server's communication service port ({@code SERVER_COMM_PORT}, default 8132) */
        public Builder commPort(int port) {
            this.commPort = checkPort(port, "commPort");
            return this;
        }

        /**
         * @param address the local IPv4 every socket of the session binds to (e.g. 127.0.0.11 so
         *     that a loopback server sees a distinct "public" IP); null for any
         */
        public Builder localAddress(Inet4Address address) {
            this.localAddress = address;
            return this;
        }

        /**
         * @param address the local IPv4 as a dotted-quad literal; null for any
         * @throws IllegalArgumentException if it is not an IPv4 literal
         */
        public Builder localAddress(String address) {
            this.localAddress = address == null ? null : Ipv4.parse(address);
            return this;
        }

        /**
         * @param file where the NAT fingerprint is cached between runs ({@code FINGERPRINT_FILE});
         *     null probes every time and writes nothing
         */
        public Builder fingerprintFile(Path file) {
            this.fingerprintFile = file;
            return this;
        }

        /** @param strategy how the direct connection is attempted (default {@link PunchStrategy#FAST}, which falls back to {@link PunchStrategy#RACE} wherever it is declined or finds nothing) */
        public Builder punchStrategy(PunchStrategy strategy) {
            this.punchStrategy = Objects.requireNonNull(strategy, "strategy");
            return this;
        }

        /**
         * @param timeout bound of a listener-side procedure that an incoming request starts
         *     (XListen's {@code nTimeoutSec}; keep it equal to the connecting side's timeout)
         */
        public Builder listenTimeout(Duration timeout) {
            this.listenTimeout = checkPositive(timeout, "listenTimeout");
            return this;
        }

        /**
         * @param loop the caller's own event loop, e.g. one a game loop drives with
         *     {@link EventLoop#doWork()}; null (the default) uses the process's shared loop
         */
        public Builder eventLoop(EventLoop loop) {
            this.eventLoop = loop;
            return this;
        }

        /**
         * @param timeout bound of a blocking XInit; default: the longest the engine may take
         *     (with the reference's timeouts, 7 s x 13 echo waits + the margin = 96 s)
         */
        public Builder initTimeout(Duration timeout) {
            this.initTimeout = checkPositive(timeout, "initTimeout");
            return this;
        }

        /** @param margin slack a blocking call gives the engine beyond the operation's own timeout */
        public Builder waitMargin(Duration margin) {
            this.waitMargin = checkPositive(margin, "waitMargin");
            return this;
        }

        /**
         * @param timeout bound of the communication service's answer ({@code COMM_TIMEOUT}, 2 s):
         *     XConnect's ERR_COMM_TIMEOUT
         */
        public Builder commTimeout(Duration timeout) {
            this.commTimeout = checkPositive(timeout, "commTimeout");
            return this;
        }

        /**
         * @param timeout bound of each answer through the server ({@code RCV_ECHO_TIMEOUT}, 7 s): the
         *     registration's answers, each echo query of the NAT probe, each wait of a rendezvous
         *     phase (ERR_ECHO_TIMEOUT, ERR_TIMEOUT)
         */
        public Builder echoTimeout(Duration timeout) {
            this.echoTimeout = checkPositive(timeout, "echoTimeout");
            return this;
        }

        /** @param retries NAT probing attempts before XInit fails with ERR_PROBE ({@code PROBE_RETRY_TIMES}, 3) */
        public Builder probeRetries(int retries) {
            if (retries < 1) {
                throw new IllegalArgumentException("probeRetries must be at least 1, got " + retries);
            }
            this.probeRetries = retries;
            return this;
        }

        /**
         * @param secret the secret a server that requires one (xstunt extension,
         *     docs/PROTOCOL.md "Authentication and ownership") must see proven; never sent in
         *     clear; null for none (the default)
         */
        public Builder sharedSecret(byte[] secret) {
            if (secret != null && secret.length == 0) {
                throw new IllegalArgumentException("sharedSecret must not be empty (null: none)");
            }
            this.sharedSecret = secret == null ? null : secret.clone();
            return this;
        }

        /**
         * @param on whether to ask an xstunt server for the protocol extensions at registration
         *     (holder token, keepalive; default true): one padding byte of the ID field that an
         *     original server ignores; false sends XSTUNT 1.0's bytes exactly
         */
        public Builder extensions(boolean on) {
            this.extensions = on;
            return this;
        }

        /**
         * @param on when the log connection to the server is lost (a server restart), register the
         *     same ID again on its own, retrying with a growing delay (0.5 s doubling to 30 s)
         *     until it succeeds or the client is closed; meanwhile XConnect and XListen fail with
         *     ERR_CONNECT. Default false, as in XSTUNT 1.0.
         */
        public Builder autoReRegister(boolean on) {
            this.autoReRegister = on;
            return this;
        }

        /**
         * @param maxIdLen {@code MAX_ID_LEN} of the wire variant to speak: 32, the reference's (the
         *     default), or 31, the published XSTUNT client's (Client.h), for a server built from
         *     that source; its ID fields are a byte shorter, so IDs are at most 31 bytes, and every
         *     struct with an ID is smaller (ServerInfo 56, Echo 52, Msg 68 bytes). An xstunt server
         *     speaks both on the same ports.
         * @throws IllegalArgumentException for any other value
         */
        public Builder idLength(int maxIdLen) {
            this.wireVariant = WireVariant.ofMaxIdLen(maxIdLen);
            return this;
        }

        /** @return the options */
        public XstuntOptions build() {
            return new XstuntOptions(this);
        }

        /**
         * Adds a server to fail over to (xstunt; servers that share one registry, {@code server
         * --registry redis://HOST:PORT}): when the log connection to its server is lost, the
         * client registers its ID again (this turns {@link #autoReRegister} on), trying its own
         * server first, then each failover server in the order added, then its own again, with
         * the delays of {@link #autoReRegister} (0.5 s, 1 s, 2 s, ...: with one failover server it
         * is registered there about 1.5 s after losing a server that died, plus one registration).
         * On a failover server it first frees its ID with its holder token (MSG_DEREGISTER), so a
         * dead server's record of it is taken over at once. The original XSTUNT client has no
         * such thing.
         *
         * @param ip1 the server's first IPv4 literal ({@code pchIP1}), or its one IPv6 literal
         * @param ip2 its second ({@code pchIP2}), or the same IPv6 literal
         * @throws IllegalArgumentException if either is not an IPv4 literal, or not the same IPv6 literal
         */
        public Builder failoverServer(String ip1, String ip2) {
            failoverServers.add(new ClientConfig.ServerPair(XstuntAsync.serverIp(ip1, "ip1"),
                    XstuntAsync.serverIp(ip2, "ip2")));
            autoReRegister = true;
            return this;
        }
    }

    static int checkPort(int port, String what) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be 1..65535, got " + port);
        }
        return port;
    }

    static Duration checkPositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
        }
        return d;
    }
}
