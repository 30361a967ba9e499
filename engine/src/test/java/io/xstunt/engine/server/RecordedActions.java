package io.xstunt.engine.server;

import io.xstunt.engine.proc.Procedure;
import java.util.ArrayList;
import java.util.List;

/**
 * Procedures driven by hand whose actions are recorded rather than carried out: for a procedure
 * whose actions only tell its owner something (a control relay's "stop listening", "ended",
 * "finished").
 *
 * @param <P> the procedure
 * @param <A> its action type
 */
final class RecordedActions<P extends Procedure<A>, A> extends HandDriven<P, A> {
    private final List<A> actions = new ArrayList<>();

    RecordedActions(long startNs) {
        super(startNs);
    }

    /** Makes {@code p} one of the procedures driven here. */
    P of(P p) {
        return drive(p);
    }

    @Override
    protected void carryOut(P p, A action) {
        actions.add(action);
    }

    /** @return the actions asked for since the last call (refusals apart), in order */
    List<A> actions() {
        List<A> copy = List.copyOf(actions);
        actions.clear();
        return copy;
    }
}
