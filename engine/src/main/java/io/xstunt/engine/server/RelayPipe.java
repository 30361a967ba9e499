package io.xstunt.engine.server;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.wire.RelayNotice;
import java.nio.ByteBuffer;

/**
 * The data path of one relayed connection: the session's two control connections joined, bytes
 * copied as they come (the loop's read buffer forwarded by reference: a send writes what the
 * socket takes and copies only the rest), within a {@link RelayBudget}.
 *
 * <p>Backpressure: while a side's connection holds more than {@link #HIGH_WATER} bytes it could
 * not write, the other side is not read (TCP's window then slows that sender); reading resumes when
 * it has drained. So the server never buffers more than {@link #HIGH_WATER} plus one read per
 * direction. Fairness: each readiness event reads at most one buffer (the connection's inbound
 * cap) per side, so a relay at full speed takes its turn in the loop like every other connection.
 * The rate limit stops reading a side until its token debt is paid (one timer per side).
 *
 * <p>It ends once, when a side closes or fails, at the byte limit, at the duration limit, or when
 * the server closes: both connections close after flushing what they hold (at most the linger
 * time), and {@link Ended} hears why, per side. Network thread only.
 */
final class RelayPipe {
    /** Bytes a side's connection may hold unwritten before the other side stops being read. */
    static final int HIGH_WATER = 64 * 1024;
    /** The inbound cap of a relayed connection: one read per readiness event at most. */
    static final int READ_BYTES = 64 * 1024;
    /** The outbound cap of a relayed connection: the high-water mark plus one read, with room. */
    static final int MAX_OUTBOUND = 4 * HIGH_WATER;

    private static final int PAUSED_BACKPRESSURE = 1;
    private static final int PAUSED_RATE = 2;

    /** Told once when the relay has ended and both connections are closed. */
    interface Ended {
        /**
         * @param ends why, as each side learns it: index 0 the initiator's, 1 the listener's
         * @param bytesFrom bytes each side sent through the relay
         */
        void ended(RelayNotice.End[] ends, long[] bytesFrom);
    }

    private final Network network;
    private final Connection[] sides;
    private final RelayBudget budget;
    private final long lingerNs;
    private final ServerCounters counters;
    private final Ended onEnded;
    private final java.util.function.BiConsumer<Connection, Throwable> closeWatcher;
    private final int[] paused = new int[2];
    private final DeadlineTimers.Timer[] rateTimers = new DeadlineTimers.Timer[2];
    private final boolean[] open = {true, true};
    private DeadlineTimers.Timer timer;
    /** The most a side's connection held unwritten, right after a send (where it peaks). */
    private long peakBuffered;
    private RelayNotice.End[] ends;
    private boolean reported;

    /**
     * Joins {@code initiator} and {@code listener}, released by the session's driver: from now on
     * this pipe hears their events.
     *
     * @param early bytes each side sent after its READY, before the other was ready, to be
     *     delivered first (index 0 from the initiator), or null
     * @param closeWatcher told of each connection's close (the server counts its connections)
     * @param counters where the bytes passed are counted for operators
     */
    RelayPipe(Network network, Connection initiator, Connection listener, RelayBudget budget, long lingerNs,
              ByteBuffer[] early, java.util.function.BiConsumer<Connection, Throwable> closeWatcher, Ended onEnded,
              ServerCounters counters) {
        this.network = network;
        this.counters = counters;
        this.closeWatcher = closeWatcher;
        this.sides = new Connection[] {initiator, listener};
        this.budget = budget;
        this.lingerNs = lingerNs;
        this.onEnded = onEnded;
        for (int s = 0; s < 2; s++) {
            sides[s].listener(new Side(s));
            if (!sides[s].isClosed()) {
                sides[s].reading(true); // the session may have held a side back before its peer was READY
            }
        }
        if (budget.timed()) {
            timer = network.scheduleAt(budget.endNs(), () -> end(RelayNotice.End.DURATION_LIMIT,
                    RelayNotice.End.DURATION_LIMIT));
        }
        for (int s = 0; s < 2 && ends == null; s++) {
            if (early != null && early[s] != null && early[s].hasRemaining()) {
                pass(s, early[s]);
            }
        }
        for (int s = 0; s < 2; s++) {
            if (sides[s].isClosed()) {
                closeWatcher.accept(sides[s], null);
                closed(s);
            }
        }
    }

    /** Ends the relay now (the server closes). */
    void abort() {
        end(RelayNotice.End.SERVER_CLOSING, RelayNotice.End.SERVER_CLOSING);
    }

    /** @return bytes side {@code s} (0 initiator, 1 listener) sent through the relay */
    long bytesFrom(int s) {
        return budget.passed(s);
    }

