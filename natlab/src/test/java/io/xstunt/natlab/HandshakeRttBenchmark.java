package io.xstunt.natlab;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #4 item 5, on demand ({@code natlab/rtt.sh --full}; the name does not match surefire's
 * default includes, so the default test run never starts it): {@link HandshakeRtt}'s plan
 * {@code -Dnatlab.rtt=full} (default) or {@code short}, results to {@code -Dnatlab.rtt.out=FILE}
 * (default {@code target/natlab-rtt-MODE.txt}). It asserts that every connection was direct and
 * that each row produced a figure; ORIGINAL's failures are recorded, not asserted; speed is
 * reported, never asserted.
 */
@NatLabGate.NatLab
@Timeout(value = 45, unit = TimeUnit.MINUTES)
class HandshakeRttBenchmark {

    @Test
    void handshakeInRoundTrips() throws Exception {
        String mode = System.getProperty("natlab.rtt", "full");
        HandshakeRtt.Plan plan = switch (mode) {
            case "full" -> HandshakeRtt.FULL;
            case "short" -> HandshakeRtt.SHORT;
            case "extra" -> HandshakeRtt.EXTRA;
            default -> throw new IllegalArgumentException("-Dnatlab.rtt=" + mode + ": full, short or extra");
        };
        Path out = Path.of(System.getProperty("natlab.rtt.out", "target/natlab-rtt-" + mode + ".txt"));
        List<HandshakeRtt.Row> rows = HandshakeRtt.run(plan, out);
        HandshakeRttSmokeTest.assertFigures(plan, rows);
        System.out.println("natlab rtt: results in " + out.toAbsolutePath());
    }
}
