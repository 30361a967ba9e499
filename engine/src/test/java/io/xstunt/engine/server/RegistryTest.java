package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegistryTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int LOCAL = Ipv4.toInt(Ipv4.parse("10.0.0.7"));

    private final Registry registry = new Registry();

    private RecordingEndpoint idle(String id, int ip, int localIp) {
        RecordingEndpoint e = new RecordingEndpoint();
        assertEquals(Registry.ClaimOutcome.ACCEPTED, registry.claim(id, ip, e));
        registry.reportState(id, e, Protocol.CSTATE_IDLE, localIp);
        return e;
    }

    /** A session handle that records its aborts. */
    private static final class RecordingSession implements RendezvousHandle {
        final List<String> aborts = new ArrayList<>();

        @Override
        public int sessionId() {
            return 1;
        }

        @Override
        public int controlPort() {
            return 40000;
        }

        @Override
        public void abort(String reason) {
            aborts.add(reason);
        }
    }

    @Test
    void probeRegistrationIsReplacedFromTheSameIpOnly() {
        RecordingEndpoint probe = new RecordingEndpoint();
        assertEquals(Registry.ClaimOutcome.ACCEPTED, registry.claim("a", IP_A, probe));
        registry.reportState("a", probe, Protocol.CSTATE_PROBE, LOCAL);
        assertEquals(Registry.ClaimOutcome.DUPLICATE, registry.claim("a", IP_B, new RecordingEndpoint()));
        assertEquals(0, probe.disconnects);

        RecordingEndpoint again = new RecordingEndpoint();
        assertEquals(Registry.ClaimOutcome.REPLACED, registry.claim("a", IP_A, again));
        assertEquals(1, probe.disconnects, "the replaced PROBE connection is closed");
        registry.release("a", probe); // its close arrives late: must not free the new holder
        assertEquals(Protocol.CSTATE_PROBE, registry.query("a"));
        registry.reportState("a", again, Protocol.CSTATE_IDLE, LOCAL);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("a"));
        assertEquals(Registry.ClaimOutcome.DUPLICATE, registry.claim("a", IP_A, new RecordingEndpoint()),
                "an IDLE holder is never replaced");
    }

    @Test
    void releaseFreesTheIdAndAbortsItsSession() {
        RecordingEndpoint a = idle("a", IP_A, LOCAL);
        idle("b", IP_B, LOCAL);
        Registry.ConnectDecision d = registry.checkConnect("a", "b", IP_A);
        assertTrue(d.accepted());
        RecordingSession s = new RecordingSession();
        registry.beginSession(d.source(), d.destination(), s);
        assertEquals(Protocol.CSTATE_BUSY, registry.query("a"));
        assertEquals(2, registry.busyCount());

        registry.release("a", a);
        assertEquals(-1, registry.query("a"));
        assertEquals(1, s.aborts.size());
        assertEquals(Protocol.CSTATE_DEAD, d.source().state());
        registry.endSession(s, "a", "b");
        assertEquals(Protocol.CSTATE_IDLE, registry.query("b"));
        assertEquals(0, registry.busyCount());
        assertEquals(1, registry.size());
    }

    @Test
    void connectRules() {
        idle("a", IP_A, LOCAL);
        idle("b", IP_B, LOCAL);
        idle("c", IP_B, Ipv4.toInt(Ipv4.parse("10.0.0.9")));
        RecordingEndpoint p = new RecordingEndpoint();
        registry.claim("p", IP_B, p);

        assertEquals(-1, registry.checkConnect("x", "b", IP_A).reply(), "unknown source");
        assertEquals(-1, registry.checkConnect("a", "b", IP_B).reply(), "source IP mismatch");
        assertEquals(-1, registry.checkConnect("a", "x", IP_A).reply(), "unknown destination");
        assertEquals(-1, registry.checkConnect("a", "a", IP_A).reply(), "destination is the source");
        assertEquals(-1, registry.checkConnect("a", "p", IP_A).reply(), "destination still PROBE");
        assertEquals(-1, registry.checkConnect("p", "a", IP_B).reply(), "source not IDLE");
        Registry.ConnectDecision same = registry.checkConnect("b", "c", IP_B);
        assertFalse(same.accepted());
        assertEquals(Ipv4.toInt(Ipv4.parse("10.0.0.9")), same.reply(), "same NAT: destination's local IP");
        Registry.ConnectDecision ok = registry.checkConnect("a", "b", IP_A);
        assertTrue(ok.accepted());
        assertEquals(0, ok.reply());
        assertNull(ok.reason());
        registry.beginSession(ok.source(), ok.destination(), new RecordingSession());
        assertEquals(-1, registry.checkConnect("c", "b", IP_B).reply(), "destination BUSY");
    }

    @Test
    void sameNatWithUnsendableLocalIpIsNoMatch() {
        idle("a", IP_A, LOCAL);
        idle("b", IP_A, 0);
        assertEquals(-1, registry.checkConnect("a", "b", IP_A).reply());
    }

    @Test
    void deregisterOnlyByTheHoldersAddress() {
        RecordingEndpoint a = idle("a", IP_A, LOCAL);
        assertFalse(registry.deregister("a", IP_B));
        assertEquals(0, a.disconnects);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("a"));
        assertTrue(registry.deregister("a", IP_A));
        assertEquals(1, a.disconnects);
        assertEquals(-1, registry.query("a"));
        assertFalse(registry.deregister("a", IP_A), "already gone");
    }

    @Test
    void endSessionOnlyTouchesItsOwnClients() {
        idle("a", IP_A, LOCAL);
        idle("b", IP_B, LOCAL);
        Registry.ConnectDecision d = registry.checkConnect("a", "b", IP_A);
        RecordingSession s1 = new RecordingSession();
        registry.beginSession(d.source(), d.destination(), s1);
        registry.endSession(new RecordingSession(), "a", "b");
        assertEquals(Protocol.CSTATE_BUSY, registry.query("a"), "another session's end changes nothing");
        registry.endSession(s1, "a", "b");
        assertEquals(Protocol.CSTATE_IDLE, registry.query("a"));
        assertSame(null, d.source().session());
    }
}
