package io.xstunt.engine.proc;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A protocol procedure as a state machine without I/O (the quinn/str0m "sans-IO" shape): fed
 * inputs through its {@code handle*} methods, each with the time of the driver's clock, it
 * answers by outputs that whoever drives it polls.
 *
 * <p>Inputs: the events of its connections (numbered from 0; most procedures have one), which
 * every procedure understands ({@link #handleConnected}, {@link #handleConnectFailed},
 * {@link #handleBytes}, {@link #handleClosed}), its deadline ({@link #handleTimeout}), and inputs of
 * its own (an answer it waits for, a command of its owner).
 *
 * <p>Outputs, to poll after every input, in this order:
 * <ol>
 * <li>for each connection, {@link #outbound(int)}: the bytes to send (poll until null);</li>
 * <li>{@link #pollAction()} until null: what else the procedure wants done (open a connection,
 *     start a helper, report a result or a refusal to its owner), in the order it asked;</li>
 * <li>for each connection, whether it should close ({@link Outbound#closing()}): a close comes
 *     after the bytes and the actions of the same input, so that a refusal is counted before its
 *     peer sees the close, and a connection handed over keeps its last bytes;</li>
 * <li>{@link #hasDeadline()} / {@link #deadlineNs()}: when to call {@link #handleTimeout} next.</li>
 * </ol>
 * {@link ProcedureDriver} does exactly that on a {@link io.xstunt.engine.net.Network}; a test does
 * it by hand with byte arrays and a fake clock. Time is always passed in, never read. Not
 * thread-safe: owned by one thread.
 *
 * @param <A> the procedure's action type (a sealed interface of records, one per kind of action)
 */
public abstract class Procedure<A> {
    private final Outbound[] outbound;
    // Drained after every input, so nearly always empty: a small array (the default's is 17 slots)
    // is a measurable part of a held client's heap. It grows if a step emits more.
    private final ArrayDeque<A> actions = new ArrayDeque<>(3);
    private boolean armed;
    private long deadlineNs;

    /** @param connections how many connections the procedure speaks on (their numbers are 0..n-1) */
    protected Procedure(int connections) {
        outbound = new Outbound[connections];
        for (int i = 0; i < connections; i++) {
            outbound[i] = new Outbound();
        }
    }

    // ---- inputs every procedure understands

    /**
     * Connection {@code connection}, which the procedure asked to open, is up.
     *
     * @param local its local address
     */
    public void handleConnected(int connection, InetSocketAddress local, long nowNs) {
    }

    /** Connection {@code connection}, which the procedure asked to open, could not be opened. */
    public void handleConnectFailed(int connection, String reason, long nowNs) {
    }

    /**
     * Bytes arrived on {@code connection} ({@code in} in read mode, owned by the driver): consume
     * what forms whole messages and leave the rest, which is offered again with more bytes. A
     * procedure that reads nothing on a connection need not override it: the bytes are dropped.
     */
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        in.position(in.limit());
    }

    /**
     * Connection {@code connection} is closed, whoever closed it.
     *
     * @param ioError the I/O error that closed it, or null for a clean close (by the peer or on request)
     */
    public void handleClosed(int connection, String ioError, long nowNs) {
    }

    /** The deadline passed (or a timer fired a little early: check it with {@link #expired}). */
    public abstract void handleTimeout(long nowNs);

    // ---- outputs

    /** @return how many connections the procedure speaks on */
    public final int connections() {
        return outbound.length;
    }

    /** @return connection {@code connection}'s bytes to send and close request */
    public final Outbound outbound(int connection) {
        return outbound[connection];
    }

    /** @return the next action, in the order asked, or null; poll until null after every input */
    public final A pollAction() {
        return actions.poll();
    }

    /** @return true if {@link #handleTimeout} is due at {@link #deadlineNs()} */
    public final boolean hasDeadline() {
        return armed;
    }

    /** @return when {@link #handleTimeout} is due, on the driver's clock; meaningful if {@link #hasDeadline()} */
    public final long deadlineNs() {
        return deadlineNs;
    }

    // ---- for the procedures themselves

    /** Asks for {@code action}. */
    protected final void emit(A action) {
        actions.add(action);
    }

    /** Sets the deadline (replacing any). */
    protected final void deadline(long ns) {
        armed = true;
        deadlineNs = ns;
    }

    /** Clears the deadline. */
    protected final void clearDeadline() {
        armed = false;
    }

    /** @return true if the deadline is set and {@code nowNs} has reached it (wrap-safe) */
    protected final boolean expired(long nowNs) {
        return armed && nowNs - deadlineNs >= 0;
    }
}
