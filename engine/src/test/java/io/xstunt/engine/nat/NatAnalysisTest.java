package io.xstunt.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.nat.NatAnalysis.Nature;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.nat.NatAnalysis.ProbeRun;
import io.xstunt.engine.nat.NatAnalysis.Rules;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
    void aDeltaThatStartsOnTheLocalPortIsPreservingOnlyByTheFirstProbe() throws Failure {
        List<Observation> obs = ports(IP, 5555, 5556, 5557, 5558);
        // XAnalyzeNature counts probes that kept the port (one here): not preserving
        assertEquals(new Nature(IP, 1, false), NatAnalysis.analyze(obs, 5555, Rules.XSTUNT_1_0));
        assertEquals(new Nature(IP, 1, true), NatAnalysis.analyze(obs, 5555, Rules.UNANIMOUS));
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
    void mismatchedPublicIpsAreMarkedByTheOriginalsRulesAndFailTheUnanimousOnes() throws Failure {
        List<Observation> obs = ports(IP, 40000, 40000, 40000);
        obs.add(1, new Observation(IP + 1, 40000));
        Nature n = NatAnalysis.analyze(obs, 40000, Rules.XSTUNT_1_0);
        assertEquals(new Nature(IP, 0, true, false), n);
        assertEquals(IP + 7, n.toFingerprint(Protocol.BUILD_VERSION, 1, "me", IP + 7).publicIp(),
                "the fingerprint takes the IP it is given (XProbe: the server's view)");
        Failure e = assertThrows(Failure.class, () -> NatAnalysis.analyze(obs, 40000, Rules.UNANIMOUS));
        assertEquals(ErrorStat.ERR_PROBE, e.code());
        assertTrue(e.getMessage().contains("disagree"), e.getMessage());
    }

    @Test
    void theMostCommonPublicIpIsTheNatures() throws Failure {
        List<Observation> obs = List.of(new Observation(IP + 1, 1), new Observation(IP, 1), new Observation(IP, 1),
                new Observation(IP + 2, 1));
        assertEquals(IP, NatAnalysis.analyze(obs, 1).publicIp());
    }

    @Test
    void aSequentialNatDisturbedOnceBetweenProbesIsStillDeltaTwoByTheOriginalsRules() throws Failure {
        // another host's connection took 1004 between our second and third probe
        List<Observation> obs = ports(IP, 1000, 1002, 1006, 1008);
        assertEquals(new Nature(IP, 2, false), NatAnalysis.analyze(obs, 5555, Rules.XSTUNT_1_0));
        assertEquals(Protocol.RANDOM_INCREMENT, NatAnalysis.analyze(obs, 5555, Rules.UNANIMOUS).increment());
    }

    @Test
    void disturbedTwiceTheOriginalsRulesReadTheWrongStep() throws Failure {
        // ports taken after the first and the third probe: the most common difference is 4, not
        // the NAT's 2; the rules are the original's, wrong guesses included
        List<Observation> obs = ports(IP, 1000, 1004, 1006, 1010);
        assertEquals(4, NatAnalysis.analyze(obs, 5555, Rules.XSTUNT_1_0).increment());
        assertEquals(Protocol.RANDOM_INCREMENT, NatAnalysis.analyze(obs, 5555, Rules.UNANIMOUS).increment());
    }

    @Test
    void aPreservingConeWhoseFirstProbeCollidedIsStillAPreservingCone() throws Failure {
        // the first probe's port was taken (another host, same remote): the NAT picked another
        List<Observation> obs = ports(IP, 41234, 40000, 40000, 40000);
        assertEquals(new Nature(IP, 0, true), NatAnalysis.analyze(obs, 40000, Rules.XSTUNT_1_0));
        assertEquals(new Nature(IP, Protocol.RANDOM_INCREMENT, false),
                NatAnalysis.analyze(obs, 40000, Rules.UNANIMOUS));
    }

    @Test
    void twoOfFourKeptPortsArePreservingAndEveryDifferenceOnceIsRandom() throws Failure {
        Nature n = NatAnalysis.analyze(ports(IP, 40000, 40000, 41000, 43000), 40000, Rules.XSTUNT_1_0);
        assertEquals(new Nature(IP, Protocol.RANDOM_INCREMENT, true), n);
        assertEquals("TCP PORT-PRESERVING RANDOM-SYMMETRIC", describe(n));
        assertFalse(NatAnalysis.analyze(ports(IP, 40000, 41000, 42000, 43000), 40000, Rules.XSTUNT_1_0)
                .portPreserving(), "one kept port is not preserving");
    }

    @Test
    void theClientsRulesAreTheOriginals() throws Failure {
        List<Observation> obs = ports(IP, 1000, 1002, 1006, 1008);
        assertEquals(NatAnalysis.analyze(obs, 5555, Rules.XSTUNT_1_0), NatAnalysis.analyze(obs, 5555));
        assertEquals(NatAnalysis.analyze(obs, 5555), new ProbeRun(5555, obs).analyze(Rules.XSTUNT_1_0));
    }

    /**
     * The original's rules are at least as tolerant as the unanimous ones: whatever increment the
     * unanimous rules find, the original's find too, over random runs of four probes drawn from a
     * few ports (so that repeats and equal differences are common).
     */
    @Test
    void theOriginalsRulesFindEveryIncrementTheUnanimousOnesFind() throws Failure {
        Random random = new Random(11);
        int unanimousFound = 0;
        for (int i = 0; i < 20_000; i++) {
            int base = 1 + random.nextInt(65535);
            int[] p = new int[4];
            for (int k = 0; k < 4; k++) {
                p[k] = Math.floorMod(base - 1 + 2 * random.nextInt(4), 65535) + 1;
            }
            List<Observation> obs = ports(IP, p);
            int local = random.nextBoolean() ? p[random.nextInt(4)] : 1 + random.nextInt(65535);
            Nature unanimous = NatAnalysis.analyze(obs, local, Rules.UNANIMOUS);
            Nature original = NatAnalysis.analyze(obs, local, Rules.XSTUNT_1_0);
            if (unanimous.increment() != Protocol.RANDOM_INCREMENT) {
                unanimousFound++;
                assertEquals(unanimous.increment(), original.increment(), obs::toString);
            }
            if (original.increment() == Protocol.RANDOM_INCREMENT) {
                assertEquals(Protocol.RANDOM_INCREMENT, unanimous.increment(), obs::toString);
            }
        }
        assertTrue(unanimousFound > 100, "the draw must exercise the found case, got " + unanimousFound);
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
