package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.proc.Procedure;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongConsumer;

/**
 * One {@link Procedure} driven by hand, the sans-IO way: no sockets, no timers, a fake clock
 * ({@link #now()}, moved only by the test). After every input it takes the procedure's outputs
 * in the order {@link Procedure} documents and {@link io.xstunt.engine.proc.ProcedureDriver}
 * carries them out: each connection's bytes ({@link Outbound#pollTransmit()}, copied at once, as a
 * borrowed buffer must be), then the actions ({@link Procedure#pollAction()}), then each
 * connection's close request ({@link Outbound#closing()}). What one input produced comes back as
 * one {@link Outputs}; the deadline is read with {@link #deadline()} and reached with
 * {@link #atDeadline()}.
 *
 * @param <A> the procedure's action type
 */
final class ByHand<A> {
    /**
     * What one input produced.
     *
     * @param sent per connection, the byte arrays it queued, in order
     * @param actions the actions, in the order asked
     * @param closing per connection, its close request after the input
     * @param closeChanged per connection, whether the input changed that request
     */
    record Outputs<A>(List<List<byte[]>> sent, List<A> actions, List<Closing> closing, List<Boolean> closeChanged) {
        /** @return the byte arrays queued on {@code connection} */
        List<byte[]> sent(int connection) {
            return sent.get(connection);
        }

        /** @return everything queued on {@code connection}, as one array */
        byte[] sentBytes(int connection) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            sent.get(connection).forEach(all::writeBytes);
            return all.toByteArray();
        }

        /** @return {@code connection}'s close request after the input (whether or not this input made it) */
        Closing closing(int connection) {
            return closing.get(connection);
        }

        /** @return true if this input asked for {@code connection} to close */
        boolean closed(int connection) {
            return closeChanged.get(connection) && closing.get(connection) != Closing.OPEN;
        }

        /** @return true if the input produced nothing: no bytes, no action, no change of a close request */
        boolean quiet() {
            return sent.stream().allMatch(List::isEmpty) && actions.isEmpty() && !closeChanged.contains(true);
        }

        /** @return the one action of the input, asserted to be a {@code type} */
        <T extends A> T only(Class<T> type) {
            assertEquals(1, actions.size(), () -> "one action expected: " + actions);
            return assertInstanceOf(type, actions.get(0));
        }

        /** @return the input's last action, asserted to be a {@code type} (an outcome comes last) */
        <T extends A> T last(Class<T> type) {
            assertTrue(!actions.isEmpty(), "no action");
            return assertInstanceOf(type, actions.get(actions.size() - 1));
        }

        /** @return the input's actions of {@code type}, in order */
        <T extends A> List<T> all(Class<T> type) {
            return actions.stream().filter(type::isInstance).map(type::cast).toList();
        }

        @Override
        public String toString() {
            List<String> bytes = sent.stream().map(l -> l.stream().map(Arrays::toString).toList().toString()).toList();
            return "Outputs[sent=" + bytes + ", actions=" + actions + ", closing=" + closing + "]";
        }
    }

    private final Procedure<A> procedure;
    private final Closing[] closingBefore;
    private long now;

    /** @param startNs the fake clock's first reading */
    ByHand(Procedure<A> procedure, long startNs) {
        this.procedure = procedure;
        this.now = startNs;
        this.closingBefore = new Closing[procedure.connections()];
        Arrays.fill(closingBefore, Closing.OPEN);
    }

    /** @return the fake clock */
    long now() {
        return now;
    }

    /** Moves the fake clock forward by {@code ns}; @return the new reading */
    long advance(long ns) {
        now += ns;
        return now;
    }

    /** Sets the fake clock to {@code ns}. */
    void at(long ns) {
        now = ns;
    }

    /** Feeds one input at the current time (a {@code handle*} call, a command); @return its outputs */
    Outputs<A> feed(LongConsumer input) {
        input.accept(now);
        return take();
    }

    /** Connection {@code connection} is up, from {@code local}. */
    Outputs<A> connected(int connection, InetSocketAddress local) {
        return feed(n -> procedure.handleConnected(connection, local, n));
    }

    /** Connection {@code connection} could not be opened. */
    Outputs<A> connectFailed(int connection, String reason) {
        return feed(n -> procedure.handleConnectFailed(connection, reason, n));
    }

    /** Bytes arrive on {@code connection}; what the procedure leaves in {@code in} stays there. */
    Outputs<A> bytes(int connection, ByteBuffer in) {
        return feed(n -> procedure.handleBytes(connection, in, n));
    }

    /** Bytes arrive on {@code connection}, all at once. */
    Outputs<A> bytes(int connection, byte[] in) {
        return bytes(connection, ByteBuffer.wrap(in));
    }

    /** Connection {@code connection} closed ({@code ioError} null: cleanly). */
    Outputs<A> closed(int connection, String ioError) {
        return feed(n -> procedure.handleClosed(connection, ioError, n));
    }

    /** A timer fires at the current time (maybe early: the procedure must check). */
    Outputs<A> timeout() {
        return feed(procedure::handleTimeout);
    }

    /** @return the procedure's deadline, if it has one */
    OptionalLong deadline() {
        return procedure.hasDeadline() ? OptionalLong.of(procedure.deadlineNs()) : OptionalLong.empty();
    }

    /** Moves the clock to just before the deadline (asserted to be set) and fires a timer there. */
    Outputs<A> justBeforeDeadline() {
        now = deadline().orElseThrow(() -> new AssertionError("no deadline")) - 1;
        return timeout();
    }

    /** Moves the clock to the deadline (asserted to be set) and fires the timer. */
    Outputs<A> atDeadline() {
        now = deadline().orElseThrow(() -> new AssertionError("no deadline"));
        return timeout();
    }

    /** Takes every output the procedure has, in the driver's order; @return them */
    Outputs<A> take() {
        int n = procedure.connections();
        List<List<byte[]>> sent = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<byte[]> one = new ArrayList<>();
            ByteBuffer b;
            while ((b = procedure.outbound(i).pollTransmit()) != null) {
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                one.add(copy);
            }
            sent.add(one);
        }
        List<A> actions = new ArrayList<>();
        A a;
        while ((a = procedure.pollAction()) != null) {
            actions.add(a);
        }
        List<Closing> closing = new ArrayList<>(n);
        List<Boolean> changed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Closing c = procedure.outbound(i).closing();
            closing.add(c);
            changed.add(c != closingBefore[i]);
            closingBefore[i] = c;
        }
        return new Outputs<>(List.copyOf(sent), List.copyOf(actions), List.copyOf(closing), List.copyOf(changed));
    }
}
