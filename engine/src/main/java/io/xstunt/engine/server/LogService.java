package io.xstunt.engine.server;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.FastRefusal;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log service: one {@link Registrar} per log connection, each numbered (its {@link Holder}),
 * with what the registry and the communication service need of a registration that this server
 * holds: announcements, disconnects, the backlog of unread announcements and the announcement
 * budget. Loop thread only.
 */
final class LogService {
    private static final Logger LOG = LoggerFactory.getLogger(LogService.class);
    private static final String SERVICE = "log";
    /** The server writes only Echo-sized announcements here: a small kernel buffer lets a client that
     * does not read show up at once in {@link ServerConfig#maxPendingAnnouncements()};
     * TCP_NODELAY: an announcement or a FAST go must not wait for the ACK of the record before it. */
    private static final SocketSpec LOG_OPTIONS = SocketSpec.DEFAULTS.withSendBuffer(4096).withNoDelay();

    /**
     * A registration this server holds; also its driver's action sink and close watcher, so that a
     * held client costs no lambdas of its own (these objects are multiplied by every client held).
     */
    private final class Entry implements Consumer<Registrar.Action>, ProcedureDriver.CloseWatcher {
        final Holder holder;
        final Registrar registrar;
        final InetSocketAddress remote;
        ProcedureDriver<Registrar.Action> driver;
        /** The wire variant counted in {@link #variantsBySource}, once its ID field told it; null before. */
        WireVariant counted;
        /** The announcement budget: a token bucket refilled at the configured rate. */
        double budget;
        long budgetStartNs;
        boolean budgetStarted;

        Entry(Holder holder, Registrar registrar, InetSocketAddress remote) {
            this.holder = holder;
            this.registrar = registrar;
            this.remote = remote;
        }

        @Override
        public void accept(Registrar.Action a) {
            carryOut(this, a);
        }

        @Override
        public void closed(int connection, Connection c, Throwable cause) {
            admission.closed(c, cause, SERVICE);
            ipv6.forget(holder);
            entries.remove(holder.registration());
            uncount(this);
        }
    }

    private final String server;
    private final Network network;
    private final ServerConfig config;
    private final Registry registry;
    private final Admission admission;
    private final ServerStats stats;
    private final ClientLogSink sink;
    private final LongSupplier tokens;
    private final Map<Long, Entry> entries = new HashMap<>();
    /** The IPv6 endpoints that the registrations held here registered (A6 lines), by ID. */
    private final Ipv6Book ipv6 = new Ipv6Book();
    /** Per source IP, the registrations held whose ID field told their wire variant, by variant. */
    private final Map<Integer, int[]> variantsBySource = new HashMap<>();
    private ServerInfo infoTemplate;
    private long nextRegistration = 1;
    private FastLines fastLines = (holder, clientIp, token, fast) -> { };
    private Consumer<Holder> departures = holder -> { };

    /** Where the FAST lines of the registrations go (the comm service's decisions). */
    @FunctionalInterface
    interface FastLines {
        /** {@code fast} came on {@code holder}'s log connection from {@code clientIp}; its holder token is {@code token}. */
        void line(Holder holder, int clientIp, long token, Registrar.Action.Fast fast);
    }

    /** @param lines where the FAST lines of the registrations go from now on */
    void fastLines(FastLines lines) {
        this.fastLines = lines;
    }

    /** @param left told of each registration that ends here (its holder), after the registry's release */
    void departures(Consumer<Holder> left) {
        this.departures = left;
    }

    LogService(String server, Network network, ServerConfig config, Registry registry, Admission admission,
               ServerStats stats, ClientLogSink sink, LongSupplier tokens) {
        this.server = server;
        this.network = network;
        this.config = config;
        this.registry = registry;
        this.admission = admission;
        this.stats = stats;
        this.sink = sink;
        this.tokens = tokens;
    }

    /** @param template the ServerInfo every registration is answered with (the real echo ports; its ID is replaced) */
    void infoTemplate(ServerInfo template) {
        this.infoTemplate = template;
    }

