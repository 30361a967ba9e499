package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI smoke check of issue #4 item 5: {@link HandshakeRtt#SHORT} (10 ms on the NAT links,
 * RACE on strict and ORIGINAL on liberal conntrack, 2 warm-up + 3 handshakes each, about a
 * minute). Asserts that every RACE handshake and every connection that came up was direct and
 * that each row produced a figure; never speed. Like {@link NatLabTest} it needs root + nftables:
 * skipped without them, failed under CI ({@link NatLabGate}).
 */
@NatLabGate.NatLab
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HandshakeRttSmokeTest {
    private static final Path OUT = Path.of("target", "natlab-rtt-short.txt");

    @Test
    void shortRunMeasuresDirectHandshakes() throws Exception {
        List<HandshakeRtt.Row> rows = HandshakeRtt.run(HandshakeRtt.SHORT, OUT);
        assertFigures(HandshakeRtt.SHORT, rows);
        String file = Files.readString(OUT, StandardCharsets.UTF_8);
        for (HandshakeRtt.Row r : rows) {
            assertTrue(file.contains(String.format(java.util.Locale.ROOT, "%.1f", HandshakeRtt.median(r.totals()))),
                    "the results file has " + r.strategy() + "'s median:\n" + file);
        }
    }

    /**
     * Per delay and topology: RACE on strict and ORIGINAL on liberal each have a row with a
     * positive median; every RACE handshake connected directly (the runner has checked the
     * addresses, the payload and the server's relayed bytes of each connection that came up).
     * ORIGINAL on liberal must connect (a row with a figure), but not every time: its outcome
     * depends on its own timing (the 1 s XTryConnect wait, closing the old socket), so its
     * failures are recorded, not asserted; ORIGINAL on strict, when run, is only recorded.
     */
    static void assertFigures(HandshakeRtt.Plan plan, List<HandshakeRtt.Row> rows) {
        for (String[] s : List.of(new String[] {NatLabTest.FAST, HandshakeRtt.STRICT},
                new String[] {NatLabTest.RACE, HandshakeRtt.STRICT},
                new String[] {NatLabTest.ORIGINAL, HandshakeRtt.LIBERAL})) {
            List<HandshakeRtt.Row> mine = rows.stream().filter(r -> r.strategy().equals(s[0])
                    && r.conntrack().equals(s[1])).toList();
            assertEquals(plan.labs(), mine.size(), s[0] + " on " + s[1] + ": one row per lab");
            for (HandshakeRtt.Row r : mine) {
                if (!s[0].equals(NatLabTest.ORIGINAL)) {
                    assertEquals(List.of(), r.failures(), r.strategy() + " at " + r.delayMs() + " ms, " + r.topology()
                            + ": every measured handshake direct");
                    assertEquals(plan.measured(), r.direct().size(), r.toString());
                }
                assertTrue(!r.totals().isEmpty() && HandshakeRtt.median(r.totals()) > 0 && r.unit() > 0, r.toString());
            }
        }
    }
}
