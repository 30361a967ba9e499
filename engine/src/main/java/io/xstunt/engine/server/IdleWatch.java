package io.xstunt.engine.server;

import io.xstunt.engine.proc.EarliestDeadline;

/**
 * The server's watch over an IDLE registration's log connection (docs/PROTOCOL.md "Silent clients
 * and keepalive"): the client must show life (any byte) within its idle timeout, or its ID is
 * freed; a client that asked for the extensions also gets the server's own keepalive record every
 * beat. Either may be off (0).
 */
final class IdleWatch {
    /** What is due. */
    enum Due {
        /** Nothing yet. */
        NOTHING,
        /** Write a keepalive record. */
        BEAT,
        /** Silent too long: free the ID. */
        EXPIRED
    }

    private final long idleNs;
    private final long beatNs;
    private long expiryNs;
    private long nextBeatNs;

    /**
     * @param idleNs the silence allowed, 0 for no limit
     * @param beatNs the interval of the server's keepalive records, 0 for none
     */
    IdleWatch(long idleNs, long beatNs, long nowNs) {
        this.idleNs = idleNs;
        this.beatNs = beatNs;
        this.nextBeatNs = nowNs + beatNs;
        this.expiryNs = nowNs + idleNs;
    }

    /** The client showed life at {@code nowNs}. */
    void heard(long nowNs) {
        expiryNs = nowNs + idleNs;
    }

    /** @return what is due at {@code nowNs}; a beat is counted as sent */
    Due check(long nowNs) {
        if (idleNs > 0 && nowNs - expiryNs >= 0) {
            return Due.EXPIRED;
        }
        if (beatNs > 0 && nowNs - nextBeatNs >= 0) {
            nextBeatNs = nowNs + beatNs;
            return Due.BEAT;
        }
        return Due.NOTHING;
    }

    /** Offers the next expiry and beat, those that are on. */
    void offerDeadlines(EarliestDeadline earliest) {
        if (idleNs > 0) {
            earliest.offer(expiryNs);
        }
        if (beatNs > 0) {
            earliest.offer(nextBeatNs);
        }
    }

    /** @return the silence allowed */
    long idleNs() {
        return idleNs;
    }
}
