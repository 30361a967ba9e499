package io.xstunt.engine.sim;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.random.RandomGenerator;

/**
 * One simulated host's {@link Network}: the engine's code runs on it as on
 * {@code tcp.NioNetwork}, with the simulation's virtual clock and thread, and sockets of this
 * host's simulated kernel. Options and fresh ports are chosen as NioNetwork chooses them
 * ({@link BindRequest}).
 */
final class HostNetwork implements Network {
    /** The wall clock at the simulation's start: 2025-01-01T00:00:00Z, for log time stamps only. */
    static final long EPOCH_MILLIS_AT_ORIGIN = 1_735_689_600_000L;

    private final SimHost host;
    private final SimNetwork sim;

    HostNetwork(SimHost host) {
        this.host = host;
        this.sim = host.simulation();
    }

    SimNetwork simulation() {
        return sim;
    }

    TcpStack stack() {
        return host.stack();
    }

    @Override
    public RandomGenerator random() {
        return sim.random();
    }

    @Override
    public long nowNs() {
        return sim.events().nowNs();
    }

    @Override
    public long epochMillis() {
        return EPOCH_MILLIS_AT_ORIGIN + sim.elapsed().toMillis();
    }

    @Override
    public DeadlineTimers.Timer scheduleAt(long deadlineNs, Runnable task) {
        return sim.events().timers().schedule(deadlineNs, task);
    }

    @Override
    public void rescheduleAt(DeadlineTimers.Timer timer, long deadlineNs) {
        sim.events().timers().reschedule(timer, deadlineNs);
    }

    @Override
    public void execute(Runnable task) {
        sim.execute(task);
    }

    /**
     * Runs {@code task} at once, on the caller's thread (the simulation's: a task it hands to
     * another thread would report back at a real instant the virtual clock does not know, and the
     * simulation might fall idle or move on first); what it hands back with {@link #execute} then
     * runs at once too.
     */
    @Override
    public void executeBlocking(String name, Runnable task) {
        task.run();
    }

    @Override
    public boolean inThread() {
        return sim.inThread();
    }

    /** Closes here are immediate; the task runs after what is due now, as after the loop's next select. */
    @Override
    public void afterClosesSettle(Runnable task) {
        sim.events().after(0, task);
    }

    @Override
    public Connection connect(SocketSpec local, InetSocketAddress remote, ConnectionListener listener)
            throws IOException {
        return SimConnection.connect(this, BindRequest.forConnect(local), Endpoint.of(remote), listener);
    }

    @Override
    public Acceptor listen(SocketSpec local, int backlog, AcceptHandler handler) throws IOException {
        return host.stack().listen(BindRequest.forListen(local), backlog, handler, this);
    }

    @Override
    public String toString() {
        return "HostNetwork[" + host.name() + "]";
    }
}
