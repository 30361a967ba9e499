package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A simulated internet on a virtual clock: bridges, hosts and NAT routers, each host with its own
 * {@link io.xstunt.engine.net.Network} for the engine's client and server code, all on one thread
 * (the one that creates it) and one clock. Nothing happens by itself: a test builds the topology,
 * starts its procedures, then calls a {@code run} method, which jumps the clock from one due event
 * to the next. Every run is bounded in virtual time and in events and fails with what it waited
 * for and the trace's last lines. Random choices (fresh ports, NAT ports, ISN keys, losses) all come
 * from one generator seeded here and are drawn in event order, so a seed replays the same run.
 * An exception that escapes a simulated callback fails the run that was stepping.
 */
public final class SimNetwork {
    /** The clock's first reading unless another is given: an arbitrary, non-zero instant. */
    public static final long DEFAULT_ORIGIN_NS = 1_000_000_000_000L;
    /** The most events one run may step through before it is taken for a livelock. */
    public static final long DEFAULT_MAX_EVENTS = 5_000_000;

    private final long originNs;
    private final EventQueue events;
    private final Random random;
    private final Trace trace;
    private final Thread owner = Thread.currentThread();
    private final List<Predicate<Packet>> losses = new ArrayList<>();
    private long maxEvents = DEFAULT_MAX_EVENTS;
    private boolean running;
    private Throwable failure;

    /** @param seed the seed of every random choice */
    public SimNetwork(long seed) {
        this(seed, DEFAULT_ORIGIN_NS);
    }

    /**
     * @param seed the seed of every random choice
     * @param originNs the clock's first reading (near {@code Long.MAX_VALUE} to check wrap-safety)
     */
    public SimNetwork(long seed, long originNs) {
        this.originNs = originNs;
        this.events = new EventQueue(originNs);
        this.random = new Random(seed);
        this.trace = new Trace(events::nowNs, originNs);
    }

    // ---- topology

    /** @return a new layer-2 segment that routes {@code onLinkPrefixes} (e.g. "198.51.100.0/24") */
    public Bridge bridge(String name, String... onLinkPrefixes) {
        return new Bridge(this, name, Arrays.stream(onLinkPrefixes).map(Prefix::parse).toList());
    }

    /** @return a host without a gateway (a public host), attached to {@code bridge} through {@code link} */
    public SimHost host(String name, Bridge bridge, Link link, String... addresses) {
        return new SimHost(this, name, bridge, link, 0, Arrays.stream(addresses).mapToInt(SimNetwork::ip).toArray());
    }

    /** @return a host with gateway {@code gateway}, used by NAT routers for their LAN hosts */
    SimHost host(String name, Bridge bridge, Link link, int gateway, String address) {
        return new SimHost(this, name, bridge, link, gateway, ip(address));
    }

    /**
     * @return a NAT router with public address {@code publicIp} on {@code wan} (through
     *     {@code wanLink}) and a new LAN {@code lanPrefix}, whose first address is the router's
     */
    public NatRouter nat(String name, NatConfig config, Bridge wan, Link wanLink, String publicIp, String lanPrefix) {
        return new NatRouter(this, name, config, wan, wanLink, ip(publicIp), Prefix.parse(lanPrefix));
    }

    // ---- running

    /**
     * Steps through events until {@code done} holds.
     *
     * @param what what is waited for, for the failure message
     * @return the virtual time it took
     * @throws AssertionError if {@code within} of virtual time passes first, nothing is left to
     *     happen, the event bound is reached, or a simulated callback threw
     */
    public Duration runUntil(String what, BooleanSupplier done, Duration within) {
        long start = events.nowNs();
        Stop stop = run(what, done, within);
        if (stop != Stop.DONE) {
            throw new AssertionError("waited " + within + " of virtual time for " + what + ": "
                    + (stop == Stop.IDLE ? "nothing is left to happen" : "it did not happen") + "; last events:\n"
                    + trace.tail());
        }
        return Duration.ofNanos(events.nowNs() - start);
    }

    /**
     * Steps through events until {@code done} holds or {@code within} of virtual time passes (the
     * clock then stands at its end): for outcomes that may not come, such as a punch through a NAT
     * that should stop it.
     *
     * @return true if {@code done} held
     * @throws AssertionError if the event bound is reached or a simulated callback threw
     */
    public boolean tryRunUntil(BooleanSupplier done, Duration within) {
        return run("a condition that may not hold", done, within) == Stop.DONE;
    }

    /** Why a run stopped. */
    private enum Stop { DONE, IDLE, TIME }

    private Stop run(String what, BooleanSupplier done, Duration within) {
        enter();
        long deadline = events.nowNs() + within.toNanos();
        long stepped = 0;
        try {
            while (!done.getAsBoolean()) {
                if (events.idle() || events.nextDueNs() - deadline > 0) {
                    Stop stop = events.idle() ? Stop.IDLE : Stop.TIME;
                    events.advanceTo(deadline);
                    return stop;
                }
                step(what, ++stepped);
            }
            return Stop.DONE;
        } finally {
            running = false;
        }
    }

