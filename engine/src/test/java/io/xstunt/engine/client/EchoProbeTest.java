package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.EchoProbe.Action;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.ServerInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EchoProbe driven without sockets, on a fake clock. */
class EchoProbeTest {
    static final ServerInfo INFO = new ServerInfo("alice", Ipv4.toInt(Ipv4.parse("203.0.113.1")),
            Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125);
    static final int PUBLIC = Ipv4.toInt(Ipv4.parse("198.51.100.4"));
    static final Duration TIMEOUT = Duration.ofSeconds(7);
    long now = 5_000;

    static Action.Query query(List<Action> actions) {
        assertEquals(1, actions.size(), actions.toString());
        return assertInstanceOf(Action.Query.class, actions.get(0));
    }

    @Test
    void fourQueriesFromOnePortInReferenceOrder() {
        EchoProbe p = new EchoProbe(INFO, 3, TIMEOUT);
        p.start(now);
        InetSocketAddress[] expected = EchoProbe.endpoints(INFO);
        assertEquals(new InetSocketAddress(Ipv4.toAddress(INFO.ip2()), 8124), expected[2]);
        for (int seq = 0; seq < 4; seq++) {
            Action.Query q = query(p.drainActions());
            assertEquals(seq, q.seq());
            assertEquals(expected[seq], q.endpoint());
            assertEquals(seq == 0 ? 0 : 40000, q.localPort(), "the first query picks a port, the rest reuse it");
            assertEquals(now + TIMEOUT.toNanos(), p.deadlineNs().orElseThrow());
            p.onQueryResult(1, seq, 40000, new Observation(PUBLIC, 50000 + 3 * seq), now);
        }
        Action.Done d = assertInstanceOf(Action.Done.class, p.drainActions().get(0));
        assertEquals(new NatAnalysis.Nature(PUBLIC, 3, false), d.nature());
        assertEquals(4, d.lines().size());
        assertEquals(EchoProbe.State.DONE, p.state());
        assertTrue(p.deadlineNs().isEmpty());
    }

    @Test
    void failedQueryRetriesFromAFreshPortAfterABackoffTimer() {
        EchoProbe p = new EchoProbe(INFO, 3, TIMEOUT);
        p.start(now);
        p.drainActions();
        p.onQueryResult(1, 0, 40000, new Observation(PUBLIC, 40000), now);
        p.drainActions();
        p.onQueryFailed(1, 1, "connection refused", now);
        assertTrue(p.drainActions().isEmpty());
        assertEquals(EchoProbe.State.BACKOFF, p.state());
        long deadline = p.deadlineNs().orElseThrow();
        assertEquals(now + EchoProbe.BACKOFF.toNanos(), deadline);
        p.onTimeout(deadline - 1);
        assertTrue(p.drainActions().isEmpty());
        p.onTimeout(deadline);
        Action.Query q = query(p.drainActions());
        assertEquals(new Action.Query(2, 0, 0, EchoProbe.endpoints(INFO)[0]), q);
        p.onQueryResult(1, 1, 40000, new Observation(PUBLIC, 40000), deadline); // stale: ignored
        assertTrue(p.drainActions().isEmpty());
    }

    @Test
    void queryTimeoutAbortsTheQuery() {
        EchoProbe p = new EchoProbe(INFO, 2, TIMEOUT);
        p.start(now);
        p.drainActions();
        p.onTimeout(now + TIMEOUT.toNanos());
        assertEquals(List.of(new Action.AbortQuery()), p.drainActions());
        assertEquals(EchoProbe.State.BACKOFF, p.state());
    }

    @Test
    void disagreeingPublicIpsFailTheAttemptAndExhaustedAttemptsAreErrProbe() {
        EchoProbe p = new EchoProbe(INFO, 2, TIMEOUT);
        p.start(now);
        for (int attempt = 1; attempt <= 2; attempt++) {
            for (int seq = 0; seq < 4; seq++) {
                query(p.drainActions());
                p.onQueryResult(attempt, seq, 40000, new Observation(PUBLIC + (seq == 3 ? 1 : 0), 40000), now);
            }
            if (attempt == 1) {
                assertTrue(p.drainActions().isEmpty());
                now = p.deadlineNs().orElseThrow();
                p.onTimeout(now);
            }
        }
        Action.Failed f = assertInstanceOf(Action.Failed.class, p.drainActions().get(0));
        assertEquals(ErrorStat.ERR_PROBE, f.error().code());
        assertTrue(f.error().getMessage().contains("disagree"), f.error().getMessage());
        assertEquals(EchoProbe.State.FAILED, p.state());
        assertTrue(p.deadlineNs().isEmpty());
    }

    @Test
    void abortStopsTheQueryAndTheTimer() {
        EchoProbe p = new EchoProbe(INFO, 2, TIMEOUT);
        p.start(now);
        p.drainActions();
        p.abort();
        assertEquals(List.of(new Action.AbortQuery()), p.drainActions());
        assertTrue(p.deadlineNs().isEmpty());
    }
}
