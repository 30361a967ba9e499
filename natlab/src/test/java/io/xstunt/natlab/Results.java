package io.xstunt.natlab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What this run measured: one row per attempt (scenario, strategy, lab options, outcome,
 * handshake time, phase times, the lab's round-trip times), appended to
 * {@code target/nat-lab-results.md} as they come and kept for the report.
 */
final class Results {
    static final Path FILE = Path.of("target", "nat-lab-results.md");
    private static final String HEADER = "| scenario | strategy | lab | outcome | handshake ms | phases ms"
            + " | RTT peer-srv / peer-peer ms |\n"
            + "| --- | --- | --- | --- | --- | --- | --- |\n";
    private static final List<Row> ROWS = new ArrayList<>();

    /** One measured outcome. */
    record Row(String scenario, String strategy, String lab, String outcome, String handshakeMs, String phases,
               String rtt) {
        String markdown() {
            return "| " + String.join(" | ", scenario, strategy, lab, outcome, handshakeMs, phases, rtt) + " |\n";
        }
    }

    private Results() {
    }

    /** Starts a fresh results file (once per run). */
    static synchronized void reset() {
        ROWS.clear();
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, "# NAT lab results (this run)\n\n" + HEADER, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized void add(Row r) {
        ROWS.add(r);
        try {
            Files.writeString(FILE, r.markdown(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized List<Row> rows() {
        return List.copyOf(ROWS);
    }

    static String header() {
        return HEADER;
    }

    /**
     * @param rttMs the lab's peer-server round trip, or 0 (no delay)
     * @return "name 1.2, name 3.4" from a connected event's phases; with a delay each phase also in
     *     peer-server round trips, "name 101.2 (2.0)"
     */
    static String phases(Map<String, Object> phases, double rttMs) {
        StringJoiner sj = new StringJoiner(", ");
        phases.forEach((k, v) -> sj.add(k + " " + v + (rttMs > 0 && v instanceof Number n
                ? String.format(" (%.1f)", n.doubleValue() / rttMs) : "")));
        return sj.toString();
    }
}
