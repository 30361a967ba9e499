package io.xstunt.engine.client;

import io.xstunt.engine.proc.EarliestDeadline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * XListen's side of a {@link ClientEndpoint}: incoming connections that came up and wait to be
 * taken, and the XListen calls that wait for one (each until its deadline), in order.
 */
final class ListenQueue {
    /** A pending XListen call. */
    record Waiter(long call, long deadlineNs) {
    }

    private final ArrayDeque<Rendezvous> completed = new ArrayDeque<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

    /** @return the oldest connection that came up, or null */
    Rendezvous pollCompleted() {
        return completed.poll();
    }

    void addCompleted(Rendezvous r) {
        completed.add(r);
    }

    void addWaiter(long call, long deadlineNs) {
        waiters.add(new Waiter(call, deadlineNs));
    }

    /** @return the oldest waiting call, or null */
    Waiter pollWaiter() {
        return waiters.poll();
    }

    /** Offers every waiter's deadline. */
    void offerDeadlines(EarliestDeadline earliest) {
        for (Waiter w : waiters) {
            earliest.offer(w.deadlineNs());
        }
    }

    /** Removes the waiters whose deadline has passed: @return their calls, oldest first */
    List<Long> expire(long nowNs) {
        List<Long> expired = new ArrayList<>();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (nowNs - w.deadlineNs() >= 0) {
                it.remove();
                expired.add(w.call());
            }
        }
        return expired;
    }

    /** Empties the queue: @return the connections that waited (to be closed) */
    ArrayDeque<Rendezvous> drainCompleted() {
        ArrayDeque<Rendezvous> all = new ArrayDeque<>(completed);
        completed.clear();
        return all;
    }

    /** Empties the waiters: @return them */
    ArrayDeque<Waiter> drainWaiters() {
        ArrayDeque<Waiter> all = new ArrayDeque<>(waiters);
        waiters.clear();
        return all;
    }
}
