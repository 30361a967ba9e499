package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.EchoProbe.Action;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.ServerInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EchoProbe driven by hand: no sockets, a fake clock. */
class EchoProbeTest {
    static final ServerInfo INFO = new ServerInfo("alice", Ipv4.toInt(Ipv4.parse("203.0.113.1")),
            Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125);
    static final int PUBLIC = Ipv4.toInt(Ipv4.parse("198.51.100.4"));
    static final Duration TIMEOUT = Duration.ofSeconds(7);

    EchoProbe p;
    ByHand<Action> hand;

    /** @return the first query's action */
    Action.Query start(int attempts) {
        p = new EchoProbe(INFO, attempts, TIMEOUT);
        hand = new ByHand<>(p, 5_000);
        return hand.feed(p::start).only(Action.Query.class);
    }

    Outputs<Action> answer(int attempt, int seq, int boundPort, Observation seen) {
        return hand.feed(n -> p.handleQueryResult(attempt, seq, boundPort, seen, n));
    }

    @Test
    void fourQueriesFromOnePortInReferenceOrder() {
        Action.Query q = start(3);
        InetSocketAddress[] expected = EchoProbe.endpoints(INFO);
        assertEquals(new InetSocketAddress(Ipv4.toAddress(INFO.ip2()), 8124), expected[2]);
        for (int seq = 0; seq < 4; seq++) {
            assertEquals(seq, q.seq());
            assertEquals(1, q.attempt());
            assertEquals(expected[seq], q.endpoint());
            assertEquals(seq == 0 ? 0 : 40000, q.localPort(), "the first query picks a port, the rest reuse it");
            assertEquals(hand.now() + TIMEOUT.toNanos(), hand.deadline().orElseThrow());
            hand.advance(1000);
            Outputs<Action> o = answer(1, seq, 40000, new Observation(PUBLIC, 50000 + 3 * seq));
            if (seq < 3) {
                q = o.only(Action.Query.class);
            } else {
                Action.Done d = o.only(Action.Done.class);
                assertEquals(new NatAnalysis.Nature(PUBLIC, 3, false), d.nature());
                assertEquals(new NatAnalysis.ProbeRun(40000, List.of(new Observation(PUBLIC, 50000),
                        new Observation(PUBLIC, 50003), new Observation(PUBLIC, 50006), new Observation(PUBLIC, 50009))),
                        d.run());
                assertEquals(4, d.lines().size());
            }
        }
        assertEquals(EchoProbe.State.DONE, p.state());
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void failedQueryRetriesFromAFreshPortAfterABackoffTimer() {
        start(3);
        answer(1, 0, 40000, new Observation(PUBLIC, 40000)).only(Action.Query.class);
        assertTrue(hand.feed(n -> p.handleQueryFailed(1, 1, "connection refused", n)).quiet());
        assertEquals(EchoProbe.State.BACKOFF, p.state());
        assertEquals(hand.now() + EchoProbe.BACKOFF.toNanos(), hand.deadline().orElseThrow());
        assertTrue(hand.justBeforeDeadline().quiet());
        Action.Query q = hand.atDeadline().only(Action.Query.class);
        assertEquals(new Action.Query(2, 0, 0, EchoProbe.endpoints(INFO)[0]), q);
        assertTrue(answer(1, 1, 40000, new Observation(PUBLIC, 40000)).quiet(), "a stale result is ignored");
        assertTrue(hand.feed(n -> p.handleQueryFailed(1, 1, "late", n)).quiet(), "and a stale failure too");
    }

    @Test
    void aQueryFromAnotherPortFailsTheAttempt() {
        start(1);
        answer(1, 0, 40000, new Observation(PUBLIC, 40000));
        Action.Failed f = answer(1, 1, 40002, new Observation(PUBLIC, 40000)).only(Action.Failed.class);
        assertEquals(ErrorStat.ERR_PROBE, f.error().code());
        assertTrue(f.error().getMessage().contains("port 40002 instead of 40000"), f.error().getMessage());
    }

    @Test
    void queryTimeoutAbortsTheQuery() {
        start(2);
        assertEquals(List.of(new Action.AbortQuery()), hand.atDeadline().actions());
        assertEquals(EchoProbe.State.BACKOFF, p.state());
    }

    @Test
    void disagreeingPublicIpsAreLoggedAndTheProbeStillDecides() {
        start(2);
        Outputs<Action> last = null;
        for (int seq = 0; seq < 4; seq++) {
            last = answer(1, seq, 40000, new Observation(PUBLIC + (seq == 3 ? 1 : 0), 40000));
        }
        Action.Done d = last.only(Action.Done.class);
        assertEquals(new NatAnalysis.Nature(PUBLIC, 0, true, false), d.nature());
        assertTrue(d.lines().get(d.lines().size() - 1).contains("disagree on the public IP"), d.lines().toString());
        assertEquals(EchoProbe.State.DONE, p.state());
    }

    @Test
    void anEchoOfAddressZeroFailsTheAttemptAndExhaustedAttemptsAreErrProbe() {
        start(2);
        Outputs<Action> last = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            for (int seq = 0; seq < 4; seq++) {
                last = answer(attempt, seq, 40000, new Observation(seq == 3 ? 0 : PUBLIC, 40000));
            }
            if (attempt == 1) {
                assertTrue(last.quiet(), "the first attempt's failure only waits out the backoff");
                hand.atDeadline().only(Action.Query.class);
            }
        }
        Action.Failed f = last.only(Action.Failed.class);
        assertEquals(ErrorStat.ERR_PROBE, f.error().code());
        assertTrue(f.error().getMessage().contains("invalid address"), f.error().getMessage());
        assertEquals(EchoProbe.State.FAILED, p.state());
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void abortStopsTheQueryAndTheTimer() {
        start(2);
        assertEquals(List.of(new Action.AbortQuery()), hand.feed(n -> p.abort()).actions());
        assertTrue(hand.deadline().isEmpty());
        assertEquals(EchoProbe.State.FAILED, p.state());

        start(2);
        hand.feed(n -> p.handleQueryFailed(1, 0, "refused", n));
        assertTrue(hand.feed(n -> p.abort()).quiet(), "during the backoff no query is in flight");
        assertTrue(hand.deadline().isEmpty());
    }
}
