package io.xstunt.engine.server;

/**
 * The limits of one relayed connection as arithmetic, without I/O: bytes per direction, a rate per
 * direction (a token bucket holding one second's worth that may run into debt: a read already
 * taken is passed whole, and reading waits until the debt is paid), and the end of its duration.
 * Direction {@code d} is "bytes from side d". Time comes in as {@code nowNs}. Not thread-safe.
 */
final class RelayBudget {
    private final long maxBytes;
    private final long bytesPerSecond;
    private final long endNs;
    private final boolean timed;
    private final long[] passed = new long[2];
    /** Tokens per direction in bytes (negative: debt). */
    private final long[] tokens = new long[2];
    private final long[] refilledNs = new long[2];

    /**
     * @param maxBytes bytes per direction, 0: none
     * @param bytesPerSecond rate per direction, 0: none
     * @param durationNs how long the relay may run, 0: no limit
     */
    RelayBudget(long maxBytes, long bytesPerSecond, long durationNs, long nowNs) {
        this.maxBytes = maxBytes;
        this.bytesPerSecond = bytesPerSecond;
        this.timed = durationNs > 0;
        this.endNs = nowNs + durationNs;
        for (int d = 0; d < 2; d++) {
            tokens[d] = bytesPerSecond;
            refilledNs[d] = nowNs;
        }
    }

    /**
     * {@code n} bytes arrived from side {@code d}.
     *
     * @return how many of them may pass (fewer than {@code n} only at the byte limit)
     */
    long take(int d, long n, long nowNs) {
        long pass = maxBytes == 0 ? n : Math.min(n, maxBytes - passed[d]);
        passed[d] += pass;
        if (bytesPerSecond > 0) {
            refill(d, nowNs);
            tokens[d] -= pass;
        }
        return pass;
    }

    /** @return true once side {@code d} has sent all it may */
    boolean exhausted(int d) {
        return maxBytes != 0 && passed[d] >= maxBytes;
    }

    /**
     * @return how long side {@code d} must not be read for its rate (0: read on), after
     *     {@link #take}
     */
    long waitNs(int d, long nowNs) {
        if (bytesPerSecond == 0) {
            return 0;
        }
        refill(d, nowNs);
        return tokens[d] >= 0 ? 0 : Math.max(1, -tokens[d] * 1_000_000_000L / bytesPerSecond);
    }

    private void refill(int d, long nowNs) {
        long elapsed = nowNs - refilledNs[d];
        if (elapsed <= 0) {
            return;
        }
        long add = elapsed >= 1_000_000_000L ? bytesPerSecond : elapsed * bytesPerSecond / 1_000_000_000L;
        if (add > 0) {
            tokens[d] = Math.min(bytesPerSecond, tokens[d] + add);
            refilledNs[d] = nowNs;
        }
    }

    /** @return bytes passed from side {@code d} */
    long passed(int d) {
        return passed[d];
    }

    /** @return true if the relay has an end in time */
    boolean timed() {
        return timed;
    }

    /** @return when the relay's duration ends (if {@link #timed()}) */
    long endNs() {
        return endNs;
    }
}
