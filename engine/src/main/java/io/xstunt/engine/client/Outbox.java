package io.xstunt.engine.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The output side of a sans-IO procedure: actions queued by its transitions, drained by the
 * adapter (or a test) after every input, plus the one deadline at which it wants
 * {@code onTimeout(nowNs)}. Not thread-safe: owned by whoever feeds the procedure.
 *
 * @param <A> the procedure's action type
 */
final class Outbox<A> {
    private final ArrayDeque<A> actions = new ArrayDeque<>();
    private boolean armed;
    private long deadlineNs;

    void add(A action) {
        actions.add(action);
    }

    /** @return every queued action, in order, and empties the queue */
    List<A> drain() {
        List<A> l = new ArrayList<>(actions);
        actions.clear();
        return l;
    }

    void deadline(long ns) {
        armed = true;
        deadlineNs = ns;
    }

    void clearDeadline() {
        armed = false;
    }

    boolean armed() {
        return armed;
    }

    long deadlineNs() {
        return deadlineNs;
    }

    /** @return true if the deadline is armed and {@code nowNs} has reached it (wrap-safe) */
    boolean expired(long nowNs) {
        return armed && nowNs - deadlineNs >= 0;
    }
}