    /** A connection arrived on the log port. */
    void accept(Incoming in) {
        InetSocketAddress remote = admission.admit(in, SERVICE);
        if (remote == null) {
            return;
        }
        Holder holder = new Holder(server, nextRegistration++);
        Registrar registrar = new Registrar(config, infoTemplate, admission.sourceKey(remote.getAddress()), sink, tokens);
        Entry e = new Entry(holder, registrar, remote);
        ProcedureDriver<Registrar.Action> driver = new ProcedureDriver<>(network, registrar, e);
        e.driver = driver;
        Connection c;
        try {
            c = in.adopt(driver.listener(0), Registrar.inboundBytes(config), TcpConnection.DEFAULT_MAX_OUTBOUND,
                    LOG_OPTIONS);
        } catch (IOException | RuntimeException ex) {
            LOG.warn("{}: cannot adopt an accepted connection: {}", SERVICE, ex.toString());
            return;
        }
        driver.attach(0, c);
        admission.opened(c);
        entries.put(holder.registration(), e);
        driver.watchCloses(e);
        driver.feed(registrar::start);
    }

    private void carryOut(Entry e, Registrar.Action a) {
        int clientIp = admission.sourceKey(e.remote.getAddress());
        if (e.counted == null && (a instanceof Registrar.Action.Claim || a instanceof Registrar.Action.CheckClaim)) {
            count(e, clientIp); // the ID field is read: its variant is known
        }
        switch (a) {
            case Registrar.Action.Claim c -> registry.claim(c.id(), clientIp, c.token(), e.holder,
                    outcome -> e.driver.feed(now -> e.registrar.handleClaim(outcome, now)));
            case Registrar.Action.CheckClaim c -> registry.checkClaim(c.id(), clientIp,
                    outcome -> e.driver.feed(now -> e.registrar.handleClaim(outcome, now)));
            case Registrar.Action.ReportState r -> {
                registry.reportState(r.id(), e.holder, r.state(), r.localIp(),
                        () -> e.driver.feed(e.registrar::handleStateStored));
                if (r.state() == Protocol.CSTATE_IDLE) {
                    stats.counters().registered();
                }
            }
            case Registrar.Action.Release r -> {
                ipv6.forget(e.holder);
                registry.release(r.id(), e.holder);
                departures.accept(e.holder);
            }
            case Registrar.Action.ReportIpv6 r -> {
                ipv6.put(r.id(), e.holder, r.endpoint());
                registry.reportIpv6(r.id(), e.holder, r.endpoint()); // for a peer on another server
            }
            case Registrar.Action.Fast f -> {
                if (f.line() instanceof FastLine.Capability c) {
                    registry.reportFast(f.id(), e.holder, c.body().substring(1));
                }
                fastLines.line(e.holder, clientIp, e.registrar.token(), f);
            }
            case Refused r -> stats.refused(r, SERVICE, e.remote);
        }
    }

