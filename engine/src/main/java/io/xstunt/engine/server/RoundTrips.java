package io.xstunt.engine.server;

/**
 * The round trips a server measured on one log connection (FAST's start offsets, docs/PROTOCOL.md
 * "FAST"): ServerInfo written to LogState read, the IDLE acknowledgement and each keepalive record
 * to the client's next line. Keeps the least of the last {@link #KEPT}: queueing on either side only ever adds.
 */
final class RoundTrips {
    /** Samples kept. */
    static final int KEPT = 8;
    private final long[] samples = new long[KEPT];
    private int count;
    private long sentNs;
    private boolean outstanding;

    /** Something the client answers at once was written at {@code nowNs}. */
    void sent(long nowNs) {
        sentNs = nowNs;
        outstanding = true;
    }

    /** The client's answer (an empty line) came at {@code nowNs}: one sample, if something was outstanding. */
    void answered(long nowNs) {
        if (outstanding) {
            outstanding = false;
            samples[count++ % KEPT] = Math.max(1, nowNs - sentNs);
        }
    }

    /** @return the least of the samples kept, 0 if none yet */
    long rttNs() {
        long least = 0;
        for (int i = 0; i < Math.min(count, KEPT); i++) {
            least = least == 0 ? samples[i] : Math.min(least, samples[i]);
        }
        return least;
    }
}
