package io.xstunt.engine.simlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.Failure;
import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.FingerprintFile;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.nat.NatAnalysis.Nature;
import io.xstunt.engine.nat.NatAnalysis.Rules;
import io.xstunt.engine.nat.PortPrediction;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 11's disturbed mapping on the simulated lab: nat1 is a sequential NAT (every new
 * connection through it, from any host, gets the next port: step 2), and while h1 probes at XInit,
 * h3 behind the same NAT opens connections between h1's probes, which take ports out of h1's
 * sequence. The probe's observations are read by both rule sets; then h1 listens with each rule
 * set's fingerprint (written to its fingerprint file, as a client that had probed with those rules
 * would have) and h2 (behind a port-preserving NAT) connects, with no background traffic: the
 * prediction succeeds exactly when the fingerprint has the NAT's real step.
 *
 * <p>natlab's NatLabTest runs the same scenario on Linux conntrack (docs/NAT-LAB.md).
 */
@Timeout(60)
class DisturbedMappingTest {
    /** nat1's port step ({@code --seq-step 2}). */
    private static final int STEP = 2;
    /** One-way delay on nat1's link: the probes are a round trip apart, h3's SYN crosses the LAN at once. */
    private static final Duration DELAY1 = Duration.ofMillis(10);
    private static final Set<Integer> ECHO_PORTS = Set.of(Protocol.DEFAULT_ECHO_PORT1, Protocol.DEFAULT_ECHO_PORT2);

    @TempDir
    Path dir;

    /** Where h3's connections fall: after which of h1's four probes (0-based), one each. */
    enum Disturbance {
        NONE(List.of(2, 2, 2), 2, 2),
        ONCE_AFTER_THE_SECOND_PROBE(List.of(2, 4, 2), 2, Protocol.RANDOM_INCREMENT, 1),
        AFTER_THE_FIRST_AND_THE_THIRD(List.of(4, 2, 4), 4, Protocol.RANDOM_INCREMENT, 0, 2);

        final List<Integer> deltas;
        final int original;
        final int unanimous;
        final Set<Integer> afterProbes;

        Disturbance(List<Integer> deltas, int original, int unanimous, Integer... afterProbes) {
            this.deltas = deltas;
            this.original = original;
            this.unanimous = unanimous;
            this.afterProbes = Set.of(afterProbes);
        }
    }

    @ParameterizedTest
    @EnumSource(Disturbance.class)
    void bothRuleSetsReadTheDisturbedProbeAndOnlyTheNatsRealStepConnects(Disturbance disturbance) throws Failure {
        NatLab lab = NatLab.builder().seed(11).nat1(NatMapping.SEQUENTIAL).seqStep(STEP).nat2(NatMapping.PRESERVE)
                .delay1(DELAY1).build();
        StuntLab stunt = StuntLab.start(lab, 11);
        InetSocketAddress background = lab.pub().socketAddress(0, 9);
        boolean[] probing = {true};
        int[] probes = {0};
        List<String> h3Ports = new ArrayList<>();
        lab.nat1().onNewMapping(m -> {
            if (m.source().getAddress().equals(lab.h3().address())) {
                h3Ports.add(String.valueOf(m.mapped().getPort()));
            } else if (probing[0] && m.source().getAddress().equals(lab.h1().address())
                    && ECHO_PORTS.contains(m.destination().getPort())
                    && disturbance.afterProbes.contains(probes[0]++)) {
                connectFromH3(lab, background);
            }
        });

        StuntClient prober = stunt.register(lab.h1(), "prober", config(dir.resolve("prober.fp")));
        probing[0] = false;
        NatAnalysis.ProbeRun run = prober.probeRun();
        assertEquals(4, run.observations().size(), run.toString());
        List<Integer> deltas = new ArrayList<>();
        for (int i = 1; i < 4; i++) {
            deltas.add(PortPrediction.delta(run.observations().get(i - 1).publicPort(),
                    run.observations().get(i).publicPort()));
        }
        assertEquals(disturbance.deltas, deltas, "h1's probes " + run + ", h3 took " + h3Ports);
        assertEquals(disturbance.afterProbes.size(), h3Ports.size(), "h3's connections: " + h3Ports);

        Nature original = run.analyze(Rules.XSTUNT_1_0);
        Nature unanimous = run.analyze(Rules.UNANIMOUS);
        assertEquals(disturbance.original, original.increment(), run.toString());
        assertEquals(disturbance.unanimous, unanimous.increment(), run.toString());
        assertEquals(original.increment(), prober.fingerprint().increment(), "the client reads by the original's rules");
        Fingerprint probed = prober.fingerprint();
        stunt.deregister(prober);

        for (Nature nature : List.of(original, unanimous)) {
            Attempt a = stunt.attempt(lab.h1(), id -> config(fingerprintFile(id, nature, probed)), lab.h2(),
                    PunchStrategy.RACE, Scenario.RACE_TIMEOUT);
            assertTrue(a.listener().fingerprint().contains(nature.increment() == Protocol.RANDOM_INCREMENT
                    ? "RANDOM" : "DELTA-" + nature.increment()), a.describe());
            boolean realStep = nature.increment() == STEP;
            assertEquals(realStep, a.connected(), "a fingerprint with increment " + nature.increment()
                    + " on a NAT of step " + STEP + ": " + a.describe());
            if (realStep) {
                assertEquals(NatLab.NAT1_IP, a.connector().remote().getAddress().getHostAddress(), a.describe());
                assertTrue(a.echoed().complete(), a.describe());
            }
        }
    }

    private static ClientConfig config(Path fingerprintFile) {
        return StuntLab.clientConfig(PunchStrategy.RACE, Scenario.RACE_TIMEOUT).toBuilder()
                .fingerprintFile(fingerprintFile).build();
    }

    /** The file a client of ID {@code id} would have written after reading the probe as {@code nature}. */
    private Path fingerprintFile(String id, Nature nature, Fingerprint probed) {
        Path file = dir.resolve(id + ".fp");
        try {
            FingerprintFile.write(file, nature.toFingerprint(Protocol.BUILD_VERSION, probed.serverVersion(), id,
                    probed.publicIp()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Another host's connection through nat1: its SYN takes the next port (the answer does not matter). */
    private static void connectFromH3(NatLab lab, InetSocketAddress to) {
        try {
            lab.h3().network().connect(SocketSpec.DEFAULTS, to, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    c.close();
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    // nothing is sent to it
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    // refused or closed: the mapping was made either way
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("h3 cannot connect to " + to, e);
        }
    }
}
