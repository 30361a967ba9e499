package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.tcp.NioNetwork;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.SweepFrame;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered XSTUNT client on a {@link Network}: the asynchronous core behind XInit, XListen,
 * XConnect and XDeRegister. Every method is safe from any thread; futures complete on the
 * network's thread (do not block in their callbacks). Failures complete futures exceptionally
 * with a {@link Failure}.
 *
 * <p>The logic is the {@link ClientEndpoint}'s (announcements, keepalive, losing the server,
 * the calls' stages); this class is its I/O: it runs what the endpoint asks (a
 * {@link CommRequest}, a rendezvous through {@link RendezvousIo}, a registration through
 * {@link RegistrationIo}) and completes the callers' futures.
 */
public final class StuntClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StuntClient.class);
    private static final long CROSS_THREAD_WAIT_S = 5;

    private final Network network;
    /** The configuration, naming the server the client is registered on now (failover changes it). */
    private ClientConfig config;
    /** Where in {@link ClientConfig#servers()} the next registration goes. */
    private int serverIndex;
    private final String id;
    private final ClientEndpoint endpoint;
    private final ProcedureDriver<ClientEndpoint.Action> driver;
    private final Map<Long, CompletableFuture<?>> calls = new HashMap<>();
    private final Map<Long, Request> requests = new HashMap<>();
    private final Map<Long, RendezvousIo> rendezvous = new HashMap<>();
    /** The relayed connections' links, by relayed session id. */
    private final Map<Integer, RelayLink> links = new HashMap<>();
    /** The FAST runs in flight, by call. */
    private final Map<Long, FastIo> fastRuns = new HashMap<>();
    /** The FAST runs whose punch listens, by {@link #route} (their punch port, the peer's IP): where accepts go. */
    private final Map<Long, FastIo> fastRoutes = new HashMap<>();
    /** Each FAST request's own punch port (its listener), by call, while the call runs. */
    private final Map<Long, Acceptor> requestPorts = new HashMap<>();
    /**
     * Connections the punch port accepted from a peer whose FAST run does not listen yet: its go
     * is still on the way (the peer's SYN left at the same instant as ours, on a path shorter than
     * our go's). The kernel completed their handshake, so the peer's connect has won: refusing
     * them would break the connection it took. Held until that run listens, at most
     * {@link #HELD_ACCEPTS} of them and {@link #HELD_ACCEPT_NS} each.
     */
    private final Map<Long, Held> heldAccepts = new HashMap<>();

    /** A kept connection and the timer that refuses it if no run takes it. */
    private record Held(Incoming connection, io.xstunt.engine.loop.DeadlineTimers.Timer expiry) {
    }
    static final int HELD_ACCEPTS = 16;
    static final long HELD_ACCEPT_NS = 2_000_000_000L;
    /** FAST's punch port, reserved before the registration. */
    private final PunchPort punch;
    private volatile Consumer<Rendezvous> onConnected;
    private volatile Consumer<Throwable> onError;

    private StuntClient(Network network, ClientConfig config, String id, Registration.Outcome outcome, Connection log,
                        PunchPort punch) {
        this.network = network;
        this.punch = punch;
        punch.owner = this;
        this.config = config;
        this.id = id;
        this.endpoint = new ClientEndpoint(id, config, outcome);
        this.endpoint.useIpv6(Ipv6Race.localEndpoint(network, config.ipv6()));
        this.driver = new ProcedureDriver<>(network, endpoint, this::carryOut);
        log.listener(driver.listener(0));
        driver.attach(0, log);
        driver.feed(endpoint::start);
        if (punch.port() != 0) {
            driver.feed(now -> endpoint.fastReady(punch.port(), now));
        }
    }

    /**
     * FAST's punch port, with the FAST or RACE strategy: a listener on a fresh port (SO_REUSEADDR,
     * SO_REUSEPORT) reserved before the registration that announces it and kept for the client's
     * life, so that the port the server was told stays ours; its accepts go to the FAST run of the
     * peer they come from. Without it (or with a server that does not offer FAST) the client
     * speaks RACE.
     */
    private static final class PunchPort {
        final Acceptor acceptor;
        StuntClient owner;

        PunchPort(Network network, ClientConfig config, String id) {
            Acceptor a = null;
            // a client that asks for the relay only is relayed, never punched: it speaks RACE (whose
            // control channel carries the relay's negotiation), and the server gives its peers no go
            // capability is not preference: a RACE client reserves one as well, so that a FAST peer's
            // request to it gets a go (its own XConnect calls stay RACE); ORIGINAL keeps the original sequence
            if (config.punchStrategy() != PunchStrategy.ORIGINAL && config.extensions()
                    && config.relayMode() != io.xstunt.engine.wire.RelayFrame.Mode.RELAY_ONLY) {
                try {
                    a = network.listen(SocketSpec.shared(config.localAddress(), 0, true), 8, (l, in) -> {
                        if (owner == null) {
                            in.refuse();
                        } else {
                            owner.routeAccept(l.address().getPort(), in);
                        }
                    });
                } catch (IOException | RuntimeException e) {
                    LOG.info("client '{}': no FAST punch port ({}); connecting with RACE", id, e.toString());
                }
            }
            this.acceptor = a;
        }

        /** @return the port, 0 without one */
        int port() {
            return acceptor == null ? 0 : acceptor.address().getPort();
        }

        void close() {
            if (acceptor != null) {
                acceptor.close();
            }
        }
    }

    /** @return the routing key of a punch port and a peer IP */
    private static long route(int localPort, int peerIp) {
        return (long) localPort << 32 | (peerIp & 0xffffffffL);
    }

    /** A FAST punch port ({@code localPort}) accepted {@code in}: to the run that punches from there to that peer. */
    private void routeAccept(int localPort, Incoming in) {
        InetSocketAddress from = in.remoteAddress();
        long key = route(localPort, from == null ? 0 : Ipv4.toInt(from.getAddress()));
        FastIo io = fastRoutes.get(key);
        if (io != null) {
            io.accepted(in);
        } else if (from != null && heldAccepts.size() < HELD_ACCEPTS && !heldAccepts.containsKey(key)) {
            in.keep();
            heldAccepts.put(key, new Held(in, network.scheduleAt(network.nowNs() + HELD_ACCEPT_NS, () -> {
                Held h = heldAccepts.get(key);
                if (h != null && h.connection() == in) {
                    heldAccepts.remove(key);
                    LOG.info("client '{}': no FAST run took the connection from {} on the punch port", id, from);
                    in.refuse();
                }
            })));
        } else {
            LOG.info("client '{}': refused a connection from {} on the FAST punch port", id, from);
            in.refuse();
        }
    }

    private void startFast(ClientEndpoint.Action.StartFast s) {
        long call = s.call();
        Acceptor own = requestPorts.get(call);
        int port = own != null ? own.address().getPort() : punch.port();
        fastRuns.put(call, FastIo.start(network, config, s.go(), port, s.startNs(),
                s.deadlineNs(), new FastIo.Outcome() {
                    @Override
                    public void connected(Rendezvous r) {
                        fastRuns.remove(call);
                        driver.feed(now -> endpoint.handleFastConnected(call, s.go().session(), r, now));
                    }

                    @Override
                    public void failedOver(int session, String reason, Map<String, Duration> phases) {
                        fastRuns.remove(call);
                        endFastPorts(call, port, s.go().peerIp());
                        driver.feed(now -> endpoint.handleFastFailedOver(call, session, reason, phases, now));
                    }

                    @Override
                    public void routeAccepts(FastIo io, boolean on) {
                        long key = route(io.punchPort(), io.go().peerIp());
                        if (on) {
                            fastRoutes.put(key, io);
                            Held held = heldAccepts.remove(key);
                            if (held != null) {
                                held.expiry().cancel();
                                io.accepted(held.connection()); // the race runs: its start is applied before its actions
                            }
                        } else {
                            fastRoutes.remove(key, io);
                        }
                    }
                }));
    }

    /**
     * A FAST run of {@code call} from {@code port} to the peer at {@code peerIp} is over without a
     * connection (it failed over, or the pair's normal session took over): RACE serves the pair
     * now. The request's own port is closed at once, not when the call ends, and a connection from
     * the peer held on the port is refused: a late SYN of the peer's punch must get a RST, not a
     * handshake that this listening port completes and nobody takes. The peer would count it as
     * FAST's win and leave the normal session's control channel (NAT lab scenario 8: the RACE of
     * the side that failed over lost its control channel in SYNC_AWAIT_ECHO).
     */
    private void endFastPorts(long call, int port, int peerIp) {
        Acceptor own = requestPorts.remove(call);
        if (own != null) {
            own.close();
        }
        Held held = heldAccepts.remove(route(port, peerIp));
        if (held != null) {
            held.expiry().cancel();
            held.connection().refuse();
        }
    }

    /**
     * XInit on {@code loop}: connects to the log service, probes the NAT unless a valid fingerprint
     * is cached, and registers {@code id}. An empty or invalid ID fails with ERR_DUPLICATE_ID, as
     * the reference specifies for the empty ID. Other errors: ERR_CONNECT (log service unreachable),
     * ERR_VERSION, ERR_DUPLICATE_ID (taken), ERR_PROBE, ERR_RECEIVE (server closed or sent garbage),
     * ERR_TIMEOUT (no answer within the echo timeout).
     */
    public static CompletableFuture<StuntClient> register(EventLoop loop, ClientConfig config, String id) {
        return register(new NioNetwork(Objects.requireNonNull(loop, "loop")), config, id);
    }

    /** Like {@link #register(EventLoop, ClientConfig, String)}, on any network (tests: a simulated one). */
    public static CompletableFuture<StuntClient> register(Network network, ClientConfig config, String id) {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(config, "config");
        CompletableFuture<StuntClient> result = new CompletableFuture<>();
        try {
            ClientId.validate(id, config.wireVariant());
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_DUPLICATE_ID, 0, e.getMessage()));
            return result;
        }
        // XReadFingerprint is file I/O: never on the network's thread
        network.executeBlocking("xstunt-fingerprint-read", () -> {
            Fingerprint cached = FingerprintFile.read(config.fingerprintFile()).orElse(null);
            try {
                network.execute(() -> {
                    PunchPort punch = new PunchPort(network, config, id);
                    RegistrationIo.start(network, config, id, cached, punch.port(), new RegistrationIo.Outcome() {
                    @Override
                    public void registered(Registration.Outcome o, Connection log, CompletableFuture<Void> stored) {
                        StuntClient client = new StuntClient(network, config, id, o, log, punch);
                        stored.whenComplete((v, e) -> network.execute(() -> {
                            if (!result.complete(client)) {
                                client.close();
                            }
                        }));
                    }

                    @Override
                    public void failed(Failure error) {
                        punch.close();
                        result.completeExceptionally(error);
                    }
                    });
                });
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new Failure(ErrorStat.ERR_FAIL, 0, "the event loop is closed"));
            }
        });
        return result;
    }

    /**
     * XConnect: a direct connection to {@code peerId}, bounded by {@code timeout} (the comm
     * answer is also bounded by the comm timeout). Errors: ERR_MATCH (unknown, busy or self),
     * ERR_SAME_NAT (detail: the peer's local IPv4, see {@link Failure#peerLocalAddress()}),
     * ERR_COMM_TIMEOUT, ERR_CONNECT, ERR_TIMEOUT (no announcement), then the rendezvous errors of
     * {@link RendezvousProcedure}: before its asymmetric phase ERR_CONNECT, ERR_ECHO_TIMEOUT,
     * ERR_SYN_*; in it ERR_ASYMCLIENT with the step's code as detail (ERR_PREDICT, ERR_ADDRPORT_*,
     * ERR_HAIRPIN, ERR_ASYM_TIMEOUT if the punch does not complete before the deadline,
     * ERR_TRYCONNECT with the ORIGINAL strategy, ERR_RECEIVE on a peer's ABORT, ...).
     */
    public CompletableFuture<Rendezvous> connect(String peerId, Duration timeout) {
        CompletableFuture<Rendezvous> result = new CompletableFuture<>();
        try {
            ClientId.validate(peerId, config.wireVariant());
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_MATCH, 0, e.getMessage()));
            return result;
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            result.completeExceptionally(new IllegalArgumentException("timeout must be positive, got " + timeout));
            return result;
        }
        call(result, (call, now) -> endpoint.connect(call, peerId, timeout.toNanos(), requestPort(call, result), now));
        return result;
    }

    /**
     * XListen: completes with an incoming connection that has come up, or waits up to
     * {@code timeout} for one whose procedure is under way; fails at once with ERR_TIMEOUT when
     * no request is pending. An incoming procedure that fails while this call waits fails it
     * with that procedure's error: ERR_CONNECT, ERR_ECHO_TIMEOUT, ERR_SYN_* before its asymmetric
     * phase; in it ERR_ASYMSERVER with the step's code as detail (ERR_PREDICT, ERR_ADDRPORT_*,
     * ERR_HAIRPIN, ERR_TIMEOUT if the punch does not complete within the listen timeout,
     * ERR_CONNECT with the ORIGINAL strategy, ERR_RECEIVE on a peer's ABORT, ...).
     */
    public CompletableFuture<Rendezvous> listen(Duration timeout) {
        CompletableFuture<Rendezvous> result = new CompletableFuture<>();
        long timeoutNs = timeout == null || timeout.isNegative() ? 0 : timeout.toNanos();
        call(result, (call, now) -> endpoint.listen(call, timeoutNs, now));
        return result;
    }

    /**
     * Sets a callback for every incoming connection (instead of polling {@link #listen}); failed
     * incoming procedures go to {@code onError}. Null removes it. Connections that came up
     * before the callback was set are handed to it at once.
     */
    public void onIncoming(Consumer<Rendezvous> onConnected, Consumer<Throwable> onError) {
        this.onConnected = onConnected;
        this.onError = onError;
        network.execute(() -> driver.feed(now -> endpoint.useCallback(onConnected != null, now)));
    }

    /**
     * XDeRegister: sends MSG_DEREGISTER for this client's ID and closes the log connection.
     * Errors: ERR_CONNECT (comm service unreachable or the client is closed), ERR_SEND,
     * ERR_COMM_TIMEOUT. The client is closed afterwards either way.
     */
    public CompletableFuture<Void> deregister() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        call(result, endpoint::deregister);
        return result;
    }

    /**
     * A FAST request's own punch port, open until the call ends (so that two connections of one
     * pair never share a 4-tuple: the listener punches from its registration's port); 0 without
     * FAST, or if none can be opened (the request then punches from the registration's port).
     */
    private int requestPort(long call, CompletableFuture<?> result) {
        if (punch.port() == 0 || !endpoint.fastAvailable()) {
            return 0;
        }
        Acceptor a;
        try {
            a = network.listen(SocketSpec.shared(config.localAddress(), 0, true), 4,
                    (l, in) -> routeAccept(l.address().getPort(), in));
        } catch (IOException | RuntimeException e) {
            LOG.info("client '{}': no port of its own for a FAST request ({}); punching from {}", id, e.toString(),
                    punch.port());
            return 0;
        }
        requestPorts.put(call, a);
        result.whenComplete((v, e) -> network.execute(() -> {
            Acceptor own = requestPorts.remove(call);
            if (own != null) {
                own.close();
            }
        }));
        return a.address().getPort();
    }

    /** A call of the endpoint's, numbered, with its future. */
    @FunctionalInterface
    private interface CallInput {
        void feed(long call, long nowNs);
    }

    private void call(CompletableFuture<?> result, CallInput input) {
        try {
            network.execute(() -> {
                long call = endpoint.nextCall();
                calls.put(call, result);
                result.whenComplete((v, e) -> calls.remove(call));
                driver.feed(now -> input.feed(call, now));
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_FAIL, 0, "the event loop is closed"));
        }
    }

    @SuppressWarnings("unchecked")
    private void carryOut(ClientEndpoint.Action a) {
        switch (a) {
            case ClientEndpoint.Action.Request r -> {
                Request req = new Request(r.call(), r.msg());
                requests.put(r.call(), req);
                req.driver.feed(req.procedure::start);
            }
            case ClientEndpoint.Action.AbortRequest r -> {
                Request req = requests.get(r.call());
                if (req != null) {
                    req.driver.feed(now -> req.procedure.abort(r.error()));
                }
            }
            case ClientEndpoint.Action.StartRendezvous s -> startRendezvous(s);
            // bounded by the probe's own timeouts; a client closed meanwhile ignores the result
            case ClientEndpoint.Action.Reprobe r -> EchoProbeIo.start(network, config, endpoint.outcome().serverInfo(),
                    new EchoProbeIo.Outcome() {
                        @Override
                        public void done(EchoProbe.Action.Done d) {
                            driver.feed(now -> endpoint.handleReprobed(r.session(), d.nature(), now));
                        }

                        @Override
                        public void failed(Failure error) {
                            driver.feed(now -> endpoint.handleReprobeFailed(r.session(), error, now));
                        }
                    });
            case ClientEndpoint.Action.AbortRendezvous r -> {
                RendezvousIo io = rendezvous.get(r.call());
                if (io != null) {
                    io.abort(r.error());
                }
            }
            case ClientEndpoint.Action.Complete c -> {
                CompletableFuture<Rendezvous> f = (CompletableFuture<Rendezvous>) calls.get(c.call());
                if (f == null || !f.complete(c.result())) {
                    c.result().closeQuietly(); // the caller stopped waiting
                }
            }
            case ClientEndpoint.Action.Fail f -> {
                CompletableFuture<?> future = calls.get(f.call());
                if (future != null) {
                    future.completeExceptionally(f.error());
                }
            }
            case ClientEndpoint.Action.Deregistered d -> {
                CompletableFuture<Void> f = (CompletableFuture<Void>) calls.get(d.call());
                if (f != null) {
                    f.complete(null);
                }
            }
            case ClientEndpoint.Action.Deliver d -> {
                Consumer<Rendezvous> c = onConnected;
                if (c != null) {
                    c.accept(d.result());
                } else {
                    d.result().closeQuietly();
                }
            }
            case ClientEndpoint.Action.DeliverFailure d -> {
                Consumer<Throwable> c = onError;
                if (c != null) {
                    c.accept(d.error());
                } else {
                    LOG.info("client '{}': an incoming connection failed: {}", id, d.error().getMessage());
                }
            }
            case ClientEndpoint.Action.Discard d -> d.result().closeQuietly();
            case ClientEndpoint.Action.Register r -> registerAgain();
            case ClientEndpoint.Action.StartFast f -> startFast(f);
            case ClientEndpoint.Action.AbortFast f -> {
                FastIo io = fastRuns.remove(f.call());
                if (io != null) {
                    io.abort();
                    endFastPorts(f.call(), io.punchPort(), io.go().peerIp());
                }
            }
            case ClientEndpoint.Action.RelayEnded e -> {
                RelayLink link = links.remove(e.notice().session());
                if (link != null) {
                    link.endedFuture().complete(e.notice());
                }
            }
            case ClientEndpoint.Action.Offer o -> {
                RelayLink link = links.get(o.session());
                if (link == null || !link.offer().complete(o.result())) {
                    o.result().closeQuietly();
                }
            }
        }
    }

    /** One comm request of the endpoint's on its driver; its outcome goes back to the endpoint. */
    private final class Request implements Consumer<CommRequest.Action> {
        final long call;
        final CommRequest procedure;
        final ProcedureDriver<CommRequest.Action> driver;

        Request(long call, Msg msg) {
            this.call = call;
            this.procedure = new CommRequest(msg, config.wireVariant(), config.commTimeout());
            this.driver = new ProcedureDriver<>(network, procedure, this);
        }

        @Override
        public void accept(CommRequest.Action action) {
            switch (action) {
                case CommRequest.Action.Connect c -> driver.connect(0, SocketSpec.service(config.serviceLocalAddress()),
                        new InetSocketAddress(config.serverIp1(), config.commPort()));
                case CommRequest.Action.Answered r -> done(now -> endpoint.handleAnswered(call, r.value(), now));
                case CommRequest.Action.Delivered r -> done(now -> endpoint.handleDelivered(call, now));
                case CommRequest.Action.Failed f -> done(now -> endpoint.handleRequestFailed(call, f.error(), now));
            }
        }

        private void done(java.util.function.LongConsumer report) {
            requests.remove(call);
            StuntClient.this.driver.feed(report);
        }
    }

    private void startRendezvous(ClientEndpoint.Action.StartRendezvous s) {
        Registration.Outcome o = endpoint.outcome();
        boolean randomNat = o.fingerprint().increment() == io.xstunt.engine.wire.Protocol.RANDOM_INCREMENT;
        InetSocketAddress peerIpv6 = endpoint.takePeerIpv6(s.session());
        Ipv6Race.Plan ipv6 = peerIpv6 == null || endpoint.localIpv6() == null ? null
                : new Ipv6Race.Plan(endpoint.localIpv6(), peerIpv6, config.ipv6().headStart());
        // with an IPv6 path to race, HELLO does not say "random": two random NATs would be relayed at
        // once, before any punch, and so before IPv6 could connect them (the OFFER still tells the truth)
        RelayPlan plan = new RelayPlan((s.announceFlags() & RelayFrame.ANNOUNCE_RELAY) != 0, config.relayMode(),
                randomNat && ipv6 == null, s.upgradeOf(), s.session());
        // the sweep's frames only where the server said it forwards them; a way back to direct
        // offers none (its peer learns it is one only later, so both still read the frames)
        SweepFrame.Offer offer = (s.announceFlags() & SweepFrame.ANNOUNCE_SWEEP) == 0 ? null
                : s.upgradeOf() == 0 ? config.sweep().offer(randomNat) : SweepBudget.OFF.offer(randomNat);
        RendezvousProcedure p = new RendezvousProcedure(s.initiator(), config.punchStrategy().pipelined(), s.control(),
                EchoProbe.endpoints(o.serverInfo())[0], o.fingerprint().increment(), config.echoTimeout(),
                s.deadlineNs(), s.priorPhases(), plan, offer);
        long call = s.call();
        rendezvous.put(call, RendezvousIo.start(network, config, s.peerId(), p, ipv6, o.publicIp(),
                new RendezvousIo.Outcome() {
            @Override
            public void connected(Rendezvous r) {
                rendezvous.remove(call);
                if (r.relay() != null) {
                    RelayLink link = r.relay();
                    links.put(link.session(), link);
                    link.wire(() -> network.execute(() -> driver.feed(now -> endpoint.wantOffers(link.session(), now))),
                            () -> network.execute(() -> driver.feed(now -> endpoint.tryDirect(link.session(), now))));
                }
                driver.feed(now -> endpoint.handleRendezvousDone(call, r, now));
            }

            @Override
            public void failed(Failure error) {
                rendezvous.remove(call);
                driver.feed(now -> endpoint.handleRendezvousFailed(call, error, p.upgradeOf(), now));
            }
        }));
    }

    /**
     * Registers the same ID again with the fingerprint in use, on the server whose turn it is; the
     * endpoint hears how it went. A try that fails moves on to the next server of
     * {@link ClientConfig#servers()} for the next try. On a server other than the one it held the
     * ID on, a client with a holder token first frees its ID there with MSG_DEREGISTER and that
     * token: with servers sharing one registry, its record (its home server died) is taken over at
     * once instead of after the record's lease.
     */
    private void registerAgain() {
        List<ClientConfig.ServerPair> servers = config.servers();
        ClientConfig.ServerPair target = servers.get(serverIndex % servers.size());
        ClientConfig.ServerPair previous = new ClientConfig.ServerPair(config.serverIp1(), config.serverIp2());
        long token = endpoint.holderToken();
        if (target.equals(previous) || token == 0) {
            register(target);
            return;
        }
        LOG.info("client '{}': failing over to server {}; freeing its ID there with its holder token", id, target);
        new TakeOver(target, token).start();
    }

    /** MSG_DEREGISTER of this client's ID with its holder token on {@code target}, then the registration there. */
    private final class TakeOver implements Consumer<CommRequest.Action> {
        final ClientConfig.ServerPair target;
        final ClientConfig there;
        final CommRequest procedure;
        final ProcedureDriver<CommRequest.Action> takeOverDriver;

        TakeOver(ClientConfig.ServerPair target, long token) {
            this.target = target;
            this.there = config.withServer(target);
            this.procedure = new CommRequest(Msg.deregister(id).withToken(token), there.wireVariant(),
                    there.commTimeout());
            this.takeOverDriver = new ProcedureDriver<>(network, procedure, this);
        }

        void start() {
            takeOverDriver.feed(procedure::start);
        }

        @Override
        public void accept(CommRequest.Action a) {
            switch (a) {
                case CommRequest.Action.Connect c -> takeOverDriver.connect(0,
                        SocketSpec.service(there.serviceLocalAddress()), new InetSocketAddress(target.ip1(), there.commPort()));
                // freed or not (nothing to free there, or that server is down too): the registration tells
                case CommRequest.Action.Answered r -> register(target);
                case CommRequest.Action.Delivered r -> register(target);
                case CommRequest.Action.Failed f -> register(target);
            }
        }
    }

    private void register(ClientConfig.ServerPair target) {
        ClientConfig there = config.withServer(target);
        Fingerprint fingerprint = endpoint.outcome().fingerprint();
        RegistrationIo.start(network, there, id, fingerprint, punch.port(), new RegistrationIo.Outcome() {
            @Override
            public void registered(Registration.Outcome o, Connection log, CompletableFuture<Void> stored) {
                if (driver.connection(0) != null) {
                    // cannot happen (the endpoint asks only once its connection is gone): say so, not hang
                    log.closeSilently();
                    driver.feed(now -> endpoint.handleRegisterFailed(new Failure(ErrorStat.ERR_FAIL, 0,
                            "registered again while the old log connection was still open"), now));
                    return;
                }
                log.listener(driver.listener(0));
                driver.attach(0, log);
                config = there;
                driver.feed(now -> endpoint.handleRegistered(o, now));
            }

            @Override
            public void failed(Failure error) {
                serverIndex = (serverIndex + 1) % config.servers().size(); // the next try goes to the next server
                driver.feed(now -> endpoint.handleRegisterFailed(error, now));
            }
        });
    }

    /** @return the registered ID */
    public String id() {
        return id;
    }

    /** @return the NAT fingerprint used (probed now or read from the file) */
    public Fingerprint fingerprint() {
        return ask(() -> endpoint.outcome().fingerprint());
    }

    /** @return true if the fingerprint was read from the file instead of probed */
    public boolean fingerprintCached() {
        return ask(() -> endpoint.outcome().cached());
    }

    /**
     * @return what the NAT probe of this registration saw (XCheckConeTCP's local port and public
     *     addresses), or null when the fingerprint came from the file
     */
    public NatAnalysis.ProbeRun probeRun() {
        return ask(() -> endpoint.outcome().probeRun());
    }

    /** @return the server's ServerInfo as received at registration */
    public ServerInfo serverInfo() {
        return ask(() -> endpoint.outcome().serverInfo());
    }

    /** @return this client's public IPv4 as the server sees it */
    public Inet4Address publicAddress() {
        return ask(() -> Ipv4.toAddress(endpoint.outcome().publicIp()));
    }

    /** @return elapsed time of each registration phase (connect, register, probe, total) */
    public Map<String, Duration> registrationPhases() {
        return ask(() -> endpoint.outcome().phases());
    }

    /**
     * @return how many times this client registered: 1, plus one per automatic re-registration
     *     after losing the server ({@link ClientConfig#autoReRegister()})
     */
    public int registrations() {
        return ask(endpoint::registrations);
    }

    /** @return true while registered (the log connection is up) */
    public boolean isRegistered() {
        return ask(endpoint::registered);
    }

    /** Reads endpoint state from any thread (bounded wait off the network's thread). */
    private <T> T ask(Supplier<T> q) {
        if (network.inThread()) {
            return q.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            network.execute(() -> f.complete(q.get()));
            return f.get(CROSS_THREAD_WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            throw new IllegalStateException("the event loop did not answer", e);
        }
    }

    /** Closes the log connection and every procedure in flight (no MSG_DEREGISTER). */
    @Override
    public void close() {
        try {
            network.execute(() -> {
                driver.feed(endpoint::close);
                punch.close();
                for (Held h : heldAccepts.values()) {
                    h.expiry().cancel();
                    h.connection().refuse();
                }
                heldAccepts.clear();
            });
        } catch (RejectedExecutionException e) {
            // the loop is closed: it closed every channel and dropped every timer already
        }
    }
}
