package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * XConnect's sequence on the loop: MSG_CONNECT on the comm service ({@link CommRequest}), then
 * the announcement with role 'C' on the log connection, then the {@link RendezvousProcedure} as
 * initiator. The stages form a small state machine of their own ({@link Stage}); the
 * announcement may arrive before the comm answer (the server may write it first), so it is
 * kept until the answer is read.
 *
 * <p>Bounds: the comm answer within the comm timeout (ERR_COMM_TIMEOUT); the announcement before
 * the XConnect timeout (ERR_TIMEOUT, "waiting receiving peer data from STUNT server" in the
 * reference); the rendezvous before the same deadline (see {@link RendezvousProcedure}).
 */
final class ConnectDriver {
    /** The stages. */
    enum Stage {
        /** MSG_CONNECT in flight. */
        COMM,
        /** Accepted; waiting for the 'C' announcement. */
        ANNOUNCE,
        /** The rendezvous runs. */
        RENDEZVOUS,
        /** Finished either way. */
        DONE
    }

    private final EventLoop loop;
    private final ClientConfig config;
    private final String selfId;
    private final String peerId;
    private final InetSocketAddress echoEndpoint;
    private final int increment;
    private final CompletableFuture<Rendezvous> result;
    private final long startNs;
    private final long deadlineNs;
    private final Map<String, Duration> phases = new LinkedHashMap<>();
    private final long holderToken;
    private Stage stage = Stage.COMM;
    private CommDriver comm;
    private Echo announcement;
    private long answeredNs;
    private DeadlineTimers.Timer timer;
    private RendezvousDriver rendezvous;

    ConnectDriver(EventLoop loop, ClientConfig config, String selfId, String peerId, InetSocketAddress echoEndpoint,
                  int increment, Duration timeout, CompletableFuture<Rendezvous> result) {
        this(loop, config, selfId, 0L, peerId, echoEndpoint, increment, timeout, result);
    }

    /** @param holderToken the token the server issued at registration (0: none), sent with MSG_CONNECT */
    ConnectDriver(EventLoop loop, ClientConfig config, String selfId, long holderToken, String peerId,
                  InetSocketAddress echoEndpoint, int increment, Duration timeout,
                  CompletableFuture<Rendezvous> result) {
        this.holderToken = holderToken;
        this.loop = loop;
        this.config = config;
        this.selfId = selfId;
        this.peerId = peerId;
        this.echoEndpoint = echoEndpoint;
        this.increment = increment;
        this.result = result;
        this.startNs = loop.clockNs();
        this.deadlineNs = startNs + timeout.toNanos();
    }

    String peerId() {
        return peerId;
    }

    Stage stage() {
        return stage;
    }

    /** @return true while a 'C' announcement for this request would be taken */
    boolean awaitingAnnouncement() {
        return (stage == Stage.COMM || stage == Stage.ANNOUNCE) && announcement == null;
    }

    void start() {
        timer = loop.schedule(deadlineNs - loop.clockNs(), this::onDeadline);
        comm = CommDriver.start(loop, config, Msg.connect(selfId, peerId).withToken(holderToken), new CommDriver.Callback() {
            @Override
            public void onAnswered(int value) {
                onCommAnswer(value);
            }

            @Override
            public void onFailed(Failure error) {
                finish(error);
            }
        });
    }

    private void onCommAnswer(int value) {
        if (stage != Stage.COMM) {
            return;
        }
        Failure refused = CommRequest.connectAnswer(value, peerId);
        if (refused != null) {
            finish(refused);
            return;
        }
        answeredNs = loop.clockNs();
        phases.put("comm", Duration.ofNanos(answeredNs - startNs));
        stage = Stage.ANNOUNCE;
        if (announcement != null) {
            startRendezvous();
        }
    }

    /** The 'C' announcement for this request arrived on the log connection. */
    void onAnnouncement(Echo echo) {
        if (!awaitingAnnouncement()) {
            return;
        }
        announcement = echo;
        if (stage == Stage.ANNOUNCE) {
            startRendezvous();
        }
    }

    private void startRendezvous() {
        long now = loop.clockNs();
        phases.put("announce", Duration.ofNanos(Math.max(0, now - answeredNs)));
        stage = Stage.RENDEZVOUS;
        timer.cancel(); // the procedure bounds itself by the same deadline
        InetSocketAddress control = new InetSocketAddress(Ipv4.toAddress(announcement.ip()), announcement.port());
        RendezvousProcedure p = new RendezvousProcedure(true, config.punchStrategy().pipelined(), control, echoEndpoint, increment, config.echoTimeout(),
                deadlineNs, phases);
        CompletableFuture<Rendezvous> r = new CompletableFuture<>();
        rendezvous = new RendezvousDriver(loop, config, peerId, p, r);
        r.whenComplete((ok, err) -> {
            if (err != null) {
                finish(err instanceof Failure x ? x
                        : new Failure(ErrorStat.ERR_ASYMCLIENT, 0, err.toString(), err));
            } else if (stage != Stage.DONE) {
                stage = Stage.DONE;
                result.complete(ok);
            } else {
                try {
                    ok.channel().close();
                } catch (java.io.IOException ignored) {
                    // released either way
                }
            }
        });
        rendezvous.start();
    }

    private void onDeadline() {
        if (stage == Stage.COMM || stage == Stage.ANNOUNCE) {
            finish(new Failure(ErrorStat.ERR_TIMEOUT, 0, stage == Stage.COMM
                    ? "no answer to MSG_CONNECT for '" + peerId + "' before the XConnect timeout"
                    : "no session announcement from the server before the XConnect timeout"));
        }
    }

    /** Fails the request from outside (client closing, server gone). */
    void abort(Failure error) {
        if (stage == Stage.RENDEZVOUS && rendezvous != null) {
            rendezvous.abort(error); // completes through the rendezvous future
        } else {
            finish(error);
        }
    }

    private void finish(Failure error) {
        if (stage == Stage.DONE) {
            return;
        }
        Stage was = stage;
        stage = Stage.DONE;
        if (timer != null) {
            timer.cancel();
        }
        if (was == Stage.COMM && comm != null) {
            comm.abort(error);
        }
        result.completeExceptionally(error);
    }
}
