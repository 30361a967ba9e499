package io.xstunt.engine.simlab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A test class's rows in the shape of docs/NAT-LAB.md's "Every row of the run" (scenario,
 * strategy, lab, outcome, handshake, phases) plus the real time each row took, written under
 * {@code target/} when the class is done: what the simulated matrix found, to hold against
 * natlab's last run. Never a tracked file.
 */
final class MatrixReport {
    private final Path file;
    private final String title;
    private final List<String> rows = new ArrayList<>();
    private final long startNs = System.nanoTime();

    /**
     * @param fileName the file's name under {@code target/}
     * @param title its heading
     */
    MatrixReport(String fileName, String title) {
        this.file = Path.of("target", fileName);
        this.title = title;
    }

    /**
     * Adds a row; {@code realMs} is the real time the row took (for the report only, never
     * asserted), NaN when not measured.
     */
    synchronized void add(String scenario, String strategy, String lab, String outcome, String handshake,
                          String phases, double realMs) {
        rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |", scenario, strategy, lab, outcome,
                handshake, phases, Double.isNaN(realMs) ? "-" : String.format(Locale.ROOT, "%.0f", realMs)));
    }

    /** Writes the rows so far (the test class's run). */
    synchronized void write() {
        StringBuilder b = new StringBuilder("# ").append(title).append("\n\n")
                .append(String.format(Locale.ROOT, "Real time of the class: %.0f ms.%n%n",
                        (System.nanoTime() - startNs) / 1e6))
                .append("| scenario | strategy | lab | outcome | handshake (virtual) | phases (virtual) | real ms |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- |\n");
        rows.forEach(r -> b.append(r).append('\n'));
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, b);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file.toAbsolutePath(), e);
        }
    }
}
