package io.xstunt.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.NatAnalysis.Nature;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NatAnalysisTest {
    private static final int IP = Ipv4.toInt(Ipv4.parse("203.0.113.7"));

    private static List<Observation> ports(int ip, int... ports) {
        List<Observation> l = new ArrayList<>();
        for (int p : ports) {
            l.add(new Observation(ip, p));
        }
        return l;
    }

    private static String describe(Nature n) {
        Fingerprint f = n.toFingerprint(Protocol.BUILD_VERSION, 1, "me");
        return f.describe();
    }

    @Test
    void coneThatPreservesPorts() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 40000, 40000, 40000, 40000), 40000);
        assertEquals(new Nature(IP, 0, true), n);
        assertEquals("TCP PORT-PRESERVING CONE", describe(n));
    }

    @Test
    void coneThatRemapsPorts() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 61000, 61000, 61000, 61000), 40000);
        assertEquals(new Nature(IP, 0, false), n);
        assertEquals("TCP NOT-PORT-PRESERVING CONE", describe(n));
    }

    @Test
    void deltaTwoSymmetric() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 1000, 1002, 1004, 1006), 5555);
        assertEquals(2, n.increment());
        assertFalse(n.portPreserving());
        assertEquals("TCP NOT-PORT-PRESERVING DELTA-2-SYMMETRIC", describe(n));
    }

    @Test
    void deltaOneThatStartsOnTheLocalPortIsPreserving() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 5555, 5556, 5557, 5558), 5555);
        assertEquals(new Nature(IP, 1, true), n);
    }

    @Test
    void deltaAcrossThePortRangeWrapStaysStable() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 65533, 65535, 2, 4), 7);
        assertEquals(2, n.increment());
    }

    @Test
    void negativeDeltaIsStable() throws Failure {
        assertEquals(-3, NatAnalysis.analyze(ports(IP, 3009, 3006, 3003, 3000), 1).increment());
    }

    @Test
    void unstableDeltaIsRandom() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 1000, 1002, 1009, 1010), 5555);
        assertEquals(Protocol.RANDOM_INCREMENT, n.increment());
        assertEquals("TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC", describe(n));
    }

    @Test
    void mismatchedPublicIpsFailTheProbe() {
        List<Observation> obs = ports(IP, 40000, 40000, 40000);
        obs.add(new Observation(IP + 1, 40000));
        Failure e = assertThrows(Failure.class, () -> NatAnalysis.analyze(obs, 40000));
        assertEquals(ErrorStat.ERR_PROBE, e.code());
        assertTrue(e.getMessage().contains("disagree"), e.getMessage());
    }

    @Test
    void zeroAddressOrTooFewObservationsFailTheProbe() {
        assertEquals(ErrorStat.ERR_PROBE, assertThrows(Failure.class,
                () -> NatAnalysis.analyze(ports(0, 1, 1, 1, 1), 1)).code());
        assertEquals(ErrorStat.ERR_PROBE, assertThrows(Failure.class,
                () -> NatAnalysis.analyze(ports(IP, 1), 1)).code());
        assertEquals(ErrorStat.ERR_PROBE, assertThrows(Failure.class,
                () -> NatAnalysis.analyze(ports(IP, 0, 0), 1)).code());
    }
}
