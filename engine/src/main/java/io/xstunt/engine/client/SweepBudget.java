package io.xstunt.engine.client;

import io.xstunt.engine.wire.SweepFrame;

/**
 * What a client allows the birthday sweep ({@link BirthdaySweep}, docs/PROTOCOL.md "Birthday
 * sweep"): whether it takes part, and its budget. Two peers sweep with the smaller value of each
 * field of their two budgets.
 *
 * <p>The defaults: 256 sockets on the hard side and at most 1,024 probes from the easy side (about
 * 98 % of meeting when the random NAT picks among 64,512 ports: 1 - e^(-256 * 1024 / 64512)), at
 * most 500 SYNs a second from either side, so a sweep that misses has started at most 1,281 SYNs
 * on the easy side and 257 on the hard side, in about 2.6 seconds.
 *
 * @param enabled whether this client sweeps (false: a pair with one random NAT goes to the relay
 *     after the ordinary punch, as before)
 * @param sockets the sockets the hard side opens (1-4096)
 * @param probes the most probes the easy side sends (1-16384)
 * @param synsPerSecond the most SYNs a second either side starts (1-10000)
 */
public record SweepBudget(boolean enabled, int sockets, int probes, int synsPerSecond) {
    /** The default budget: on, 256 sockets, 1,024 probes, 500 SYNs a second. */
    public static final SweepBudget DEFAULT = new SweepBudget(true, 256, 1024, 500);
    /** No sweep. */
    public static final SweepBudget OFF = new SweepBudget(false, DEFAULT.sockets, DEFAULT.probes,
            DEFAULT.synsPerSecond);
    /** The most sockets. */
    public static final int MAX_SOCKETS = 4096;
    /** The most probes. */
    public static final int MAX_PROBES = 16384;
    /** The highest rate. */
    public static final int MAX_SYNS_PER_SECOND = 10000;

    /** Checks the ranges. */
    public SweepBudget {
        check(sockets, MAX_SOCKETS, "sweep sockets");
        check(probes, MAX_PROBES, "sweep probes");
        check(synsPerSecond, MAX_SYNS_PER_SECOND, "sweep SYNs a second");
    }

    private static void check(int v, int max, String what) {
        if (v < 1 || v > max) {
            throw new IllegalArgumentException(what + " must be 1.." + max + ", got " + v);
        }
    }

    /** @return this budget as OFFER carries it, for a client whose NAT is random or not */
    public SweepFrame.Offer offer(boolean randomNat) {
        return new SweepFrame.Offer(randomNat, enabled, sockets, probes, synsPerSecond);
    }
}
