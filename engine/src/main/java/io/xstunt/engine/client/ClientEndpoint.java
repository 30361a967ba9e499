package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.proc.EarliestDeadline;
import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.FastRefusal;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered client's own logic, without I/O ({@link Procedure}, one connection: the IDLE log
 * connection): the calls in flight (XConnect's {@link ConnectCall stages}, XListen's
 * {@link ListenQueue}, the incoming rendezvous, XDeRegister), the routing of the session
 * announcements the server writes on the log connection, the keepalive, and what happens when the
 * server is lost (every call fails; with {@link ClientConfig#autoReRegister()} the ID is
 * registered again, {@link ReRegistration}).
 *
 * <p>Calls are numbered ({@link #nextCall()}); the owner runs what the actions ask (a comm
 * request, a rendezvous, a registration) and reports each outcome with its number. The owner's
 * futures and callbacks hear the results through {@link Action.Complete}, {@link Action.Fail},
 * {@link Action.Deregistered}, {@link Action.Deliver} and {@link Action.DeliverFailure}.
 *
 * <p>Announcements are read as the original reads them: any record with a control address is one,
 * whatever its role byte and peer ID (odd values are logged, never fatal); a record without an
 * address is the server's keepalive. An announcement goes to the call it is made for: an XConnect
 * that waits for one, else the listener side of a rendezvous, started at once and bounded by
 * {@link ClientConfig#listenTimeout()}, whose outcome goes to the callback if one is set
 * ({@link #useCallback}), else to the queue that XListen polls. With several calls in flight, the
 * role and peer fields choose ({@link #callFor}; docs/PROTOCOL.md, "Announcements").
 */
final class ClientEndpoint extends Procedure<ClientEndpoint.Action> {
    private static final Logger LOG = LoggerFactory.getLogger(ClientEndpoint.class);
    private static final byte[] KEEPALIVE = {'\n'};

    /** What the owner must do. */
    sealed interface Action {
        /** Run a {@link CommRequest} for {@code msg}; report its outcome for {@code call}. */
        record Request(long call, Msg msg) implements Action {
        }

        /**
         * Probe the NAT again before a try of the way back to direct for relayed session
         * {@code session} (this client's fingerprint says random: a NAT that became predictable
         * since would be mispredicted with it); report {@link #handleReprobed} or
         * {@link #handleReprobeFailed}.
         */
        record Reprobe(int session) implements Action {
        }

        /** Give up the comm request of {@code call} (its outcome is not wanted). */
        record AbortRequest(long call, Failure error) implements Action {
        }

        /**
         * Run a {@link RendezvousProcedure} for {@code call}: as initiator or listener, with the
         * session's {@code control} channel, until {@code deadlineNs}; report its outcome.
         * {@code announceFlags}: the announcement's extension flags ({@link RelayFrame#ANNOUNCE_RELAY},
         * {@link io.xstunt.engine.wire.SweepFrame#ANNOUNCE_SWEEP}).
         */
        record StartRendezvous(long call, boolean initiator, String peerId, InetSocketAddress control,
                               long deadlineNs, Map<String, java.time.Duration> priorPhases, int announceFlags,
                               int session, int upgradeOf) implements Action {
        }

        /** A relayed connection ended (the server's notice, or the log connection is gone). */
        record RelayEnded(RelayNotice notice) implements Action {
        }

        /** A direct connection to the peer of relayed session {@code session} came up: offer it. */
        record Offer(int session, Rendezvous result) implements Action {
        }

        /** Fail the rendezvous of {@code call} (it reports its failure as usual). */
        record AbortRendezvous(long call, Failure error) implements Action {
        }

        /** The XConnect or XListen call {@code call} has its connection. */
        record Complete(long call, Rendezvous result) implements Action {
        }

        /** The call {@code call} failed. */
        record Fail(long call, Failure error) implements Action {
        }

        /** The XDeRegister call {@code call} is done. */
        record Deregistered(long call) implements Action {
        }

        /** An incoming connection for the callback. */
        record Deliver(Rendezvous result) implements Action {
        }

        /** A failed incoming rendezvous for the callback (or the log, without one). */
        record DeliverFailure(Failure error) implements Action {
        }

        /** Close this connection: nobody wants it any more. */
        record Discard(Rendezvous result) implements Action {
        }

        /** Register the same ID again; report {@link #handleRegistered} or {@link #handleRegisterFailed}. */
        record Register() implements Action {
        }

        /**
         * Run a {@link FastIo} for {@code call} from {@code go}, until {@code deadlineNs}; report
         * {@link #handleRendezvousDone} or {@link #handleFastFailedOver}.
         *
         * @param startNs when the request left (initiator) or the go was read (listener)
         */
        record StartFast(long call, FastGo go, long startNs, long deadlineNs) implements Action {
        }

        /** Stop the FAST run of {@code call} quietly: a normal session took over, or the call ended. */
        record AbortFast(long call) implements Action {
        }
    }

    private final Outbound log = outbound(0);
    private final String id;
    private final ClientConfig config;
    private final Map<Long, ConnectCall> connects = new LinkedHashMap<>();
    private final Set<Long> incoming = new HashSet<>();
    /** XDeRegister calls whose MSG_DEREGISTER is in flight: each ends with its own request. */
    private final Set<Long> deregisters = new HashSet<>();
    private final ListenQueue listens = new ListenQueue();
    private final EarliestDeadline earliest = new EarliestDeadline();
    private final Keepalive keepalive = new Keepalive();
    private final Ipv6Peers ipv6 = new Ipv6Peers();
    private final ReRegistration reRegistration = new ReRegistration();
    private Registration.Outcome outcome;
    private long nextCall = 1;
    /** The latest time an input brought (for a failure reported without one). */
    private long lastNowNs;
    private Failure gone;
    private boolean closedByUser;
    private boolean callback;
    private int registrations = 1;
    /** The relayed connections this client holds, by session id: the way back to direct. */
    private final Map<Integer, RelayedPeer> relays = new LinkedHashMap<>();
    /** An announcement's relay flags, read before its Echo. */
    private int announceFlags;
    /** FAST's punch port (reserved by the owner for the registration's life), 0 while FAST is off. */
    private int punchPort;
    /** The calls whose FAST run is in flight. */
    private final Set<Long> fastRunning = new HashSet<>();
    /** The incoming FAST runs by peer ID: a normal session with that peer replaces its run. */
    private final Map<String, Long> fastIncoming = new LinkedHashMap<>();

    /**
     * The back-to-direct schedule: the first look this long after the application asks for
     * offers (the XListen side half as long again, so that both sides rarely ask at once), then
     * doubling up to {@link #DIRECT_RETRY_MAX}.
     */
    static final long DIRECT_RETRY_FIRST_NS = 10_000_000_000L;
    /** The longest wait between two looks for a direct path. */
    static final long DIRECT_RETRY_MAX_NS = 300_000_000_000L;

    /** A relayed connection's way back to direct. */
    private static final class RelayedPeer {
        final String peerId;
        final boolean initiator;
        boolean wanted;
        boolean inFlight;
        boolean offered;
        long nextNs;
        long backoffNs;

        RelayedPeer(String peerId, boolean initiator) {
            this.peerId = peerId;
            this.initiator = initiator;
        }
    }

    /** @param outcome the registration that made this client (its log connection is connection 0) */
    ClientEndpoint(String id, ClientConfig config, Registration.Outcome outcome) {
        super(1);
        this.id = Objects.requireNonNull(id, "id");
        this.config = Objects.requireNonNull(config, "config");
        adopt(outcome);
    }

    private void adopt(Registration.Outcome o) {
        this.outcome = o;
    }

    /**
     * The local IPv6 endpoint to register (A6 line) with a server that answered the extensions;
     * call before {@link #start}. Null: none.
     */
    void useIpv6(InetSocketAddress endpoint) {
        ipv6.useLocal(endpoint);
    }

    /** @return this client's IPv6 endpoint (registered with the server), or null */
    InetSocketAddress localIpv6() {
        return ipv6.local();
    }

    /** @return the IPv6 endpoint the server gave for the peer of {@code session} (taken once), or null */
    InetSocketAddress takePeerIpv6(int session) {
        return ipv6.takePeer(session);
    }

    /** Starts: the keepalive, if the server asked for one; the IPv6 endpoint, if any. */
    void start(long nowNs) {
        keepalive.start(outcome.serverInfo().keepaliveSec(), nowNs);
        ipv6.register(log, outcome.serverInfo());
        nextDeadline();
    }

    /**
     * FAST's punch port, announced with the registration (its capability line follows LogState):
     * with a server that offers FAST ({@link Protocol#EXT_FLAG_FAST}) and the FAST strategy, this
     * client's XConnect calls go as FAST requests from now on.
     */
    void fastReady(int port, long nowNs) {
        punchPort = port;
    }

    /**
     * @return true if the server may give this client a FAST go now: it has a punch port and the
     *     server offers FAST (whatever its own strategy: capability is not preference, a RACE
     *     client is a FAST peer's listener); then it answers the server's keepalives at once
     */
    private boolean fastCapable() {
        return punchPort != 0 && gone == null && (outcome.serverInfo().extFlags() & Protocol.EXT_FLAG_FAST) != 0;
    }

    /** @return true if XConnect goes as a FAST request now */
    boolean fastAvailable() {
        return fastCapable() && config.punchStrategy() == PunchStrategy.FAST;
    }

    /** @return a new call number */
    long nextCall() {
        return nextCall++;
    }

    /** @return the registration in use */
    Registration.Outcome outcome() {
        return outcome;
    }

    /** @return how many times this client registered: 1, plus one per registration after losing the server */
    int registrations() {
        return registrations;
    }

    /** @return true while registered (the log connection is up) */
    boolean registered() {
        return gone == null;
    }

    // ---- the user's calls

    /** XConnect to {@code peerId}, bounded by {@code timeoutNs}; a FAST request punches from the registration's port. */
    void connect(long call, String peerId, long timeoutNs, long nowNs) {
        connect(call, peerId, timeoutNs, punchPort, nowNs);
    }

    /**
     * XConnect to {@code peerId}, bounded by {@code timeoutNs}; a FAST request punches from
     * {@code requestPort}, a port of its own (so that two connections of one pair never share a
     * 4-tuple), or the registration's punch port if 0.
     */
    void connect(long call, String peerId, long timeoutNs, int requestPort, long nowNs) {
        if (failIfGone(call)) {
            return;
        }
        ConnectCall c = new ConnectCall(peerId, nowNs, nowNs + timeoutNs);
        connects.put(call, c);
        if (fastAvailable()) {
            c.fastRequested(nowNs);
            log.send(new FastLine.Connect(peerId, requestPort != 0 ? requestPort : punchPort).encode());
        } else {
            emit(new Action.Request(call, Msg.connect(id, peerId).withToken(holderToken())));
        }
        nextDeadline();
    }

    /**
     * XListen: completes with a connection that came up, or waits up to {@code timeoutNs} for one
     * whose procedure is under way; fails at once with ERR_TIMEOUT when no request is pending.
     */
    void listen(long call, long timeoutNs, long nowNs) {
        Rendezvous done = listens.pollCompleted();
        if (done != null) {
            emit(new Action.Complete(call, done));
            return;
        }
        if (failIfGone(call)) {
            return;
        }
        if (incoming.isEmpty()) {
            emit(new Action.Fail(call, new Failure(ErrorStat.ERR_TIMEOUT, 0, "no connection request is pending")));
            return;
        }
        listens.addWaiter(call, nowNs + Math.max(0, timeoutNs));
        nextDeadline();
    }

    /** Incoming connections go to the callback from now on (true), or to XListen's queue (false). */
    void useCallback(boolean useIt, long nowNs) {
        callback = useIt;
        Rendezvous r;
        while (callback && (r = listens.pollCompleted()) != null) {
            emit(new Action.Deliver(r));
        }
    }

    /** XDeRegister: MSG_DEREGISTER for this ID, then the client closes either way. */
    void deregister(long call, long nowNs) {
        if (gone != null) {
            emit(new Action.Fail(call, new Failure(ErrorStat.ERR_CONNECT, 0, "not registered: " + gone.getMessage())));
            return;
        }
        closedByUser = true;
        deregisters.add(call);
        emit(new Action.Request(call, Msg.deregister(id).withToken(holderToken())));
    }

    /** Closes the log connection and every call in flight (no MSG_DEREGISTER). */
    void close(long nowNs) {
        closedByUser = true;
        reRegistration.cancel();
        shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client was closed"));
        nextDeadline();
    }

    /** @return the holder token the server issued (xstunt extension), 0 if none or the variant cannot carry it */
    long holderToken() {
        ServerInfo info = outcome.serverInfo();
        return info.hasToken() && config.wireVariant().msgCarriesToken() ? info.token() : 0;
    }

    // ---- what the owner reports

    /** The comm request of {@code call} was answered with {@code value}. */
    void handleAnswered(long call, int value, long nowNs) {
        ConnectCall c = connects.get(call);
        if (c == null || c.stage() != ConnectCall.Stage.COMM) {
            return;
        }
        Failure refused = CommRequest.connectAnswer(value, c.peerId);
        if (refused != null) {
            failBeforeRendezvous(call, refused, nowNs);
        } else if (c.answered(nowNs) != null) {
            startRendezvous(call, c, nowNs);
        }
        nextDeadline();
    }

    /** The comm request of {@code call}, which has no answer, was delivered. */
    void handleDelivered(long call, long nowNs) {
        if (deregisters.remove(call)) {
            shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client deregistered"));
            emit(new Action.Deregistered(call));
        }
        nextDeadline();
    }

    /** The comm request of {@code call} failed. */
    void handleRequestFailed(long call, Failure error, long nowNs) {
        if (deregisters.remove(call)) {
            shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client deregistered"));
            emit(new Action.Fail(call, error));
        } else if (connects.containsKey(call)) {
            failBeforeRendezvous(call, error, nowNs);
        }
        nextDeadline();
    }

    /**
     * The FAST punch of {@code call} found nothing: the fail-over line goes to the server, which
     * starts a normal session for the pair; the XConnect call waits for its announcement within its
     * own deadline (the phases so far go with it, prefixed {@code fast.}); an incoming run ends here,
     * the normal session's announcement starts the listener side anew.
     */
    void handleFastFailedOver(long call, int session, String reason, Map<String, java.time.Duration> phases,
                              long nowNs) {
        lastNowNs = nowNs;
        if (!fastRunning.remove(call)) {
            return;
        }
        if (gone == null) {
            log.send(new FastLine.FailOver(session, reason).encode());
        }
        ConnectCall c = connects.get(call);
        if (c != null) {
            phases.forEach((k, v) -> c.phases.put("fast." + k, v));
        } else {
            incoming.remove(call);
            fastIncoming.values().remove(call);
        }
        nextDeadline();
    }

    /**
     * The FAST punch of {@code call} (session {@code session}) won: the server hears it on the log
     * connection (its session ends, direct), then the call completes as a rendezvous does.
     */
    void handleFastConnected(long call, int session, Rendezvous result, long nowNs) {
        if (gone == null && fastRunning.contains(call)) {
            log.send(new FastLine.Done(session).encode());
        }
        handleRendezvousDone(call, result, nowNs);
    }

    /** The rendezvous of {@code call} produced its connection. */
    void handleRendezvousDone(long call, Rendezvous result, long nowNs) {
        lastNowNs = nowNs;
        fastRunning.remove(call);
        fastIncoming.values().remove(call);
        ConnectCall own = connects.get(call);
        if (own != null && own.upgradeOf != 0 && result.replaces() == 0) {
            // our own way back: the procedure was started with it (its result names it)
            result = new Rendezvous(result.channel(), result.peerId(), result.peerAddress(), result.initiator(),
                    result.phases(), result.path(), result.relayReason(), result.relay(), own.upgradeOf);
        }
        if (routedUpgrade(result)) {
            connects.remove(call);
            incoming.remove(call);
        } else if (connects.remove(call) != null) {
            emit(new Action.Complete(call, result));
        } else if (incoming.remove(call)) {
            incomingUp(result);
        } else {
            emit(new Action.Discard(result));
        }
        nextDeadline();
    }

    /** The rendezvous of {@code call} failed. */
    void handleRendezvousFailed(long call, Failure error, long nowNs) {
        handleRendezvousFailed(call, error, 0, nowNs);
    }

    /**
     * The rendezvous of {@code call} failed.
     *
     * @param upgradeOf the relayed session it was a way back to direct from (0: none): such a
     *     failure goes to the schedule, never to XListen
     */
    void handleRendezvousFailed(long call, Failure error, int upgradeOf, long nowNs) {
        lastNowNs = nowNs;
        if (connects.containsKey(call)) {
            fail(call, error);
        } else if (upgradeOf != 0 && incoming.remove(call)) {
            LOG.debug("client '{}': a way back to direct for relayed session {} failed: {}", id, upgradeOf,
                    error.getMessage());
        } else if (incomingFailed(call)) {
            ListenQueue.Waiter w = listens.pollWaiter();
            if (w != null) {
                emit(new Action.Fail(w.call(), error));
            } else {
                emit(new Action.DeliverFailure(error));
            }
        }
        nextDeadline();
    }

    /** @return true (a failure to deliver) if {@code call} was an incoming rendezvous; it is removed */
    private boolean incomingFailed(long call) {
        return incoming.remove(call);
    }

    /** Registered again after the server was lost; the new log connection is connection 0 already. */
    void handleRegistered(Registration.Outcome fresh, long nowNs) {
        if (closedByUser) {
            log.closeNow(); // closed meanwhile
            return;
        }
        log.reopen();
        adopt(fresh);
        gone = null;
        registrations++;
        reRegistration.succeeded();
        keepalive.start(fresh.serverInfo().keepaliveSec(), nowNs);
        ipv6.register(log, fresh.serverInfo());
        LOG.info("client '{}': registered again with the server", id);
        nextDeadline();
    }

    /** Registering again failed: the next try comes after a longer delay. */
    void handleRegisterFailed(Failure error, long nowNs) {
        if (closedByUser) {
            return;
        }
        long delayNs = reRegistration.schedule(nowNs);
        LOG.info("client '{}': registering again failed ({}); next try in {} ms", id, error.getMessage(),
                delayNs / 1_000_000);
        nextDeadline();
    }

    // ---- the log connection

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        keepalive.heard(nowNs);
        WireVariant variant = config.wireVariant();
        while (in.remaining() >= variant.echoSize()) {
            if (FastGo.at(in)) {
                onGo(FastGo.read(in, variant), nowNs);
                continue;
            }
            if (FastRefusal.at(in)) {
                onRefusal(FastRefusal.read(in, variant), nowNs);
                continue;
            }
            if (RelayNotice.at(in)) {
                relayEnded(RelayNotice.read(in, variant));
                continue;
            }
            if (ipv6.readPeer(in, variant)) {
                continue;
            }
            announceFlags = RelayFrame.announcementFlags(in);
            onRecord(Echo.read(in, variant), nowNs);
        }
    }

    private void onRecord(Echo e, long nowNs) {
        if (gone != null || e.hasNoAddress()) {
            if (fastCapable()) {
                log.send(KEEPALIVE.clone()); // answered at once: the server's round-trip sample for FAST
            }
            return; // the server's keepalive record (or its acknowledgement): no control channel to go to
        }
        Long call = callFor(e);
        if (call == null && e.role() == Protocol.ROLE_INITIATOR && rolesMarked()) {
            LOG.warn("client '{}': announcement of session {} with '{}' for an XConnect that waits for none (it"
                    + " gave up); ignored", id, e.connId(), e.peerId());
            return;
        }
        if (call == null) {
            if (e.role() != Protocol.ROLE_LISTENER || !e.peerIdValid()) {
                LOG.info("client '{}': announcement of session {} with role byte {} and peer '{}'{} taken for an"
                        + " incoming session, as XListen reads it", id, e.connId(), e.role() & 0xff, e.peerId(),
                        e.peerIdValid() ? "" : " (no valid ID field)");
            }
            listen(e, announceFlags, nowNs);
            return;
        }
        ConnectCall c = connects.get(call);
        if (e.role() != Protocol.ROLE_INITIATOR || !c.peerId.equals(e.peerId())) {
            LOG.info("client '{}': announcement of session {} with role byte {} and peer '{}'{} taken for XConnect"
                    + " to '{}', as XConnect reads it", id, e.connId(), e.role() & 0xff, e.peerId(),
                    e.peerIdValid() ? "" : " (no valid ID field)", c.peerId);
        }
        c.announceFlags = announceFlags;
        if (c.announced(e)) {
            startRendezvous(call, c, nowNs);
            nextDeadline();
        }
    }

    /** FAST's go: the initiator's starts the punch of its request, the listener's an incoming run. */
    private void onGo(FastGo go, long nowNs) {
        if (gone != null) {
            return;
        }
        if (go.initiator()) {
            Long call = fastCall(go.peerId());
            if (call == null) {
                LOG.info("client '{}': FAST go of session {} with '{}' for no request in flight; ignored", id,
                        go.session(), go.peerId());
                return;
            }
            ConnectCall c = connects.get(call);
            fastRunning.add(call);
            emit(new Action.StartFast(call, go, c.startNs, c.deadlineNs));
        } else {
            long call = nextCall();
            incoming.add(call);
            fastRunning.add(call);
            Long previous = fastIncoming.put(go.peerId(), call);
            if (previous != null && fastRunning.remove(previous)) {
                emit(new Action.AbortFast(previous));
                incoming.remove(previous);
            }
            emit(new Action.StartFast(call, go, nowNs, nowNs + config.listenTimeout().toNanos()));
        }
        nextDeadline();
    }

    /** A FAST request refused: the call fails as its MSG_CONNECT would have. */
    private void onRefusal(FastRefusal r, long nowNs) {
        Long call = fastCall(r.peerId());
        if (call == null) {
            return;
        }
        Failure refused = CommRequest.connectAnswer(r.answer(), r.peerId());
        failBeforeRendezvous(call, refused != null ? refused : new Failure(ErrorStat.ERR_MATCH, 0,
                "the server refused the FAST request for '" + r.peerId() + "'"), nowNs);
        nextDeadline();
    }

    /** @return the oldest FAST request to {@code peerId} without a run or a rendezvous, or null */
    private Long fastCall(String peerId) {
        for (Map.Entry<Long, ConnectCall> en : connects.entrySet()) {
            ConnectCall c = en.getValue();
            if (c.stage() == ConnectCall.Stage.FAST && c.peerId.equals(peerId) && !fastRunning.contains(en.getKey())) {
                return en.getKey();
            }
        }
        return null;
    }

    /**
     * The XConnect call an announcement is for, or null for the listener side. Among the calls
     * that wait for one: the call to the peer the record names, else the oldest the server
     * accepted (MSG_CONNECT answered 0), else the oldest. A record marked 'S' is the listener
     * side's from a server that marks roles ({@link #rolesMarked}); from any other server, only
     * while no waiting call is accepted yet: a server announces nothing but a client's own
     * session once it has accepted its MSG_CONNECT, and before that an incoming session may cross it.
     */
    private Long callFor(Echo e) {
        if (e.role() == Protocol.ROLE_LISTENER && rolesMarked()) {
            return null;
        }
        Long byPeer = null;
        Long accepted = null;
        Long oldest = null;
        for (Map.Entry<Long, ConnectCall> en : connects.entrySet()) {
            ConnectCall c = en.getValue();
            if (!c.awaitsAnnouncement()) {
                continue;
            }
            if (byPeer == null && e.peerIdValid() && c.peerId.equals(e.peerId())) {
                byPeer = en.getKey();
            }
            if (accepted == null && c.accepted()) {
                accepted = en.getKey();
            }
            if (oldest == null) {
                oldest = en.getKey();
            }
        }
        if (oldest == null || e.role() == Protocol.ROLE_LISTENER && accepted == null) {
            return null;
        }
        return byPeer != null ? byPeer : accepted != null ? accepted : oldest;
    }

    /**
     * @return true if the server marks the role of its announcements ('C' to the initiator, 'S' to
     *     the listener): an xstunt server, which answered the request for the extensions. What
     *     another server writes there is unknown; the original client never reads it.
     */
    private boolean rolesMarked() {
        return outcome.serverInfo().extFlags() != 0;
    }

    /**
     * Starts the listener side of the rendezvous that {@code e} announces (XListen, XAsymServer);
     * {@code flags}: the announcement's relay extension flags.
     */
    private void listen(Echo e, int flags, long nowNs) {
        Long fast = fastIncoming.remove(e.peerId());
        if (fast != null && fastRunning.remove(fast)) {
            emit(new Action.AbortFast(fast)); // the normal session of that pair takes over
            incoming.remove(fast);
        }
        long call = nextCall();
        incoming.add(call);
        InetSocketAddress control = new InetSocketAddress(config.controlAddress(e.ip()), e.port());
        LOG.debug("client '{}': session {} from '{}', control {}", id, e.connId(), e.peerId(), control);
        emit(new Action.StartRendezvous(call, false, e.peerId(), control,
                nowNs + config.listenTimeout().toNanos(), Map.of(), flags,
                e.connId(), 0));
    }

    private void startRendezvous(long call, ConnectCall c, long nowNs) {
        if (fastRunning.remove(call)) {
            emit(new Action.AbortFast(call)); // declined or failed over: the normal session takes over
        }
        Echo a = c.startRendezvous(nowNs);
        InetSocketAddress control = new InetSocketAddress(config.controlAddress(a.ip()), a.port());
        emit(new Action.StartRendezvous(call, true, c.peerId, control, c.deadlineNs, c.phases, c.announceFlags,
                a.connId(), c.upgradeOf));
    }

    private void relayEnded(RelayNotice n) {
        if (relays.remove(n.session()) != null) {
            emit(new Action.RelayEnded(n));
        }
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        if (gone == null) {
            lost(ioError, nowNs);
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        lastNowNs = nowNs;
        if (!expired(nowNs)) {
            return;
        }
        lookForDirect(nowNs);
        for (long call : listens.expire(nowNs)) {
            emit(new Action.Fail(call, new Failure(ErrorStat.ERR_TIMEOUT, 0,
                    "the incoming connection did not come up within the XListen timeout")));
        }
        List<Long> late = new ArrayList<>();
        connects.forEach((call, c) -> {
            if (c.timed() && nowNs - c.deadlineNs >= 0) {
                late.add(call);
            }
        });
        for (long call : late) {
            ConnectCall c = connects.get(call);
            if (c.stage() == ConnectCall.Stage.COMM) {
                emit(new Action.AbortRequest(call, c.timedOut()));
            }
            if (fastRunning.remove(call)) {
                emit(new Action.AbortFast(call));
            }
            failBeforeRendezvous(call, c.timedOut(), nowNs);
        }
        switch (keepalive.check(nowNs)) {
            case BEAT -> log.send(KEEPALIVE.clone());
            case SILENT -> {
                log.closeNow();
                lost("the server has been silent for " + keepalive.silentNs(nowNs) / 1_000_000 + " ms", nowNs);
            }
            case NOTHING -> { }
        }
        if (reRegistration.take(nowNs)) {
            emit(new Action.Register());
        }
        nextDeadline();
    }

    private void nextDeadline() {
        earliest.reset();
        listens.offerDeadlines(earliest);
        for (ConnectCall c : connects.values()) {
            if (c.timed()) {
                earliest.offer(c.deadlineNs);
            }
        }
        if (keepalive.active()) {
            earliest.offer(keepalive.nextBeatNs());
        }
        if (reRegistration.scheduled()) {
            earliest.offer(reRegistration.atNs());
        }
        if (gone == null) {
            for (RelayedPeer p : relays.values()) {
                if (p.wanted && !p.inFlight && !p.offered) {
                    earliest.offer(p.nextNs);
                }
            }
        }
        if (earliest.any()) {
            deadline(earliest.earliestNs());
        } else {
            clearDeadline();
        }
    }

    // ---- losing the server

    private void lost(String cause, long nowNs) {
        if (gone != null) {
            return;
        }
        LOG.warn("client '{}': the log connection to the server was lost{}", id, cause == null ? "" : ": " + cause);
        shutdown(new Failure(ErrorStat.ERR_RECEIVE, 0, "the log connection to the server was lost"
                + (cause == null ? "" : ": " + cause)));
        if (config.autoReRegister() && !closedByUser) {
            reRegistration.schedule(nowNs);
        }
        nextDeadline();
    }

    /** Fails everything in flight with {@code reason} and closes the log connection. */
    private void shutdown(Failure reason) {
        if (gone != null) {
            return;
        }
        gone = reason;
        keepalive.stop();
        for (Map.Entry<Long, ConnectCall> en : new ArrayList<>(connects.entrySet())) {
            long call = en.getKey();
            switch (en.getValue().stage()) {
                case RENDEZVOUS -> emit(new Action.AbortRendezvous(call, reason)); // fails through the rendezvous
                case COMM -> {
                    emit(new Action.AbortRequest(call, reason));
                    fail(call, reason);
                }
                case ANNOUNCE -> fail(call, reason);
                case FAST -> {
                    if (fastRunning.remove(call)) {
                        emit(new Action.AbortFast(call));
                    }
                    fail(call, reason);
                }
            }
        }
        for (long call : incoming) {
            emit(fastRunning.remove(call) ? new Action.AbortFast(call) : new Action.AbortRendezvous(call, reason));
        }
        fastIncoming.clear();
        for (ListenQueue.Waiter w : listens.drainWaiters()) {
            emit(new Action.Fail(w.call(), reason));
        }
        for (Rendezvous r : listens.drainCompleted()) {
            emit(new Action.Discard(r));
        }
        // the server's notices come on the log connection: without it, nobody will say how relays end
        for (int session : new ArrayList<>(relays.keySet())) {
            relayEnded(new RelayNotice(session, RelayNotice.End.UNKNOWN, 0, 0));
        }
        log.closeNow();
    }

    private void incomingUp(Rendezvous r) {
        if (gone != null) {
            emit(new Action.Discard(r));
            return;
        }
        ListenQueue.Waiter w = listens.pollWaiter();
        if (w != null) {
            emit(new Action.Complete(w.call(), r));
        } else if (callback) {
            emit(new Action.Deliver(r));
        } else {
            listens.addCompleted(r);
        }
    }

    private boolean failIfGone(long call) {
        if (gone == null) {
            return false;
        }
        emit(new Action.Fail(call, new Failure(ErrorStat.ERR_CONNECT, 0,
                "not connected to the server: " + gone.getMessage())));
        return true;
    }

    private void fail(long call, Failure error) {
        ConnectCall c = connects.remove(call);
        if (c != null && c.upgradeOf != 0) {
            upgradeFailed(c.upgradeOf, error);
            return;
        }
        emit(new Action.Fail(call, error));
    }

    /**
     * Fails an XConnect before its rendezvous. An announcement it took early (before its comm
     * answer) that does not say 'C' goes to the listener side: the original's XConnect would have
     * left it unread on the log connection, for XListen.
     */
    private void failBeforeRendezvous(long call, Failure error, long nowNs) {
        ConnectCall c = connects.get(call);
        fail(call, error);
        Echo early = c == null ? null : c.heldAnnouncement();
        if (early != null && early.role() != Protocol.ROLE_INITIATOR) {
            LOG.info("client '{}': announcement of session {} held for the failed XConnect to '{}' goes to the"
                    + " listener side", id, early.connId(), c.peerId);
            listen(early, c.announceFlags, nowNs);
        }
    }


    // ---- the relay extension: relayed connections and their way back to direct

    /** The application wants direct offers for relayed session {@code session}: the schedule starts. */
    void wantOffers(int session, long nowNs) {
        RelayedPeer p = relays.get(session);
        if (p == null || p.wanted || p.offered) {
            return;
        }
        p.wanted = true;
        p.backoffNs = DIRECT_RETRY_FIRST_NS;
        p.nextNs = nowNs + (p.initiator ? DIRECT_RETRY_FIRST_NS : DIRECT_RETRY_FIRST_NS * 3 / 2);
        nextDeadline();
    }

    /** Looks for a direct path for relayed session {@code session} now. */
    void tryDirect(int session, long nowNs) {
        wantOffers(session, nowNs);
        RelayedPeer p = relays.get(session);
        if (p != null && !p.inFlight && !p.offered) {
            p.nextNs = nowNs;
            lookForDirect(nowNs);
        }
        nextDeadline();
    }

    private void lookForDirect(long nowNs) {
        if (gone != null) {
            return;
        }
        for (Map.Entry<Integer, RelayedPeer> en : relays.entrySet()) {
            RelayedPeer p = en.getValue();
            if (p.wanted && !p.inFlight && !p.offered && nowNs - p.nextNs >= 0) {
                p.inFlight = true;
                if (outcome.fingerprint().increment() == Protocol.RANDOM_INCREMENT) {
                    emit(new Action.Reprobe(en.getKey()));
                } else {
                    requestDirect(en.getKey(), p, nowNs);
                }
            }
        }
    }

    /** The way back's MSG_CONNECT to the peer of relayed session {@code session}. */
    private void requestDirect(int session, RelayedPeer p, long nowNs) {
        long call = nextCall();
        connects.put(call, new ConnectCall(p.peerId, nowNs, nowNs + config.listenTimeout().toNanos(), session));
        LOG.debug("client '{}': looking for a direct path to '{}' (relayed session {})", id, p.peerId, session);
        emit(new Action.Request(call, Msg.connect(id, p.peerId).withToken(outcome.serverInfo().token())));
        nextDeadline();
    }

    /**
     * The NAT was probed again for relayed session {@code session}: its new reading is this
     * client's fingerprint from now on (every later prediction uses it; the file and the server's
     * record keep the registration's), then the way back is tried.
     */
    void handleReprobed(int session, NatAnalysis.Nature nature, long nowNs) {
        lastNowNs = nowNs;
        Fingerprint old = outcome.fingerprint();
        Fingerprint now = nature.toFingerprint(old.clientVersion(), old.serverVersion(), old.id(), old.publicIp());
        if (!now.describe().equals(old.describe())) {
            LOG.info("client '{}': the NAT probed again before a direct try: {} (was {})", id, now.describe(),
                    old.describe());
            outcome = new Registration.Outcome(outcome.serverInfo(), now, outcome.cached(), outcome.publicIp(),
                    outcome.localIp(), outcome.phases(), outcome.probeRun());
        }
        directAfterReprobe(session, nowNs);
    }

    /** Probing again failed: the way back is tried with the fingerprint in use. */
    void handleReprobeFailed(int session, Failure error, long nowNs) {
        lastNowNs = nowNs;
        LOG.info("client '{}': probing the NAT again failed ({}); trying the way back with the fingerprint in use",
                id, error.getMessage());
        directAfterReprobe(session, nowNs);
    }

    private void directAfterReprobe(int session, long nowNs) {
        RelayedPeer p = relays.get(session);
        if (p == null || p.offered || gone != null) {
            if (p != null) {
                p.inFlight = false;
            }
            nextDeadline();
            return;
        }
        requestDirect(session, p, nowNs);
    }

    private void upgradeFailed(int session, Failure error) {
        RelayedPeer p = relays.get(session);
        if (p == null) {
            return;
        }
        p.inFlight = false;
        p.backoffNs = Math.min(DIRECT_RETRY_MAX_NS, Math.max(DIRECT_RETRY_FIRST_NS, p.backoffNs * 2));
        p.nextNs = lastNowNs + p.backoffNs;
        LOG.debug("client '{}': no direct path to '{}' yet ({}); next look in {} s", id, p.peerId,
                error.getMessage(), p.backoffNs / 1_000_000_000L);
    }

    /** @return true if the result or failure of {@code r} belongs to the way back to direct, and was routed there */
    private boolean routedUpgrade(Rendezvous r) {
        if (r.relay() != null) {
            relays.put(r.relay().session(), new RelayedPeer(r.peerId(), r.initiator()));
            return false;
        }
        if (r.replaces() == 0) {
            return false;
        }
        RelayedPeer p = relays.get(r.replaces());
        if (p == null || p.offered) {
            emit(new Action.Discard(r)); // the relayed connection is gone, or has its offer: nobody wants it
            return true;
        }
        p.offered = true;
        p.inFlight = false;
        emit(new Action.Offer(r.replaces(), r));
        return true;
    }

    @Override
    public String toString() {
        return "ClientEndpoint[" + id + (gone == null ? "" : ", gone") + "]";
    }
}
