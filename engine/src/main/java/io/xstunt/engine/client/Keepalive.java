package io.xstunt.engine.client;

/**
 * The keepalive of a registered client's log connection (an xstunt extension, docs/PROTOCOL.md
 * "Silent clients and keepalive"): an empty log line every interval the server asked for, and the
 * server's own keepalive records expected back: silent for {@link #SILENT_INTERVALS} intervals, it
 * counts as gone. No keepalive when the server asked for none (an original server).
 */
final class Keepalive {
    /** Keepalive intervals without a byte from the server after which it counts as gone. */
    static final int SILENT_INTERVALS = 3;

    /** What is due at a beat. */
    enum Due {
        /** Nothing yet. */
        NOTHING,
        /** Send a keepalive line. */
        BEAT,
        /** The server has been silent too long: it is gone. */
        SILENT
    }

    private long intervalNs;
    private long nextBeatNs;
    private long lastHeardNs;

    /** Starts keeping alive every {@code intervalSec} seconds (0: never). */
    void start(int intervalSec, long nowNs) {
        intervalNs = intervalSec * 1_000_000_000L;
        lastHeardNs = nowNs;
        nextBeatNs = nowNs + intervalNs;
    }

    /** Stops (the log connection is gone). */
    void stop() {
        intervalNs = 0;
    }

    /** @return true while beats are due from time to time */
    boolean active() {
        return intervalNs > 0;
    }

    /** The server was heard (any byte on the log connection). */
    void heard(long nowNs) {
        lastHeardNs = nowNs;
    }

    /** @return when the next beat is due (meaningful while {@link #active()}) */
    long nextBeatNs() {
        return nextBeatNs;
    }

    /** @return what is due at {@code nowNs}; a beat is counted as sent */
    Due check(long nowNs) {
        if (intervalNs == 0 || nowNs - nextBeatNs < 0) {
            return Due.NOTHING;
        }
        if (nowNs - lastHeardNs > SILENT_INTERVALS * intervalNs) {
            return Due.SILENT;
        }
        nextBeatNs = nowNs + intervalNs;
        return Due.BEAT;
    }

    /** @return how long the server has been silent at {@code nowNs} */
    long silentNs(long nowNs) {
        return nowNs - lastHeardNs;
    }
}
