package io.xstunt.engine.proc;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Drives one {@link Procedure} on a {@link Network}: the one place where a procedure meets sockets
 * and timers, for every procedure of the client and the server.
 *
 * <p>It owns the procedure's connections (one per connection number), its one timer and the
 * re-entrancy guard. After every input it carries out the outputs in the order
 * {@link Procedure} documents: each connection's bytes; then the actions, each handed to the
 * procedure's I/O (the {@code actions} consumer, which knows what "punch" or "query the echo
 * service" means); then each connection's close; then the timer is set to the procedure's
 * deadline. An input fed while
 * the outputs are being carried out (a send that fails at once, a close reported at once, an
 * action that completes synchronously) does not start a second pass: the running pass goes
 * round again. Everything runs on the network's thread.
 *
 * <p>A connection's events reach the procedure only while it holds its number: once closed and
 * reported, or {@linkplain #release released}, it is forgotten, so a late event of an old
 * connection is never mistaken for a new one's. A number is taken again only once its connection
 * is gone and the procedure has {@linkplain Outbound#reopen reopened} it.
 *
 * @param <A> the procedure's action type
 */
public final class ProcedureDriver<A> {
    /** Told when one of the driver's connections closes, before the procedure hears it. */
    @FunctionalInterface
    public interface CloseWatcher {
        /**
         * @param connection the connection's number
         * @param c the connection, closed
         * @param cause the error that closed it, or null
         */
        void closed(int connection, Connection c, Throwable cause);
    }

    private final Network network;
    private final Procedure<A> procedure;
    private final Consumer<? super A> actions;
    private final Connection[] connections;
    private final ConnectionListener[] listeners;
    private CloseWatcher closeWatcher = (n, c, cause) -> { };
    private DeadlineTimers.Timer timer;
    /** The number being connected while {@link Network#connect} runs (it may report at once), else -1. */
    private int connecting = -1;
    private boolean pumping;
    private boolean pumpAgain;

    /**
     * @param procedure the procedure; it must not have been fed yet, or its outputs so far are
     *     carried out at the first {@link #pump()}
     * @param actions carries out the procedure's actions (its I/O); it may feed the procedure
     *     through this driver
     */
    public ProcedureDriver(Network network, Procedure<A> procedure, Consumer<? super A> actions) {
        this.network = Objects.requireNonNull(network, "network");
        this.procedure = Objects.requireNonNull(procedure, "procedure");
        this.actions = Objects.requireNonNull(actions, "actions");
        this.connections = new Connection[procedure.connections()];
        this.listeners = new ConnectionListener[procedure.connections()];
        for (int i = 0; i < listeners.length; i++) {
            listeners[i] = new Slot(i);
        }
    }

    /** @return the network it runs on */
    public Network network() {
        return network;
    }

    /** @return the procedure it drives */
    public Procedure<A> procedure() {
        return procedure;
    }

    /** Sets who hears the closes of this driver's connections (the server counts its connections). */
    public void watchCloses(CloseWatcher watcher) {
        this.closeWatcher = Objects.requireNonNull(watcher, "watcher");
    }

    /**
     * Feeds one input, then carries out the outputs.
     *
     * @param input calls one of the procedure's {@code handle*} methods with the time it is given
     */
    public void feed(LongConsumer input) {
        input.accept(network.nowNs());
        pump();
    }

    /**
     * Opens connection {@code connection} as {@code local} says to {@code remote}. Its events go
     * to the procedure; a connect that cannot even start is reported as
     * {@link Procedure#handleConnectFailed} (within the current pass).
     */
    public void connect(int connection, SocketSpec local, InetSocketAddress remote) {
        checkFree(connection);
        Connection c;
        connecting = connection;
        try {
            c = network.connect(local, remote, listeners[connection]);
        } catch (IOException | RuntimeException e) {
            String reason = remote + ": " + e;
            feed(now -> procedure.handleConnectFailed(connection, reason, now));
            return;
        } finally {
            connecting = -1;
        }
        if (!c.isClosed() && connections[connection] == null) {
            connections[connection] = c;
        }
    }

    /**
     * @return the listener an accepted connection must be adopted with to become connection
     *     {@code connection}; then {@link #attach} it
     */
    public ConnectionListener listener(int connection) {
        return listeners[connection];
    }

    /** Makes {@code c}, adopted with {@link #listener(int)}, connection {@code connection}. */
    public void attach(int connection, Connection c) {
        checkFree(connection);
        if (c.listener() != listeners[connection]) {
            throw new IllegalArgumentException("adopt the connection with listener(" + connection + ") first");
        }
        connections[connection] = c;
    }

    /** @return connection {@code connection}, or null if it is not open (never opened, closed, released) */
    public Connection connection(int connection) {
        return connections[connection];
    }

    /**
     * Takes connection {@code connection} away from the procedure for a new owner, who must set
     * its listener; the procedure hears nothing more of it.
     *
     * @return the connection, or null if there is none
     */
    public Connection release(int connection) {
        Connection c = connections[connection];
        connections[connection] = null;
        if (c != null) {
            c.listener(ConnectionListener.DISCARD);
        }
        return c;
    }

    /** @return bytes for connection {@code connection} not yet written to its socket: in the procedure or queued */
    public int unwrittenBytes(int connection) {
        Connection c = connections[connection];
        return procedure.outbound(connection).queuedBytes() + (c == null || c.isClosed() ? 0 : c.pendingOutbound());
    }

    /** Closes every connection without telling the procedure, and cancels the timer (the owner gives up). */
    public void closeAll() {
        for (int i = 0; i < connections.length; i++) {
            Connection c = connections[i];
            connections[i] = null;
            if (c != null) {
                c.closeSilently();
            }
        }
        if (timer != null) {
            timer.cancel();
        }
    }

    /** @return true while a timer is pending for the procedure's deadline (leak checks) */
    public boolean timerPending() {
        return timer != null && timer.pending();
    }

    /**
     * Carries out the procedure's outputs; called after every input. An input fed meanwhile folds
     * into the pass that runs: after the action that fed it, the pass goes round again, so that the
     * bytes of every input are carried out before its actions, as {@link Procedure} documents.
     */
    public void pump() {
        if (pumping) {
            pumpAgain = true;
            return;
        }
        pumping = true;
        try {
            do {
                pumpAgain = false;
                for (int i = 0; i < connections.length; i++) {
                    transmit(i);
                }
                A a;
                // an input fed by an action goes round first: its bytes before its actions
                while (!pumpAgain && (a = procedure.pollAction()) != null) {
                    actions.accept(a);
                }
                if (pumpAgain) {
                    continue; // an input fed meanwhile: its bytes and actions come before any close
                }
                for (int i = 0; i < connections.length; i++) {
                    close(i);
                }
            } while (pumpAgain);
        } finally {
            pumping = false;
        }
        armTimer();
    }

    private void transmit(int i) {
        Outbound out = procedure.outbound(i);
        ByteBuffer b;
        while ((b = out.pollTransmit()) != null) {
            Connection c = connections[i]; // a send that fails closes it, and the close is reported at once
            if (c != null && !c.isClosed()) {
                c.send(b);
            }
            // what was not sent is dropped: a forwarded (borrowed) buffer counts as consumed
            b.position(b.limit());
        }
    }

    private void close(int i) {
        Connection c = connections[i];
        if (c == null || c.isClosed()) {
            return;
        }
        switch (procedure.outbound(i).closing()) {
            case NOW -> c.close();
            case RESET -> c.reset();
            case AFTER_FLUSH -> c.closeAfterFlush();
            case OPEN -> { }
        }
    }

    private void armTimer() {
        if (!procedure.hasDeadline()) {
            if (timer != null) {
                timer.cancel();
            }
            return;
        }
        long deadline = procedure.deadlineNs();
        if (timer == null) {
            timer = network.scheduleAt(deadline, this::onTimer);
        } else if (!timer.pending() || timer.deadlineNs() != deadline) {
            network.rescheduleAt(timer, deadline);
        }
    }

    private void onTimer() {
        feed(procedure::handleTimeout);
    }

    private void checkFree(int connection) {
        if (connections[connection] != null) {
            throw new IllegalStateException("connection " + connection + " of " + procedure + " is open already");
        }
    }

    /** The events of one connection number, fed to the procedure while that connection holds it. */
    private final class Slot implements ConnectionListener {
        private final int n;

        Slot(int n) {
            this.n = n;
        }

        /** @return true if {@code c} holds this number (a connect that reports at once takes it here) */
        private boolean holds(Connection c) {
            if (connections[n] == c) {
                return true;
            }
            if (connecting == n && connections[n] == null) {
                connections[n] = c;
                return true;
            }
            return false;
        }

        @Override
        public void onConnected(Connection c) {
            if (holds(c)) {
                feed(now -> procedure.handleConnected(n, c.localAddress(), now));
            }
        }

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            if (!holds(c)) {
                in.position(in.limit());
                return;
            }
            procedure.handleBytes(n, in, network.nowNs());
            pump();
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
            if (!holds(c)) {
                return;
            }
            connections[n] = null;
            closeWatcher.closed(n, c, cause);
            String error = cause == null ? null : cause.toString();
            feed(now -> procedure.handleClosed(n, error, now));
        }
    }
}
