package io.xstunt.engine.server;

import io.xstunt.engine.proc.Procedure;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/**
 * Server procedures of one kind driven by hand, the sans-IO way, as {@code ProcedureDriver} drives
 * them on a network but without one: every input is given the fake clock {@link #now}, then the
 * procedure's actions are carried out, in the order asked ({@link #carryOut}, and
 * {@link #settled} after them); the refusals it asks to count are recorded here. The test polls
 * the procedure's bytes and closing itself, and says when a connection closes.
 *
 * @param <P> the procedure
 * @param <A> its action type
 */
abstract class HandDriven<P extends Procedure<A>, A> {
    /** The fake clock every input is given. */
    long now;
    private final Map<P, List<Refused>> refused = new IdentityHashMap<>();

    HandDriven(long startNs) {
        this.now = startNs;
    }

    /** Carries out {@code action} of {@code p}, which is no {@link Refused}. */
    protected abstract void carryOut(P p, A action);

    /** Runs after the actions of each input were carried out; nothing by default. */
    protected void settled(P p) {
    }

    /** Makes {@code p} one of the procedures driven here; call it before its first input. */
    protected final P drive(P p) {
        refused.put(p, new ArrayList<>());
        return p;
    }

    /** Feeds an input of {@code p}'s own ({@code in} calls it with the time). */
    final void input(P p, LongConsumer in) {
        in.accept(now);
        settle(p);
    }

    /** Like {@link #input}, for an input that answers at once. */
    final <T> T ask(P p, LongFunction<T> in) {
        T answer = in.apply(now);
        settle(p);
        return answer;
    }

    /** Bytes arrived on connection {@code connection}: {@code in} is offered (what it leaves stays in it). */
    final void feed(P p, int connection, ByteBuffer in) {
        p.handleBytes(connection, in, now);
        settle(p);
    }

    /** Bytes arrived on connection 0. */
    final void feed(P p, ByteBuffer in) {
        feed(p, 0, in);
    }

    /** Bytes arrived on connection 0, all in one read. */
    final void feed(P p, byte[] bytes) {
        feed(p, 0, ByteBuffer.wrap(bytes));
    }

    /** The timer fired at {@code atNs} (the clock moves there). */
    final void timeout(P p, long atNs) {
        now = atNs;
        p.handleTimeout(now);
        settle(p);
    }

    /** Connection {@code connection} closed (cleanly, or on the procedure's request). */
    final void close(P p, int connection) {
        p.handleClosed(connection, null, now);
        settle(p);
    }

    /** Connection 0 closed. */
    final void close(P p) {
        close(p, 0);
    }

    /** @return the refusals {@code p} asked to count since the last call, in order */
    final List<Rejection> refusals(P p) {
        return refused(p).stream().map(Refused::why).toList();
    }

    /** @return the refusals, with their details, since the last call */
    final List<Refused> refused(P p) {
        List<Refused> l = refused.get(p);
        List<Refused> copy = List.copyOf(l);
        l.clear();
        return copy;
    }

    /** Carries out the actions of the input just fed, then {@link #settled}. */
    protected final void settle(P p) {
        carryOutActions(p);
        settled(p);
    }

    /** Carries out every action {@code p} asks for now, recording its refusals. */
    protected final void carryOutActions(P p) {
        A a;
        while ((a = p.pollAction()) != null) {
            if (a instanceof Refused r) {
                refused.get(p).add(r);
            } else {
                carryOut(p, a);
            }
        }
    }
}
