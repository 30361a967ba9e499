package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.xstunt.engine.nat.PunchGrid;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The server's FAST decision: who gets a go, what each is told, and the offsets that make the SYNs leave together. */
class FastPlanTest {
    private static final long MS = 1_000_000;

    private static FastPlan.Client client(String ip, int port, long rttMs) {
        return new FastPlan.Client(Ipv4.parse(ip), port, true, true, rttMs * MS);
    }

    @Test
    void equalDistancesGoTogetherAtOnce() {
        FastPlan.Go go = assertInstanceOf(FastPlan.Go.class,
                FastPlan.decide(client("203.0.113.1", 40000, 20), client("203.0.113.2", 50000, 20)));
        assertEquals(new InetSocketAddress(Ipv4.parse("203.0.113.2"), 50000), go.toInitiator().peer());
        assertEquals(new InetSocketAddress(Ipv4.parse("203.0.113.1"), 40000), go.toListener().peer());
        assertEquals(0, go.toInitiator().startOffsetNs());
        assertEquals(0, go.toListener().startOffsetNs());
        // RACE's grid on the round trip through the server, initiator - server - listener and back
        assertEquals(PunchGrid.retryPeriodNs(40 * MS), go.toInitiator().retryPeriodNs());
        assertEquals(go.toInitiator().retryPeriodNs(), go.toListener().retryPeriodNs());
    }

    /**
     * The request leaves the initiator at 0; the go reaches it at r_i and the listener at
     * (r_i + r_l) / 2. Whichever is nearer waits half the difference: both SYNs leave at the later time.
     */
    @Test
    void theNearerClientWaitsHalfTheDifference() {
        for (long[] rtts : new long[][] {{10, 80}, {80, 10}, {5, 40}}) {
            long ri = rtts[0];
            long rl = rtts[1];
            FastPlan.Go go = assertInstanceOf(FastPlan.Go.class,
                    FastPlan.decide(client("203.0.113.1", 40000, ri), client("203.0.113.2", 50000, rl)));
            long initiatorSyn = ri * MS + go.toInitiator().startOffsetNs();
            long listenerSyn = (ri + rl) * MS / 2 + go.toListener().startOffsetNs();
            assertEquals(initiatorSyn, listenerSyn, ri + "/" + rl);
            assertEquals(Math.max(ri, (ri + rl) / 2.0) * MS, initiatorSyn, 1, "nobody waits longer than needed");
        }
    }

    @Test
    void otherwiseANormalSession() {
        FastPlan.Client a = client("203.0.113.1", 40000, 20);
        FastPlan.Client b = client("203.0.113.2", 50000, 20);
        assertEquals(new FastPlan.Normal(FastPlan.Reason.NOT_FAST),
                FastPlan.decide(a, new FastPlan.Client(b.publicIp(), b.punchPort(), false, true, b.rttNs())));
        assertEquals(new FastPlan.Normal(FastPlan.Reason.NOT_PORT_PRESERVING),
                FastPlan.decide(new FastPlan.Client(a.publicIp(), a.punchPort(), true, false, a.rttNs()), b));
        assertEquals(new FastPlan.Normal(FastPlan.Reason.SAME_PUBLIC_IP),
                FastPlan.decide(a, client("203.0.113.1", 50000, 20)));
        assertEquals(new FastPlan.Normal(FastPlan.Reason.NO_RTT_SAMPLE),
                FastPlan.decide(a, client("203.0.113.2", 50000, 0)));
        long tooFar = (2 * FastGo.MAX_TIME_NS + 2 * MS) / MS + 20;
        assertEquals(new FastPlan.Normal(FastPlan.Reason.OFFSET_TOO_LARGE),
                FastPlan.decide(a, client("203.0.113.2", 50000, tooFar)));
    }

    @Test
    void theGridIsRacesWithinItsBounds() {
        assertEquals(PunchGrid.MIN_RETRY.toNanos(), PunchGrid.retryPeriodNs(0));
        assertEquals(125 * MS + 2 * MS, PunchGrid.retryPeriodNs(100 * MS));
        assertEquals(PunchGrid.MAX_RETRY.toNanos(), PunchGrid.retryPeriodNs(10_000 * MS));
    }
}
