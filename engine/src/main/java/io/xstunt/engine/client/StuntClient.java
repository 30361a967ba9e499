package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireFormatException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered XSTUNT client on an {@link EventLoop}: the asynchronous core behind XInit,
 * XListen, XConnect and XDeRegister. Every method is safe from any thread; futures complete on
 * the loop thread (do not block in their callbacks). Failures complete futures exceptionally
 * with {@link io.xstunt.engine.Failure}.
 *
 * <p>The IDLE log connection stays open: the client reads session announcements from it. An
 * announcement with role 'S' starts the listener side of a rendezvous at once (bounded by
 * {@link ClientConfig#listenTimeout()}); its outcome goes to the {@link #onIncoming} callback if
 * one is set, else to a queue that {@link #listen} polls. If the log connection is lost (the
 * server went away), everything in flight fails with ERR_RECEIVE and later calls fail with
 * ERR_CONNECT.
 */
public final class StuntClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StuntClient.class);
    private static final long MIN_RE_REGISTER_DELAY_NS = 500_000_000L;
    private static final long MAX_RE_REGISTER_DELAY_NS = 30_000_000_000L;
    private static final byte[] KEEPALIVE = {'\n'};
    /** Keepalive intervals without a byte from the server after which it counts as gone. */
    private static final int SILENT_INTERVALS = 3;

    private final EventLoop loop;
    private final ClientConfig config;
    private final String id;
    /** Replaced when the client registers again on its own (autoReRegister). */
    private Registration.Outcome outcome;
    private InetSocketAddress predictEndpoint;
    private final List<ConnectDriver> connects = new ArrayList<>();
    private final List<RendezvousDriver> incoming = new ArrayList<>();
    private final ArrayDeque<Rendezvous> completed = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private TcpConnection log;
    private Failure gone;
    private Consumer<Rendezvous> onConnected;
    private Consumer<Throwable> onError;
    private DeadlineTimers.Timer keepalive;
    /** When the server was last heard on the log connection (loop clock). */
    private long lastHeardNs;
    private DeadlineTimers.Timer reRegisterTimer;
    private CompletableFuture<StuntClient> reRegistering;
    private boolean closedByUser;
    private int registrations = 1;
    private long reRegisterDelayNs = MIN_RE_REGISTER_DELAY_NS;

    /** A pending {@link #listen} call. */
    private record Waiter(CompletableFuture<Rendezvous> future, DeadlineTimers.Timer timer) {
    }

    StuntClient(EventLoop loop, ClientConfig config, String id, Registration.Outcome outcome, TcpConnection log) {
        this.loop = loop;
        this.config = config;
        this.id = id;
        this.outcome = outcome;
        this.predictEndpoint = EchoProbe.endpoints(outcome.serverInfo())[0];
        adoptLog(log);
    }

    /** Takes {@code l} as the log connection; keeps it alive if the server asked for keepalives. */
    private void adoptLog(TcpConnection l) {
        this.log = l;
        l.listener(new ConnectionListener() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                lastHeardNs = loop.clockNs();
                readAnnouncements(in);
            }

            @Override
            public void onClosed(Connection c, Throwable cause) {
                if (c == log) {
                    onLogLost(cause);
                }
            }
        });
        int interval = outcome.serverInfo().keepaliveSec();
        if (interval > 0) {
            // an empty log line, as often as the server asked; and the server's own keepalive
            // records must arrive: silent for three intervals, it is gone (docs/PROTOCOL.md, keepalive)
            long ns = interval * 1_000_000_000L;
            lastHeardNs = loop.clockNs();
            keepalive = loop.schedule(ns, new Runnable() {
                @Override
                public void run() {
                    if (log != l || l.isClosed()) {
                        return;
                    }
                    long silentNs = loop.clockNs() - lastHeardNs;
                    if (silentNs > SILENT_INTERVALS * ns) {
                        l.closeSilently();
                        onLogLost(new java.io.IOException("the server has been silent for "
                                + silentNs / 1_000_000 + " ms"));
                        return;
                    }
                    l.send(KEEPALIVE);
                    keepalive = loop.schedule(ns, this);
                }
            });
        }
    }

    /**
     * XInit: connects to the log service, probes the NAT unless a valid fingerprint is cached,
     * and registers {@code id}. An empty or invalid ID fails with ERR_DUPLICATE_ID, as the
     * reference specifies for the empty ID. Other errors: ERR_CONNECT (log service unreachable),
     * ERR_VERSION, ERR_DUPLICATE_ID (taken), ERR_PROBE, ERR_RECEIVE (server closed or sent
     * garbage), ERR_TIMEOUT (no answer within the echo timeout).
     */
    public static CompletableFuture<StuntClient> register(EventLoop loop, ClientConfig config, String id) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(config, "config");
        CompletableFuture<StuntClient> result = new CompletableFuture<>();
        try {
            ClientId.validate(id);
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_DUPLICATE_ID, 0, e.getMessage()));
            return result;
        }
        // XReadFingerprint is file I/O: never on the loop thread
        Thread.ofVirtual().name("xstunt-fingerprint-read").start(() -> {
            Fingerprint cached = FingerprintFile.read(config.fingerprintFile()).orElse(null);
            try {
                loop.execute(() -> new RegistrationDriver(loop, config, id, cached, result).start());
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
     * {@link RendezvousProcedure} (ERR_ECHO_TIMEOUT, ERR_SYN_*, ERR_PREDICT, ERR_ADDRPORT_*,
     * ERR_HAIRPIN, ERR_ASYMCLIENT on a peer's ABORT, ERR_ASYM_TIMEOUT if the punch does not
     * complete before the deadline, ERR_TRYCONNECT with the ORIGINAL strategy).
     */
    public CompletableFuture<Rendezvous> connect(String peerId, Duration timeout) {
        CompletableFuture<Rendezvous> result = new CompletableFuture<>();
        try {
            ClientId.validate(peerId);
        } catch (IllegalArgumentException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_MATCH, 0, e.getMessage()));
            return result;
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            result.completeExceptionally(new IllegalArgumentException("timeout must be positive, got " + timeout));
            return result;
        }
        onLoop(result, () -> {
            if (failIfGone(result)) {
                return;
            }
            ConnectDriver d = new ConnectDriver(loop, config, id, outcome.serverInfo().token(), peerId, predictEndpoint,
                    outcome.fingerprint().increment(), timeout, result);
            connects.add(d);
            result.whenComplete((r, e) -> connects.remove(d));
            d.start();
        });
        return result;
    }

    /**
     * XListen: completes with an incoming connection that has come up, or waits up to
     * {@code timeout} for one whose procedure is under way; fails at once with ERR_TIMEOUT when
     * no request is pending. An incoming procedure that fails while this call waits fails it
     * with that procedure's error (ERR_ECHO_TIMEOUT, ERR_SYN_*, ERR_PREDICT, ERR_ADDRPORT_*,
     * ERR_HAIRPIN, ERR_ASYMSERVER on a peer's ABORT, ERR_TIMEOUT if the punch does not complete
     * within the listen timeout, ERR_CONNECT with the ORIGINAL strategy).
     */
    public CompletableFuture<Rendezvous> listen(Duration timeout) {
        CompletableFuture<Rendezvous> result = new CompletableFuture<>();
        onLoop(result, () -> {
            if (!completed.isEmpty()) {
                result.complete(completed.poll());
                return;
            }
            if (failIfGone(result)) {
                return;
            }
            if (incoming.isEmpty()) {
                result.completeExceptionally(new Failure(ErrorStat.ERR_TIMEOUT, 0,
                        "no connection request is pending"));
                return;
            }
            long delayNs = timeout == null || timeout.isNegative() ? 0 : timeout.toNanos();
            Waiter[] self = new Waiter[1];
            DeadlineTimers.Timer t = loop.schedule(delayNs, () -> {
                if (waiters.remove(self[0])) {
                    result.completeExceptionally(new Failure(ErrorStat.ERR_TIMEOUT, 0,
                            "the incoming connection did not come up within " + timeout));
                }
            });
            self[0] = new Waiter(result, t);
            waiters.add(self[0]);
        });
        return result;
    }

    /**
     * Sets a callback for every incoming connection (instead of polling {@link #listen}); failed
     * incoming procedures go to {@code onError}. Null removes it. Connections that came up
     * before the callback was set are handed to it at once.
     */
    public void onIncoming(Consumer<Rendezvous> onConnected, Consumer<Throwable> onError) {
        loop.execute(() -> {
            this.onConnected = onConnected;
            this.onError = onError;
            while (onConnected != null && !completed.isEmpty()) {
                onConnected.accept(completed.poll());
            }
        });
    }

    /**
     * XDeRegister: sends MSG_DEREGISTER for this client's ID and closes the log connection.
     * Errors: ERR_CONNECT (comm service unreachable or the client is closed), ERR_SEND,
     * ERR_COMM_TIMEOUT. The client is closed afterwards either way.
     */
    public CompletableFuture<Void> deregister() {
        CompletableFuture<Void> result = new CompletableFuture<>();
        onLoop(result, () -> {
            if (gone != null) {
                result.completeExceptionally(new Failure(ErrorStat.ERR_CONNECT, 0,
                        "not registered: " + gone.getMessage()));
                return;
            }
            closedByUser = true;
            Msg msg = Msg.deregister(id).withToken(outcome.serverInfo().token());
            CommDriver.start(loop, config, msg, new CommDriver.Callback() {
                @Override
                public void onDelivered() {
                    shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client deregistered"));
                    result.complete(null);
                }

                @Override
                public void onFailed(Failure error) {
                    shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client deregistered"));
                    result.completeExceptionally(error);
                }
            });
        });
        return result;
    }

    /** @return the registered ID */
    public String id() {
        return id;
    }

    /** @return the NAT fingerprint used (probed now or read from the file) */
    public Fingerprint fingerprint() {
        return outcome.fingerprint();
    }

    /** @return true if the fingerprint was read from the file instead of probed */
    public boolean fingerprintCached() {
        return outcome.cached();
    }

    /** @return the server's ServerInfo as received at registration */
    public ServerInfo serverInfo() {
        return outcome.serverInfo();
    }

    /** @return this client's public IPv4 as the server sees it */
    public Inet4Address publicAddress() {
        return Ipv4.toAddress(outcome.publicIp());
    }

    /** @return elapsed time of each registration phase (connect, register, probe, total) */
    public Map<String, Duration> registrationPhases() {
        return outcome.phases();
    }

    /**
     * @return how many times this client registered: 1, plus one per automatic re-registration
     *     after losing the server ({@link ClientConfig#autoReRegister()})
     */
    public int registrations() {
        return ask(() -> registrations);
    }

    /** @return true while registered (the log connection is up) */
    public boolean isRegistered() {
        return ask(() -> gone == null);
    }

    /** Reads loop-owned state from any thread (bounded wait off the loop). */
    private <T> T ask(java.util.function.Supplier<T> q) {
        if (loop.inLoop()) {
            return q.get();
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        onLoop(f, () -> f.complete(q.get()));
        try {
            return f.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the event loop did not answer", e);
        }
    }

    /** Closes the log connection and every procedure in flight (no MSG_DEREGISTER). */
    @Override
    public void close() {
        try {
            loop.execute(() -> {
                closedByUser = true;
                stopReRegistering();
                shutdown(new Failure(ErrorStat.ERR_FAIL, 0, "the client was closed"));
            });
        } catch (RejectedExecutionException e) {
            // the loop is closed: it closed every channel and dropped every timer already
        }
    }

    private void readAnnouncements(ByteBuffer in) {
        while (in.remaining() >= Echo.SIZE) {
            int start = in.position();
            Echo e;
            try {
                e = Echo.read(in);
            } catch (WireFormatException ex) {
                // the server's stream cannot be trusted any more: drop it like a lost connection
                in.position(in.limit());
                TcpConnection l = log;
                if (l != null) {
                    l.closeSilently();
                }
                onLogLost(new java.io.IOException("malformed record from the server at offset " + start + ": "
                        + ex.getMessage()));
                return;
            }
            onAnnouncement(e);
        }
    }

    private void onAnnouncement(Echo e) {
        if (gone != null) {
            return;
        }
        if (e.role() == Protocol.ROLE_INITIATOR) {
            for (ConnectDriver d : connects) {
                if (d.awaitingAnnouncement() && d.peerId().equals(e.peerId())) {
                    d.onAnnouncement(e);
                    return;
                }
            }
            LOG.warn("client '{}': announcement of session {} with '{}' matches no XConnect; ignored", id, e.connId(),
                    e.peerId());
        } else if (e.role() == Protocol.ROLE_LISTENER) {
            startIncoming(e);
        } else if (e.ip() != 0 || e.port() != 0) {
            LOG.warn("client '{}': record without a role on the log connection; ignored", id);
        } // else: the server's keepalive record
    }

    private void startIncoming(Echo e) {
        long deadline = loop.clockNs() + config.listenTimeout().toNanos();
        InetSocketAddress control = new InetSocketAddress(Ipv4.toAddress(e.ip()), e.port());
        RendezvousProcedure p = new RendezvousProcedure(false, config.punchStrategy().pipelined(), control, predictEndpoint,
                outcome.fingerprint().increment(), config.echoTimeout(), deadline, Map.of());
        CompletableFuture<Rendezvous> r = new CompletableFuture<>();
        RendezvousDriver d = new RendezvousDriver(loop, config, e.peerId(), p, r);
        incoming.add(d);
        r.whenComplete((ok, err) -> {
            incoming.remove(d);
            if (err != null) {
                incomingFailed(err);
            } else {
                incomingUp(ok);
            }
        });
        LOG.debug("client '{}': session {} from '{}', control {}", id, e.connId(), e.peerId(), control);
        d.start();
    }

    private void incomingUp(Rendezvous r) {
        if (gone != null) {
            closeQuietly(r);
            return;
        }
        Waiter w = waiters.poll();
        if (w != null) {
            w.timer().cancel();
            if (w.future().complete(r)) {
                return;
            }
        }
        if (onConnected != null) {
            onConnected.accept(r);
        } else {
            completed.add(r);
        }
    }

    private void incomingFailed(Throwable err) {
        Waiter w = waiters.poll();
        if (w != null) {
            w.timer().cancel();
            w.future().completeExceptionally(err);
        } else if (onError != null) {
            onError.accept(err);
        } else {
            LOG.info("client '{}': an incoming connection failed: {}", id, err.getMessage());
        }
    }

    private void onLogLost(Throwable cause) {
        log = null;
        if (gone != null) {
            return;
        }
        LOG.warn("client '{}': the log connection to the server was lost{}", id,
                cause == null ? "" : ": " + cause);
        shutdown(new Failure(ErrorStat.ERR_RECEIVE, 0, "the log connection to the server was lost"
                + (cause == null ? "" : ": " + cause)));
        if (config.autoReRegister() && !closedByUser) {
            scheduleReRegister();
        }
    }

    /** Registers the same ID again after a delay that grows while the server stays away. */
    private void scheduleReRegister() {
        long delay = reRegisterDelayNs;
        reRegisterDelayNs = Math.min(MAX_RE_REGISTER_DELAY_NS, reRegisterDelayNs * 2);
        reRegisterTimer = loop.schedule(delay, () -> {
            reRegisterTimer = null;
            CompletableFuture<StuntClient> f = new CompletableFuture<>();
            reRegistering = f;
            new RegistrationDriver(loop, config, id, outcome.fingerprint(), f).start();
            f.whenComplete((fresh, err) -> loop.execute(() -> {
                if (reRegistering != f) {
                    if (fresh != null) {
                        fresh.close(); // closed meanwhile
                    }
                    return;
                }
                reRegistering = null;
                if (err != null) {
                    LOG.info("client '{}': registering again failed ({}); next try in {} ms", id, err.getMessage(),
                            reRegisterDelayNs / 1_000_000);
                    scheduleReRegister();
                    return;
                }
                TcpConnection l = fresh.log;
                fresh.log = null;
                fresh.gone = new Failure(ErrorStat.ERR_FAIL, 0, "adopted");
                if (fresh.keepalive != null) {
                    fresh.keepalive.cancel();
                }
                outcome = fresh.outcome;
                predictEndpoint = fresh.predictEndpoint;
                gone = null;
                registrations++;
                reRegisterDelayNs = MIN_RE_REGISTER_DELAY_NS;
                adoptLog(l);
                LOG.info("client '{}': registered again with the server", id);
            }));
        });
    }

    private void stopReRegistering() {
        if (reRegisterTimer != null) {
            reRegisterTimer.cancel();
            reRegisterTimer = null;
        }
        reRegistering = null;
    }

    /** Fails everything in flight with {@code reason}, closes the log connection. Loop thread. */
    private void shutdown(Failure reason) {
        if (gone != null) {
            return;
        }
        gone = reason;
        if (keepalive != null) {
            keepalive.cancel();
            keepalive = null;
        }
        for (ConnectDriver d : List.copyOf(connects)) {
            d.abort(reason);
        }
        for (RendezvousDriver d : List.copyOf(incoming)) {
            d.abort(reason);
        }
        Waiter w;
        while ((w = waiters.poll()) != null) {
            w.timer().cancel();
            w.future().completeExceptionally(reason);
        }
        for (Rendezvous r : completed) {
            closeQuietly(r);
        }
        completed.clear();
        if (log != null) {
            TcpConnection l = log;
            log = null;
            l.closeSilently();
        }
    }

    private boolean failIfGone(CompletableFuture<?> result) {
        if (gone == null) {
            return false;
        }
        result.completeExceptionally(new Failure(ErrorStat.ERR_CONNECT, 0,
                "not connected to the server: " + gone.getMessage()));
        return true;
    }

    private void onLoop(CompletableFuture<?> result, Runnable r) {
        try {
            loop.execute(r);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new Failure(ErrorStat.ERR_FAIL, 0, "the event loop is closed"));
        }
    }

    private static void closeQuietly(Rendezvous r) {
        try {
            r.channel().close();
        } catch (java.io.IOException ignored) {
            // released either way
        }
    }
}
