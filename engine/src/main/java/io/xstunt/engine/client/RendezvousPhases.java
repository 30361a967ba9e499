package io.xstunt.engine.client;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long each phase of a rendezvous took: consecutive phases measured from one mark to the next,
 * and the prediction, which runs alongside the others (pipelined timing), measured on its own.
 * Reported in the original's order of steps.
 */
final class RendezvousPhases {
    /** Phase names in the order of the original's steps; comm and announce come from the caller. */
    private static final List<String> ORDER = List.of("comm", "announce", "control", "sync", "predict", "exchange",
            "punch");

    private final Map<String, Duration> measured;
    private long markNs;

    /** @param prior phases measured before the rendezvous (comm, announce), or empty */
    RendezvousPhases(Map<String, Duration> prior) {
        this.measured = new LinkedHashMap<>(prior);
    }

    /** The consecutive phases start now. */
    void start(long nowNs) {
        markNs = nowNs;
    }

    /** The phase {@code name} ends now; the next one starts. */
    void end(String name, long nowNs) {
        measured.put(name, Duration.ofNanos(nowNs - markNs));
        markNs = nowNs;
    }

    /** A phase that ran alongside the others took {@code durationNs}. */
    void alongside(String name, long durationNs) {
        measured.put(name, Duration.ofNanos(durationNs));
    }

    /** @return true once phase {@code name} was measured */
    boolean has(String name) {
        return measured.containsKey(name);
    }

    /** @return the phases in the order of the original's steps (the prediction may end before the sync) */
    Map<String, Duration> inOrder() {
        Map<String, Duration> ordered = new LinkedHashMap<>();
        for (String name : ORDER) {
            Duration d = measured.get(name);
            if (d != null) {
                ordered.put(name, d);
            }
        }
        measured.forEach(ordered::putIfAbsent);
        return Collections.unmodifiableMap(ordered);
    }
}