    /** @return bytes the two connections hold unwritten now */
    long buffered() {
        long n = 0;
        for (int s = 0; s < 2; s++) {
            n += open[s] ? sides[s].pendingOutbound() : 0;
        }
        return n;
    }

    /** @return the most one connection held unwritten so far: at most {@link RelayBuffering#BOUND} */
    long peakBuffered() {
        return peakBuffered;
    }

    /** @return how many sides are not read now because the other side holds too much unwritten */
    int pausedForBackpressure() {
        int n = 0;
        for (int p : paused) {
            n += (p & PAUSED_BACKPRESSURE) != 0 ? 1 : 0;
        }
        return n;
    }

    /** @return true once the relay has ended */
    boolean ended() {
        return ends != null;
    }

    private void pass(int s, ByteBuffer in) {
        long now = network.nowNs();
        int n = in.remaining();
        int allowed = (int) budget.take(s, n, now);
        Connection to = sides[1 - s];
        if (allowed > 0) {
            counters.relayed(allowed);
            int limit = in.limit();
            in.limit(in.position() + allowed);
            to.send(in); // consumes all it is given: written now, or the rest copied into its outbound buffer
            in.limit(limit);
            peakBuffered = Math.max(peakBuffered, to.pendingOutbound());
        }
        in.position(in.limit());
        if (budget.exhausted(s)) {
            end(RelayNotice.End.BYTES_LIMIT, RelayNotice.End.BYTES_LIMIT);
            return;
        }
        if (to.pendingOutbound() > HIGH_WATER) {
            pause(s, PAUSED_BACKPRESSURE);
        }
        long waitNs = budget.waitNs(s, now);
        if (waitNs > 0) {
            pause(s, PAUSED_RATE);
            if (rateTimers[s] == null) {
                rateTimers[s] = network.scheduleAt(now + waitNs, () -> resume(s, PAUSED_RATE));
            } else {
                network.rescheduleAt(rateTimers[s], now + waitNs);
            }
        }
    }

    private void pause(int s, int why) {
        if (paused[s] == 0 && open[s]) {
            sides[s].reading(false);
        }
        paused[s] |= why;
    }

    private void resume(int s, int why) {
        if ((paused[s] & why) == 0) {
            return;
        }
        paused[s] &= ~why;
        if (why == PAUSED_RATE && ends == null && budget.waitNs(s, network.nowNs()) > 0) {
            // refilled less than the timer expected (it fired early): wait the rest
            paused[s] |= PAUSED_RATE;
            network.rescheduleAt(rateTimers[s], network.nowNs() + budget.waitNs(s, network.nowNs()));
            return;
        }
        if (paused[s] == 0 && open[s] && ends == null) {
            sides[s].reading(true);
        }
    }

    private void closed(int s) {
        open[s] = false;
        if (ends == null) {
            RelayNotice.End[] e = new RelayNotice.End[2];
            e[s] = RelayNotice.End.CLOSED_HERE;
            e[1 - s] = RelayNotice.End.PEER_CLOSED;
            end(e[0], e[1]);
        } else {
            finishIfClosed();
        }
    }

    private void end(RelayNotice.End initiatorEnd, RelayNotice.End listenerEnd) {
        if (ends != null) {
            return;
        }
        ends = new RelayNotice.End[] {initiatorEnd, listenerEnd};
        if (timer != null) {
            timer.cancel();
        }
        for (DeadlineTimers.Timer t : rateTimers) {
            if (t != null) {
                t.cancel();
            }
        }
        for (int s = 0; s < 2; s++) {
            if (open[s]) {
                sides[s].closeAfterFlush();
            }
        }
        if (open[0] || open[1]) {
            // a side that does not read would hold its last bytes for ever: bounded
            timer = network.scheduleAt(network.nowNs() + lingerNs, () -> {
                for (Connection c : sides) {
                    c.close();
                }
            });
        }
        finishIfClosed();
    }

    private void finishIfClosed() {
        if (reported || open[0] || open[1]) {
            return;
        }
        reported = true;
        if (timer != null) {
            timer.cancel();
        }
        onEnded.ended(ends, new long[] {budget.passed(0), budget.passed(1)});
    }

    /** One side's events. */
    private final class Side implements ConnectionListener {
        private final int s;

        Side(int s) {
            this.s = s;
        }

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            if (ends != null) {
                in.position(in.limit()); // ending: the peer is going away
                return;
            }
            pass(s, in);
        }

        @Override
        public void onDrained(Connection c) {
            resume(1 - s, PAUSED_BACKPRESSURE);
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
            closeWatcher.accept(c, cause);
            closed(s);
        }
    }
}
