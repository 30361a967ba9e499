package io.xstunt.engine.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What happened on the simulated network, line by line: packets delivered and lost, NAT
 * decisions, kernel answers. It always keeps the last {@link #TAIL} lines (for the message of a
 * wait that failed); {@link #recordAll()} keeps every line (determinism checks, debugging).
 * Lines are formatted only when read.
 */
public final class Trace {
    /** Lines kept for failure messages. */
    public static final int TAIL = 60;

    /** One thing that happened: at {@code timeNs}, at {@code node}, {@code event} of {@code subject}. */
    private record Line(long timeNs, String node, String event, Object subject) {
    }

    private final LongSupplier clock;
    private final long originNs;
    private final ArrayDeque<Line> tail = new ArrayDeque<>();
    private List<Line> all;

    Trace(LongSupplier clock, long originNs) {
        this.clock = clock;
        this.originNs = originNs;
    }

    /** Keeps every line from now on, not only the last {@link #TAIL}. */
    public void recordAll() {
        if (all == null) {
            all = new ArrayList<>();
        }
    }

    /**
     * Notes that {@code event} happened to {@code subject} at {@code node}, now. The subject is
     * formatted when the trace is read: pass an immutable one (a packet) or a string.
     */
    void add(String node, String event, Object subject) {
        Line line = new Line(clock.getAsLong(), node, event, subject);
        if (tail.size() == TAIL) {
            tail.removeFirst();
        }
        tail.addLast(line);
        if (all != null) {
            all.add(line);
        }
    }

    /** @return every line since {@link #recordAll()} (empty if it was not called) */
    public List<String> lines() {
        return all == null ? List.of() : all.stream().map(this::format).toList();
    }

    /** @return the last lines, one per line of text */
    public String tail() {
        StringBuilder b = new StringBuilder();
        for (Line line : tail) {
            b.append("  ").append(format(line)).append('\n');
        }
        return b.toString();
    }

    /** @return how many lines were recorded since {@link #recordAll()} */
    public int size() {
        return all == null ? 0 : all.size();
    }

    private String format(Line line) {
        return String.format(Locale.ROOT, "%12.6f ms %-5s %-14s %s", (line.timeNs - originNs) / 1e6, line.node,
                line.event, line.subject);
    }
}