    /**
     * The registry's effect: writes {@code announcement} on {@code holder}'s log connection.
     *
     * @param relayFlags the relay extension's flags for an extension client (0: none)
     * @param peerIpv6 the peer's IPv6 endpoint as the registry's record has it, or null: then the
     *     one its registration here registered, if any
     */
    void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6) {
        Entry e = held(holder);
        if (e != null) {
            InetSocketAddress peer = peerIpv6 != null ? peerIpv6 : ipv6.of(announcement.peerId());
            e.driver.feed(now -> e.registrar.handleAnnouncement(announcement, relayFlags, peer, now));
        }
    }

    /** Writes a relay's end notice on {@code holder}'s log connection, if this server holds it. */
    void notice(Holder holder, RelayNotice notice) {
        Entry e = held(holder);
        if (e != null) {
            e.driver.feed(now -> e.registrar.handleRelayNotice(notice, now));
        }
    }

    /**
     * @return what FAST's plan needs of {@code holder}'s registration, with {@code punchPort} (0: the
     *     one of its capability); null if this server does not hold it (a peer of another server:
     *     FAST is declined across servers, it has no round trip of that peer)
     */
    FastPlan.Client fastFacts(Holder holder, int punchPort) {
        Entry e = held(holder);
        if (e == null || !e.registrar.idle() || !(e.remote.getAddress() instanceof java.net.Inet4Address ip)) {
            return null; // registered over IPv6: FAST predicts IPv4 mappings, which such a client has none of
        }
        FastLine.Capability c = e.registrar.fast();
        return new FastPlan.Client(ip,
                punchPort != 0 ? punchPort : c == null || c.punchPort() == 0 ? 1 : c.punchPort(),
                c != null && c.punchPort() != 0,
                c != null && c.portPreserving(), e.registrar.rttNs());
    }

    /** @return true if {@code holder}'s registration here registered an IPv6 endpoint */
    boolean hasIpv6(Holder holder) {
        return ipv6.has(holder);
    }

    /** Writes FAST's go on {@code holder}'s log connection, if this server holds it. */
    void fastGo(Holder holder, FastGo go) {
        Entry e = held(holder);
        if (e != null) {
            e.driver.feed(now -> e.registrar.handleFastGo(go, now));
        }
    }

    /** Writes the refusal of a FAST request on {@code holder}'s log connection, if this server holds it. */
    void fastRefusal(Holder holder, FastRefusal refusal) {
        Entry e = held(holder);
        if (e != null) {
            e.driver.feed(now -> e.registrar.handleFastRefusal(refusal, now));
        }
    }

    /** The registry's effect: closes {@code holder}'s log connection. */
    void disconnect(Holder holder) {
        Entry e = held(holder);
        if (e != null) {
            e.driver.feed(e.registrar::handleDisconnect);
        }
    }

    /** @return the registration {@code holder} names if this server holds it, else null */
    private Entry held(Holder holder) {
        return server.equals(holder.server()) ? entries.get(holder.registration()) : null;
    }

    /** @return true if {@code holder} is a registration of another server (a shared registry's) */
    boolean elsewhere(Holder holder) {
        return !server.equals(holder.server());
    }

    /**
     * @return false if {@code holder} is not an IDLE registration of this server, or has
     *     {@link ServerConfig#maxPendingAnnouncements()} announcements unwritten (it does not read)
     */
    boolean canAnnounce(Holder holder) {
        Entry e = held(holder);
        return e != null && e.registrar.idle()
                && e.driver.unwrittenBytes(0) <= (config.maxPendingAnnouncements() - 1) * e.registrar.recordSize();
    }

    /**
     * Takes one announcement from {@code holder}'s budget: a token bucket of
     * {@link ServerConfig#maxAnnouncementsPerSecond()} a second, holding at most one second's
     * worth (a fresh registration starts full).
     *
     * @return false if the budget is spent
     */
    boolean takeAnnouncement(Holder holder) {
        Entry e = held(holder);
        if (e == null) {
            return false;
        }
        int perSecond = config.maxAnnouncementsPerSecond();
        long nowNs = network.nowNs();
        if (!e.budgetStarted) {
            e.budget = perSecond;
            e.budgetStarted = true;
        } else {
            e.budget = Math.min(perSecond, e.budget + (nowNs - e.budgetStartNs) * perSecond / 1e9);
        }
        e.budgetStartNs = nowNs;
        if (e.budget < 1) {
            return false;
        }
        e.budget -= 1;
        return true;
    }

    private void count(Entry e, int clientIp) {
        e.counted = e.registrar.variant();
        variantsBySource.computeIfAbsent(clientIp, ip -> new int[WireVariant.values().length])[e.counted.ordinal()]++;
    }

    private void uncount(Entry e) {
        if (e.counted == null) {
            return;
        }
        int ip = admission.sourceKey(e.remote.getAddress());
        int[] n = variantsBySource.get(ip);
        n[e.counted.ordinal()]--;
        if (Arrays.stream(n).allMatch(c -> c == 0)) {
            variantsBySource.remove(ip);
        }
        e.counted = null;
    }

    /**
     * @return the one wire variant of every registration this server holds from {@code sourceIp},
     *     or null if it holds none or registrations of both variants: what a comm request from
     *     there most likely speaks
     */
    WireVariant variantFrom(int sourceIp) {
        int[] n = variantsBySource.get(sourceIp);
        if (n == null) {
            return null;
        }
        WireVariant only = null;
        for (WireVariant v : WireVariant.values()) {
            if (n[v.ordinal()] > 0) {
                if (only != null) {
                    return null;
                }
                only = v;
            }
        }
        return only;
    }

    /** @return the registrations held (their log connections) */
    int size() {
        return entries.size();
    }
}
