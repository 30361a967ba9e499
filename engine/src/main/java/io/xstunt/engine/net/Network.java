package io.xstunt.engine.net;

import io.xstunt.engine.loop.DeadlineTimers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * What the engine's I/O code needs from where it runs: one thread's clock and timers, and TCP
 * sockets. {@code io.xstunt.engine.tcp.NioNetwork} runs it on an {@code EventLoop} with real
 * sockets; the engine's tests run the very same client and server code on a simulated network
 * with NATs and a fake clock. Every method runs on the network's own thread, except
 * {@link #execute} and {@link #executeBlocking}.
 */
public interface Network {
    /** @return the clock every deadline is on, in nanoseconds (monotonic, wraps safely: compare with {@code a - b < 0}) */
    long nowNs();

    /**
     * @return wall-clock time in milliseconds since the epoch, for time stamps people read (the
     *     client's log lines); never for timing
     */
    long epochMillis();

    /** @return a new timer that runs {@code task} on this network's thread at {@code deadlineNs} */
    DeadlineTimers.Timer scheduleAt(long deadlineNs, Runnable task);

    /** Moves a timer made by {@link #scheduleAt} (pending or not) to {@code deadlineNs}. */
    void rescheduleAt(DeadlineTimers.Timer timer, long deadlineNs);

    /** Runs {@code task} on this network's thread: at once if called there, else soon. Safe from any thread. */
    void execute(Runnable task);

    /**
     * Runs {@code task}, which may block (file I/O), off this network's thread; the task hands
     * what it found back with {@link #execute}. Safe from any thread. By default on a new virtual
     * thread; a simulated network runs it at once on its own thread, so that its virtual clock
     * cannot move on while the task runs (a seed then replays the run).
     *
     * @param name the thread's name, for dumps
     */
    default void executeBlocking(String name, Runnable task) {
        Thread.ofVirtual().name(name).start(task);
    }

    /** @return true if the caller is this network's thread */
    boolean inThread();

    /**
     * @return the source of the procedures' random choices (the birthday sweep's ports), to be
     *     used on this network's thread only: a simulated network gives its seeded one, so that a
     *     seed replays a run
     */
    default RandomGenerator random() {
        return ThreadLocalRandom.current();
    }

    /**
     * Runs {@code task} once sockets closed so far are really gone (NIO releases a selected
     * channel only at the next select): a socket bound to the same port may then listen.
     */
    void afterClosesSettle(Runnable task);

    /**
     * Opens a socket as {@code local} says and starts connecting it to {@code remote}.
     * {@link ConnectionListener#onConnected} or {@link ConnectionListener#onClosed} follows; the
     * connection's {@link Connection#localAddress()} is known at once.
     *
     * @throws IOException if the socket cannot be opened, bound or started (nothing is left open)
     */
    Connection connect(SocketSpec local, InetSocketAddress remote, ConnectionListener listener) throws IOException;

    /**
     * Opens a listening socket as {@code local} says; every connection that arrives goes to
     * {@code handler}, which adopts or refuses it.
     *
     * @throws IOException if it cannot bind or listen
     */
    Acceptor listen(SocketSpec local, int backlog, AcceptHandler handler) throws IOException;
}
