package io.xstunt.engine.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Selector} that drives every channel, a deadline heap and a queue of commands from
 * other threads: the engine's single duty cycle.
 *
 * <p>Two ways to run it (the Agrona agent/runner/invoker split): {@link #start()} runs it on its
 * own thread, sleeping in {@code select} until the next deadline or a command; or a host (a game
 * server's tick) calls {@link #doWork()} each iteration, which never blocks. The first thread
 * that calls {@code doWork} owns the loop; everything except {@link #execute}, {@link #close}
 * and the read-only counters must be called on that thread.
 */
public final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    /** Bounded per pass so that a flood of commands cannot starve I/O. */
    private static final int MAX_COMMANDS_PER_PASS = 1024;

    private final String name;
    private final Selector selector;
    private final LongSupplier clockNs;
    private final DeadlineTimers timers = new DeadlineTimers();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private final AtomicLong errors = new AtomicLong();
    private final java.util.function.Consumer<SelectionKey> dispatch = this::dispatch;
    private volatile Thread owner;
    private volatile boolean running = true;
    private Thread ownThread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long nowNs;
    /** True while doWork runs (loop thread only): a close() inside a pass must not close the selector under it. */
    private boolean inPass;
    /** Set once shutdown() starts (on the thread that runs it). */
    private boolean shuttingDown;
    private int ioEvents;
    private java.util.ArrayList<Runnable> afterSelect = new java.util.ArrayList<>();
    private java.util.ArrayList<Runnable> afterSelectRunning = new java.util.ArrayList<>();
    private final ReadBuffer readBuffer = new ReadBuffer();

    private EventLoop(String name, LongSupplier clockNs) throws IOException {
        this.name = Objects.requireNonNull(name, "name");
        this.clockNs = Objects.requireNonNull(clockNs, "clockNs");
        this.selector = Selector.open();
        this.nowNs = clockNs.getAsLong();
    }

    /**
     * Opens a loop on the system's monotonic clock.
     *
     * @param name used for the thread and in logs
     * @throws UncheckedIOException if no selector can be opened
     */
    public static EventLoop open(String name) {
        return open(name, System::nanoTime);
    }

    /** Opens a loop on the given nanosecond clock (tests pass a fake one). */
    public static EventLoop open(String name, LongSupplier clockNs) {
        try {
            return new EventLoop(name, clockNs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
    }

    /** @return the loop's name */
    public String name() {
        return name;
    }

    /**
     * Runs the loop on a new platform thread of its own until {@link #close()}, sleeping in the
     * selector between duty cycles that find no work ({@link IdleStrategy#SELECT}).
     */
    public EventLoop start() {
        return start(IdleStrategy.SELECT);
    }

    /**
     * Runs the loop on a new platform thread of its own until {@link #close()}, with {@code idle}
     * between duty cycles that find no work.
     *
     * @throws IllegalStateException if a thread drives the loop already
     */
    public synchronized EventLoop start(IdleStrategy idle) {
        Objects.requireNonNull(idle, "idle");
        if (ownThread != null || owner != null) {
            throw new IllegalStateException("loop " + name + " is already driven by " + owner);
        }
        ownThread = new Thread(new LoopRunner(this, idle), name);
        ownThread.setDaemon(true);
        owner = ownThread;
        ownThread.start();
        return this;
    }

    /**
     * Blocks in select until the next deadline, until {@link #execute} wakes it, or until a
     * channel is ready (whose handler then runs). The idle of {@link IdleStrategy#SELECT}.
     */
    void awaitWork() throws IOException {
        long timeoutMs = 0;
        if (!timers.isEmpty()) {
            long waitNs = timers.earliestNs() - clockNs.getAsLong();
            if (waitNs <= 0) {
                return;
            }
            timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNs + 999_999));
        }
        sleeping.set(true);
        try {
            // A command queued between the last drain and sleeping=true must not wait for select.
            if (!commands.isEmpty() || !running) {
                return;
            }
            if (timeoutMs == 0) {
                selector.select(dispatch);
            } else {
                selector.select(dispatch, timeoutMs);
            }
        } finally {
            sleeping.set(false);
        }
    }

    /** The runner's last act: the loop's thread releases everything. */
    void finishOnOwnThread() {
        shutdown();
    }

    /**
     * One duty cycle: commands, ready channels, expired deadlines. Never blocks.
     *
     * @return the amount of work done (0 means the loop was idle)
     */
    public int doWork() {
        Thread t = Thread.currentThread();
        if (owner == null) {
            synchronized (this) {
                if (owner == null) {
                    owner = t;
                }
            }
        }
        if (owner != t) {
            throw new IllegalStateException("loop " + name + " is owned by " + owner + ", not " + t);
        }
        if (stopped.getCount() == 0) {
            return 0; // closed: nothing is left to drive
        }
        inPass = true;
        try {
            return pass();
        } finally {
            inPass = false;
            if (!running) {
                shutdown(); // close() was called during the pass and left the shutdown to its end
            }
        }
    }

    private int pass() {
        nowNs = clockNs.getAsLong();
        int work = 0;
        Runnable r;
        while (work < MAX_COMMANDS_PER_PASS && (r = commands.poll()) != null) {
            work++;
            runGuarded(r);
        }
        // Tasks queued before this select run after it: by then cancelled keys are deregistered.
        java.util.ArrayList<Runnable> deferred = afterSelect;
        afterSelect = afterSelectRunning;
        afterSelectRunning = deferred;
        try {
            ioEvents = 0;
            selector.selectNow(dispatch);
            work += ioEvents;
        } catch (IOException e) {
            errors.incrementAndGet();
            LOG.error("select failed on loop {}", name, e);
        }
        for (int i = 0; i < deferred.size(); i++) {
            runGuarded(deferred.get(i));
        }
        work += deferred.size();
        deferred.clear();
        work += afterSelect.size();
        nowNs = clockNs.getAsLong();
        work += timers.expire(nowNs, this::onTaskError);
        return work;
    }

    private void dispatch(SelectionKey key) {
        ioEvents++;
        IoHandler h = (IoHandler) key.attachment();
        try {
            h.onReady(key);
        } catch (RuntimeException | Error e) {
            onTaskError(e);
            try {
                h.onFailure(e);
            } catch (RuntimeException | Error e2) {
                onTaskError(e2);
            }
        }
    }

    private void runGuarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | Error e) {
            onTaskError(e);
        }
    }

    private void onTaskError(Throwable e) {
        errors.incrementAndGet();
        LOG.error("unexpected error on loop {}", name, e);
    }

    /** @return true if the caller is the loop's thread */
    public boolean inLoop() {
        return Thread.currentThread() == owner;
    }

    /** Throws unless called on the loop's thread (or before any thread drives it). */
    public void assertInLoop() {
        Thread o = owner;
        if (o != null && o != Thread.currentThread()) {
            throw new IllegalStateException("must run on loop " + name + "'s thread, not " + Thread.currentThread());
        }
    }

    /**
     * Runs {@code command} on the loop thread: at once if called there, otherwise at the start
     * of the next duty cycle. Safe from any thread.
     */
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        if (inLoop()) {
            runGuarded(command);
            return;
        }
        if (!running) {
            throw new java.util.concurrent.RejectedExecutionException("loop " + name + " is closed");
        }
        commands.add(command);
        if (sleeping.get()) {
            selector.wakeup();
        }
    }

    /**
     * Runs {@code task} on the loop thread after the selector's next select, when keys cancelled
     * before it are deregistered (so their channels may switch to blocking mode). Loop thread only.
     */
    public void afterNextSelect(Runnable task) {
        assertInLoop();
        afterSelect.add(Objects.requireNonNull(task, "task"));
    }

    /**
     * Lends the loop's read buffer, cleared, with {@code capacity} bytes of room (loop thread
     * only); give it back with {@link #returnReadBuffer}. Every connection on the loop reads into
     * it, so that a connection keeps storage only for the bytes of a partial message, not a buffer
     * per socket; a host's own channels may use it too. A nested loan (a read inside a read's
     * callback) gets a buffer of its own, so one read never overwrites another's bytes.
     */
    public java.nio.ByteBuffer lendReadBuffer(int capacity) {
        return readBuffer.lend(capacity); // every read calls it: no thread check on this path
    }

    /** Takes back what {@link #lendReadBuffer} lent (a nested loan's own buffer is dropped). Loop thread only. */
    public void returnReadBuffer(java.nio.ByteBuffer b) {
        readBuffer.giveBack(b);
    }

    /** @return the loop's clock, as read at the start of the current pass (loop thread) */
    public long nowNs() {
        return nowNs;
    }

    /** @return a fresh reading of the loop's clock */
    public long clockNs() {
        return clockNs.getAsLong();
    }

    /** Schedules {@code task} to run on the loop {@code delayNs} from now. Loop thread only. */
    public DeadlineTimers.Timer schedule(long delayNs, Runnable task) {
        return scheduleAt(clockNs.getAsLong() + delayNs, task);
    }

    /** Schedules {@code task} to run on the loop at {@code deadlineNs} of its clock. Loop thread only. */
    public DeadlineTimers.Timer scheduleAt(long deadlineNs, Runnable task) {
        assertInLoop();
        return timers.schedule(deadlineNs, task);
    }

    /** Moves a timer of this loop to {@code delayNs} from now. Loop thread only. */
    public void reschedule(DeadlineTimers.Timer timer, long delayNs) {
        rescheduleAt(timer, clockNs.getAsLong() + delayNs);
    }

    /** Moves a timer of this loop to {@code deadlineNs} of its clock. Loop thread only. */
    public void rescheduleAt(DeadlineTimers.Timer timer, long deadlineNs) {
        assertInLoop();
        timers.reschedule(timer, deadlineNs);
    }

    /** @return the number of pending deadlines (for leak checks) */
    public int pendingTimers() {
        return timers.size();
    }

    /** @return the number of channels registered with the selector (for leak checks) */
    public int registeredKeys() {
        return selector.keys().size();
    }

    /** @return unexpected errors caught so far */
    public long errorCount() {
        return errors.get();
    }

    /**
     * Registers a nonblocking channel. Loop thread only.
     *
     * @throws ClosedChannelException if the channel is closed
     */
    public SelectionKey register(SelectableChannel channel, int ops, IoHandler handler) throws IOException {
        assertInLoop();
        channel.configureBlocking(false);
        return channel.register(selector, ops, handler);
    }

    /**
     * Stops the loop: every registered handler gets {@link IoHandler#onFailure} and the selector
     * closes. From another thread it waits up to 5 s for the loop's own thread to finish; a host
     * that drives the loop with {@link #doWork()} should call it on its own thread. Called from a
     * task or handler on the loop thread, the loop stops at the end of the current pass; later
     * {@link #doWork()} calls return 0.
     */
    @Override
    public void close() {
        Thread t = ownThread;
        // Refuse before changing anything: a refused close must leave the loop running.
        if (t == null && owner != null && owner != Thread.currentThread()) {
            throw new IllegalStateException("close a host-driven loop on its host thread (" + owner + ")");
        }
        running = false;
        if (t != null && t != Thread.currentThread()) {
            selector.wakeup();
            try {
                if (!stopped.await(5, TimeUnit.SECONDS)) {
                    LOG.warn("loop {} did not stop within 5 s", name);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        if (!inPass) {
            shutdown();
        }
    }

    private void shutdown() {
        // A handler's onFailure may call close() again: that must not start a second shutdown.
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
        Runnable r;
        while ((r = commands.poll()) != null) {
            runGuarded(r);
        }
        IllegalStateException closing = new IllegalStateException("loop " + name + " closed");
        for (SelectionKey key : selector.keys().toArray(new SelectionKey[0])) {
            if (key.attachment() instanceof IoHandler h) {
                try {
                    h.onFailure(closing);
                } catch (RuntimeException e) {
                    onTaskError(e);
                }
            }
            try {
                key.channel().close();
            } catch (IOException e) {
                LOG.debug("closing a channel on shutdown", e);
            }
        }
        try {
            selector.close();
        } catch (IOException e) {
            LOG.debug("closing the selector", e);
        }
        stopped.countDown();
    }

    /** @return true until {@link #close()} is called */
    public boolean isRunning() {
        return running;
    }
}
