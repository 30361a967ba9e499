package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds {@link Registration} and {@link EchoProbe} to the loop: the log connection, the echo
 * queries, one timer, and the fingerprint file write (on a virtual thread: file I/O never runs
 * on the loop thread). Completes with a {@link StuntClient} that owns the IDLE log connection.
 * Loop thread only, except the fingerprint write.
 */
final class RegistrationDriver {
    private static final Logger LOG = LoggerFactory.getLogger(RegistrationDriver.class);

    private final EventLoop loop;
    private final ClientConfig config;
    private final String id;
    private final Registration registration;
    private final CompletableFuture<StuntClient> result;
    private final DeadlineSlot timer;
    private final CompletableFuture<Void> stored = new CompletableFuture<>();
    private EchoProbe probe;
    private EchoQuery query;
    private TcpConnection log;
    private final ActionPass pass = new ActionPass();

    RegistrationDriver(EventLoop loop, ClientConfig config, String id, Fingerprint cached,
                       CompletableFuture<StuntClient> result) {
        this.loop = loop;
        this.config = config;
        this.id = id;
        this.registration = new Registration(id, cached, config.echoTimeout(), config.extensions(),
                config.sharedSecret());
        this.result = result;
        this.timer = new DeadlineSlot(loop, this::onTimer);
    }

    void start() {
        registration.start(loop.clockNs());
        pump();
    }

    private void onTimer() {
        long now = loop.clockNs();
        registration.onTimeout(now);
        if (probe != null) {
            probe.onTimeout(now);
        }
        pump();
    }

    /** Runs the procedures' actions until none is left, then re-arms the timer. Re-entrant calls fold in. */
    private void pump() {
        if (!pass.run(() -> registration.runActions(this::run) | (probe != null && probe.runActions(this::run)))) {
            return;
        }
        if (probe != null) {
            timer.set(registration.deadlineNs(), probe.deadlineNs());
        } else {
            timer.set(registration.deadlineNs());
        }
    }

    private void run(Registration.Action a) {
        switch (a) {
            case Registration.Action.ConnectLog c -> connectLog();
            case Registration.Action.Send s -> {
                if (log != null) {
                    log.send(s.bytes());
                }
            }
            case Registration.Action.CloseLog c -> {
                if (log != null) {
                    log.listener(ClientSockets.DISCARD);
                    log.closeAfterFlush();
                    log = null;
                }
            }
            case Registration.Action.StartProbe s -> {
                probe = new EchoProbe(s.serverInfo(), config.probeRetries(), config.echoTimeout());
                probe.start(loop.clockNs());
            }
            case Registration.Action.StoreFingerprint s -> store(s.fingerprint());
            case Registration.Action.Registered r -> registered(r.outcome());
            case Registration.Action.Failed f -> failed(f.error());
        }
    }

    private void run(EchoProbe.Action a) {
        switch (a) {
            case EchoProbe.Action.Query q -> query = EchoQuery.start(loop, config.localAddress(), q.localPort(),
                    false, q.endpoint(), new EchoQuery.Callback() {
                        @Override
                        public void onResult(int boundPort, io.xstunt.engine.nat.NatAnalysis.Observation o) {
                            probe.onQueryResult(q.attempt(), q.seq(), boundPort, o, loop.clockNs());
                            pump();
                        }

                        @Override
                        public void onFailed(String reason) {
                            probe.onQueryFailed(q.attempt(), q.seq(), reason, loop.clockNs());
                            pump();
                        }
                    });
            case EchoProbe.Action.AbortQuery q -> {
                if (query != null) {
                    query.abort();
                }
            }
            case EchoProbe.Action.Done d -> registration.onProbeDone(d.nature(), d.lines(), System.currentTimeMillis(),
                    loop.clockNs());
            case EchoProbe.Action.Failed f -> registration.onProbeFailed(f.error());
        }
    }

    private void connectLog() {
        InetSocketAddress server = new InetSocketAddress(config.serverIp1(), config.logPort());
        try {
            log = TcpConnection.connect(loop, ClientSockets.service(config.localAddress()), server,
                    new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    if (c != log) {
                        return;
                    }
                    registration.onConnected(Ipv4.toInt(c.localAddress().getAddress()), loop.clockNs());
                    pump();
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    if (c != log) {
                        in.position(in.limit());
                        return;
                    }
                    registration.onBytes(in, loop.clockNs());
                    pump();
                    if (c.listener() != this && in.hasRemaining()) {
                        // registered: what followed the acknowledgement in this read is the client's
                        c.listener().onRead(c, in);
                    }
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    if (c != log) {
                        return;
                    }
                    log = null;
                    if (registration.state() == Registration.State.CONNECTING) {
                        registration.onConnectFailed(cause == null ? "closed" : cause.toString());
                    } else {
                        registration.onClosed(cause == null ? null : cause.toString());
                    }
                    pump();
                }
            });
        } catch (IOException | RuntimeException e) {
            log = null;
            registration.onConnectFailed(server + ": " + e);
        }
    }

    private void store(Fingerprint f) {
        if (config.fingerprintFile() == null) {
            stored.complete(null);
            return;
        }
        Thread.ofVirtual().name("xstunt-fingerprint-write").start(() -> {
            try {
                FingerprintFile.write(config.fingerprintFile(), f);
            } catch (IOException | RuntimeException e) {
                // a fingerprint that cannot be stored only costs a probe next time
                LOG.warn("cannot write fingerprint file {}: {}", config.fingerprintFile(), e.toString());
            }
            stored.complete(null);
        });
    }

    private void registered(Registration.Outcome outcome) {
        timer.cancel();
        TcpConnection conn = log;
        log = null;
        if (!stored.isDone() && outcome.cached()) {
            stored.complete(null);
        }
        StuntClient client = new StuntClient(loop, config, id, outcome, conn);
        LOG.info("registered '{}' at {} as {} (public {}, fingerprint {}{})", id, config.serverIp1(),
                Ipv4.toString(outcome.localIp()), Ipv4.toString(outcome.publicIp()),
                outcome.fingerprint().describe(), outcome.cached() ? ", cached" : "");
        stored.whenComplete((v, e) -> loop.execute(() -> {
            if (!result.complete(client)) {
                client.close();
            }
        }));
    }

    private void failed(Failure error) {
        timer.cancel();
        if (query != null) {
            query.abort();
        }
        if (probe != null) {
            probe.abort();
            probe.drainActions();
        }
        if (log != null) {
            log.listener(ClientSockets.DISCARD);
            log.close();
            log = null;
        }
        LOG.info("registration of '{}' failed: {}", id, error.getMessage());
        result.completeExceptionally(error);
    }

    /** Gives up from outside (the loop is closing or the caller cancelled). */
    void abort() {
        registration.abort(new Failure(ErrorStat.ERR_FAIL, 0, "registration aborted"));
        pump();
    }
}
