package io.xstunt.engine.proc;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Network} turned by hand, for tests of the code that drives procedures: everything runs
 * on the caller's thread, the clock moves only when the test {@link #advance advances} it (due
 * timers run then, on a real {@link DeadlineTimers}), and the peers of its connections are played by
 * the test ({@link FakeConnection}, {@link FakeIncoming}, {@link FakeAcceptor}). No socket is
 * touched. It keeps a {@link #journal()} of what was done to it, in order, so that a test can check
 * the order of a driver's outputs across connections and timers.
 */
public final class FakeNetwork implements Network {
    /** How the next {@link #connect} goes. */
    public enum Dial {
        /** The connect is under way; the test reports its outcome on the connection. */
        PENDING,
        /** Connected before connect returns (the listener hears it from inside the call). */
        CONNECTED_AT_ONCE,
        /** Refused before connect returns. */
        REFUSED_AT_ONCE,
        /** The socket cannot even be opened: connect throws. */
        FAILS_TO_START
    }

    private static final InetAddress LOCAL = InetAddress.getLoopbackAddress();

    private final DeadlineTimers timers = new DeadlineTimers();
    private final List<String> journal = new ArrayList<>();
    private final List<FakeConnection> dialled = new ArrayList<>();
    private final List<FakeAcceptor> acceptors = new ArrayList<>();
    private long now;
    private int nextPort = 40000;
    private Dial dial = Dial.PENDING;

    /** @param startNs the clock's reading at the start */
    public FakeNetwork(long startNs) {
        this.now = startNs;
    }

    @Override
    public long nowNs() {
        return now;
    }

    @Override
    public long epochMillis() {
        return now / 1_000_000;
    }

    @Override
    public DeadlineTimers.Timer scheduleAt(long deadlineNs, Runnable task) {
        journal.add("timer at " + deadlineNs);
        return timers.schedule(deadlineNs, task);
    }

    @Override
    public void rescheduleAt(DeadlineTimers.Timer timer, long deadlineNs) {
        journal.add("timer moved to " + deadlineNs);
        timers.reschedule(timer, deadlineNs);
    }

    @Override
    public void execute(Runnable task) {
        task.run();
    }

    @Override
    public boolean inThread() {
        return true;
    }

    @Override
    public void afterClosesSettle(Runnable task) {
        task.run();
    }

    @Override
    public Connection connect(SocketSpec local, InetSocketAddress remote, ConnectionListener listener)
            throws IOException {
        journal.add("connect to " + remote);
        if (dial == Dial.FAILS_TO_START) {
            throw new IOException("no socket for " + remote);
        }
        FakeConnection c = new FakeConnection(this, "dial" + dialled.size(), listener,
                new InetSocketAddress(local.address() != null ? local.address() : LOCAL, freshPort(local.port())),
                remote, 4096, false);
        dialled.add(c);
        switch (dial) {
            case CONNECTED_AT_ONCE -> c.connects();
            case REFUSED_AT_ONCE -> c.fails(new ConnectException("refused by " + remote));
            default -> { }
        }
        return c;
    }

    @Override
    public Acceptor listen(SocketSpec local, int backlog, AcceptHandler handler) {
        InetSocketAddress address = new InetSocketAddress(local.address() != null ? local.address() : LOCAL,
                freshPort(local.port()));
        journal.add("listen on " + address);
        FakeAcceptor a = new FakeAcceptor(this, address, handler);
        acceptors.add(a);
        return a;
    }

    /** Sets how the following connects go. */
    public void dial(Dial how) {
        this.dial = how;
    }

    /** @return the {@code i}-th connection opened by {@link #connect} */
    public FakeConnection dialled(int i) {
        return dialled.get(i);
    }

    /** @return the {@code i}-th listener opened by {@link #listen} */
    public FakeAcceptor acceptor(int i) {
        return acceptors.get(i);
    }

    /** @return the listeners opened so far, in order */
    public List<FakeAcceptor> acceptors() {
        return List.copyOf(acceptors);
    }

    /**
     * @param name the connection's name in the journal
     * @param from where it comes from
     * @return a connection arriving on a listener at {@code local}, to be adopted or refused
     */
    public FakeIncoming incoming(String name, InetSocketAddress local, InetSocketAddress from) {
        return new FakeIncoming(this, name, local, from);
    }

    /** Moves the clock {@code ns} on and runs the timers due by then. */
    public void advance(long ns) {
        advanceTo(now + ns);
    }

    /** Moves the clock to {@code atNs} and runs the timers due by then. */
    public void advanceTo(long atNs) {
        now = atNs;
        timers.expire(now, t -> {
            throw new AssertionError("a timer's task failed", t);
        });
    }

    /** @return the timers pending */
    public int pendingTimers() {
        return timers.size();
    }

    /** @return the earliest pending timer's deadline (fails if none is pending) */
    public long earliestTimerNs() {
        if (timers.isEmpty()) {
            throw new AssertionError("no timer is pending");
        }
        return timers.earliestNs();
    }

    /** @return what was done to the network and its connections so far, in order, and forgets it */
    public List<String> journal() {
        List<String> copy = List.copyOf(journal);
        journal.clear();
        return copy;
    }

    /** Notes {@code event} in the journal (the fakes of this network do). */
    void note(String event) {
        journal.add(event);
    }

    private int freshPort(int port) {
        return port != 0 ? port : nextPort++;
    }
}
