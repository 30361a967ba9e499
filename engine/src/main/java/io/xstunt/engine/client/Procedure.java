package io.xstunt.engine.client;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The output side shared by every sans-IO procedure of the client (the quinn/str0m shape):
 * transitions queue actions and set at most one deadline; whoever feeds the procedure drains
 * the actions after every input and calls the procedure's {@code onTimeout(nowNs)} when the
 * deadline passes. Time is always passed in, never read. Not thread-safe: owned by the loop
 * thread (or a test).
 *
 * @param <A> the procedure's action type
 */
public abstract class Procedure<A> {
    private final ArrayDeque<A> actions = new ArrayDeque<>();
    private boolean armed;
    private long deadlineNs;

    /** Only the procedures of this package extend it. */
    Procedure() {
    }

    /** @return every queued action, in order, and empties the queue; call after every input */
    public final List<A> drainActions() {
        List<A> l = new ArrayList<>(actions);
        actions.clear();
        return l;
    }

    /** @return when the procedure's {@code onTimeout} is due, if at all */
    public final OptionalLong deadlineNs() {
        return armed ? OptionalLong.of(deadlineNs) : OptionalLong.empty();
    }

    /**
     * Drains the queued actions into {@code handler} (which may feed the procedure again).
     *
     * @return true if there was any
     */
    final boolean runActions(Consumer<? super A> handler) {
        boolean any = false;
        A a;
        while ((a = actions.poll()) != null) {
            any = true;
            handler.accept(a);
        }
        return any;
    }

    final void emit(A action) {
        actions.add(action);
    }

    final void deadline(long ns) {
        armed = true;
        deadlineNs = ns;
    }

    final void clearDeadline() {
        armed = false;
    }

    /** @return true if the deadline is armed and {@code nowNs} has reached it (wrap-safe) */
    final boolean expired(long nowNs) {
        return armed && nowNs - deadlineNs >= 0;
    }
}
