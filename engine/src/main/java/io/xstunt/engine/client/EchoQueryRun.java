package io.xstunt.engine.client;

import io.xstunt.engine.net.Network;
import io.xstunt.engine.proc.ProcedureDriver;
import java.util.function.Consumer;

/**
 * One {@link EchoQuery} running on a {@link Network}: its driver opens the connection the query
 * asks for and hands its outcome ({@link EchoQuery.Action.Answered} or
 * {@link EchoQuery.Action.Failed}) to its owner. Network thread only.
 */
final class EchoQueryRun implements Consumer<EchoQuery.Action> {
    private final EchoQuery query;
    private final Consumer<EchoQuery.Action> outcome;
    private final ProcedureDriver<EchoQuery.Action> driver;

    private EchoQueryRun(Network network, EchoQuery query, Consumer<EchoQuery.Action> outcome) {
        this.query = query;
        this.outcome = outcome;
        this.driver = new ProcedureDriver<>(network, query, this);
    }

    /**
     * Starts {@code query}; {@code outcome} hears {@link EchoQuery.Action.Answered} or
     * {@link EchoQuery.Action.Failed}, maybe before this returns (a connect that fails at once).
     */
    static EchoQueryRun start(Network network, EchoQuery query, Consumer<EchoQuery.Action> outcome) {
        EchoQueryRun run = new EchoQueryRun(network, query, outcome);
        run.driver.feed(query::start);
        return run;
    }

    @Override
    public void accept(EchoQuery.Action a) {
        if (a instanceof EchoQuery.Action.Open o) {
            driver.connect(0, o.local(), o.endpoint());
        } else {
            outcome.accept(a);
        }
    }

    /** Closes the query's socket; its owner hears nothing more. Idempotent. */
    void abort() {
        driver.feed(now -> query.abort());
    }
}
