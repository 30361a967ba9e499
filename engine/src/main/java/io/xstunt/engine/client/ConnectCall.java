package io.xstunt.engine.client;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Echo;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stages of one XConnect call, kept by the {@link ClientEndpoint}: MSG_CONNECT on the comm
 * service, then the announcement with role 'C' on the log connection, then the rendezvous as
 * initiator. The announcement may arrive before the comm answer (the server may write it first),
 * so it is kept until the answer is read.
 *
 * <p>Bounds: the comm answer within the comm timeout (the request's own); the announcement before
 * the XConnect timeout (ERR_TIMEOUT, "waiting receiving peer data from STUNT server" in the
 * reference); the rendezvous before the same deadline.
 */
final class ConnectCall {
    /** The stages. */
    enum Stage {
        /** MSG_CONNECT in flight. */
        COMM,
        /** Accepted; waiting for the 'C' announcement. */
        ANNOUNCE,
        /**
         * FAST: the request went on the log connection; waiting for the go, a refusal or (declined,
         * or after a fail-over) the 'C' announcement of a normal session; the FAST punch may run.
         */
        FAST,
        /** The rendezvous runs. */
        RENDEZVOUS
    }

    final String peerId;
    final long startNs;
    final long deadlineNs;
    final Map<String, Duration> phases = new LinkedHashMap<>();
    /** The relayed session this call is the way back to direct from (the client's own call), else 0. */
    final int upgradeOf;
    /** The announcement's extension flags (relay, sweep), 0 from an original server. */
    int announceFlags;
    private Stage stage = Stage.COMM;
    private Echo announcement;
    private long answeredNs;

    ConnectCall(String peerId, long startNs, long deadlineNs) {
        this(peerId, startNs, deadlineNs, 0);
    }

    ConnectCall(String peerId, long startNs, long deadlineNs, int upgradeOf) {
        this.upgradeOf = upgradeOf;
        this.peerId = peerId;
        this.startNs = startNs;
        this.deadlineNs = deadlineNs;
    }

    Stage stage() {
        return stage;
    }

    /** @return true while an announcement for this call would be taken */
    boolean awaitsAnnouncement() {
        return stage != Stage.RENDEZVOUS && announcement == null;
    }

    /** The request went as a FAST line on the log connection at {@code nowNs} (no comm answer comes). */
    void fastRequested(long nowNs) {
        answeredNs = nowNs;
        stage = Stage.FAST;
    }

    /** @return true once the server took the request (a comm answer of 0, or a FAST request) */
    boolean accepted() {
        return stage == Stage.ANNOUNCE || stage == Stage.FAST;
    }

    /** @return true while the call's own deadline bounds it (the rendezvous bounds itself) */
    boolean timed() {
        return stage != Stage.RENDEZVOUS;
    }

    /**
     * MSG_CONNECT answered (accepted).
     *
     * @return the announcement if it arrived first: the rendezvous may start
     */
    Echo answered(long nowNs) {
        answeredNs = nowNs;
        phases.put("comm", Duration.ofNanos(nowNs - startNs));
        stage = Stage.ANNOUNCE;
        return announcement;
    }

    /**
     * The announcement for this call.
     *
     * @return true if the rendezvous may start now (the comm answer is in)
     */
    boolean announced(Echo e) {
        announcement = e;
        return accepted();
    }

    /** @return the announcement taken before the comm answer and not used yet, or null */
    Echo heldAnnouncement() {
        return stage == Stage.RENDEZVOUS ? null : announcement;
    }


    /** The rendezvous starts now; @return the announcement it starts from */
    Echo startRendezvous(long nowNs) {
        phases.put("announce", Duration.ofNanos(Math.max(0, nowNs - answeredNs)));
        stage = Stage.RENDEZVOUS;
        return announcement;
    }

    /** @return the failure when the deadline passed before the rendezvous started */
    Failure timedOut() {
        return new Failure(ErrorStat.ERR_TIMEOUT, 0, stage == Stage.COMM
                ? "no answer to MSG_CONNECT for '" + peerId + "' before the XConnect timeout"
                : "no session announcement from the server before the XConnect timeout");
    }
}