    /** Steps through every event due in the next {@code duration}; the clock then stands at its end. */
    public void runFor(Duration duration) {
        enter();
        long end = events.nowNs() + duration.toNanos();
        long stepped = 0;
        try {
            while (!events.idle() && events.nextDueNs() - end <= 0) {
                step("the end of a run of " + duration, ++stepped);
            }
            events.advanceTo(end);
        } finally {
            running = false;
        }
    }

    /** Runs until nothing is scheduled (no packet in flight, no kernel or engine timer), at most {@code within}. */
    public Duration runUntilIdle(Duration within) {
        return runUntil("the network to fall idle", events::idle, within);
    }

    /**
     * Runs until {@code future} completes and returns its value.
     *
     * @throws AssertionError if it does not complete within {@code within}, or fails (with the cause)
     */
    public <T> T await(String what, CompletableFuture<T> future, Duration within) {
        runUntil(what, future::isDone, within);
        try {
            return future.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new AssertionError(what + " failed: " + cause + "; last events:\n" + trace.tail(), cause);
        }
    }

    /**
     * Runs until {@code future} completes and returns why it failed.
     *
     * @throws AssertionError if it does not complete within {@code within}, or succeeds
     */
    public Throwable awaitFailure(String what, CompletableFuture<?> future, Duration within) {
        runUntil(what, future::isDone, within);
        try {
            Object value = future.join();
            throw new AssertionError(what + " succeeded (" + value + "), a failure was expected; last events:\n"
                    + trace.tail());
        } catch (CompletionException | CancellationException e) {
            return e.getCause() != null ? e.getCause() : e;
        }
    }

    /** Sets the most events one run may step through (a livelock guard). */
    public void maxEventsPerRun(long n) {
        this.maxEvents = n;
    }

    // ---- the clock and the rest

    /** @return the virtual clock, in nanoseconds (the hosts' {@code Network.nowNs()}) */
    public long nowNs() {
        return events.nowNs();
    }

    /** @return virtual time since the simulation started */
    public Duration elapsed() {
        return Duration.ofNanos(events.nowNs() - originNs);
    }

    /** @return what happened, line by line */
    public Trace trace() {
        return trace;
    }

    /** @return true on the thread that created the simulation, the only one that may drive it */
    public boolean inThread() {
        return Thread.currentThread() == owner;
    }

    /** Runs {@code task} at once on the simulation's thread, or from another thread at the current virtual time of the next step. */
    public void execute(Runnable task) {
        if (inThread()) {
            task.run();
        } else {
            events.post(task);
        }
    }

    /**
     * Makes the next packet that {@code which} accepts get lost on its next link, as a random
     * loss would (its sender's recovery included): for tests of one particular loss.
     */
    void loseNext(Predicate<Packet> which) {
        losses.add(which);
    }

    /**
     * Makes the next connection-opening SYN (no ACK) from {@code from} to {@code to} get lost, the
     * addresses as the wire between them carries them (behind a NAT: its public address, so the
     * SYN is lost after the sender's NAT made its mapping); the sender's kernel sends it again 1 s
     * later, doubling. For tests outside this package that stage one particular loss.
     */
    public void loseNextSyn(java.net.InetAddress from, java.net.InetAddress to) {
        int src = Ipv4.toInt(from);
        int dst = Ipv4.toInt(to);
        loseNext(p -> p instanceof Segment s && s.isSyn() && s.srcIp() == src && s.dstIp() == dst);
    }

    /** @return true if {@code p} is to be lost by {@link #loseNext} (which then forgets it) */
    boolean takeInjectedLoss(Packet p) {
        for (int i = 0; i < losses.size(); i++) {
            if (losses.get(i).test(p)) {
                losses.remove(i);
                return true;
            }
        }
        return false;
    }

    EventQueue events() {
        return events;
    }

    RandomGenerator random() {
        return random;
    }

    private void enter() {
        if (!inThread()) {
            throw new IllegalStateException("the simulation runs on " + owner.getName() + " only, not on "
                    + Thread.currentThread().getName());
        }
        if (running) {
            throw new IllegalStateException("the simulation is running already: a run (or a blocking read of a"
                    + " simulated channel) inside a simulated callback would stall it");
        }
        running = true;
    }

    private void step(String what, long stepped) {
        if (stepped > maxEvents) {
            throw new AssertionError("more than " + maxEvents + " events while waiting for " + what
                    + " (a livelock?); last events:\n" + trace.tail());
        }
        events.step(this::failed);
        if (failure != null) {
            Throwable f = failure;
            failure = null;
            throw new AssertionError("a simulated callback threw at " + elapsed() + " while waiting for " + what
                    + ": " + f + "; last events:\n" + trace.tail(), f);
        }
    }

    private void failed(Throwable t) {
        if (failure == null) {
            failure = t;
        } else {
            failure.addSuppressed(t);
        }
    }

    private static int ip(String address) {
        return Ipv4.toInt(Ipv4.parse(address));
    }
}
