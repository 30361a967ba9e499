package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.RendezvousProcedure.Action;
import io.xstunt.engine.client.RendezvousProcedure.State;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/**
 * RendezvousProcedure without sockets: two machines wired back to back through an in-memory
 * relay with simulated latency and a fake clock, plus single machines fed frame by frame.
 */
class RendezvousProcedureTest {
    static final InetSocketAddress CONTROL = new InetSocketAddress("203.0.113.1", 40001);
    static final InetSocketAddress ECHO = new InetSocketAddress("203.0.113.1", 8124);
    static final int IP_I = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    static final int IP_L = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    static final Duration ECHO_TIMEOUT = Duration.ofSeconds(7);
    static final long MS = 1_000_000L;

    /** A discrete-event simulation: a relay with one-way client-server latency and fake NATs. */
    static final class Pair {
        record Event(long at, long seq, Runnable run) {
        }

        final long hopNs;
        final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at
                ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long now = 10_000 * MS;
        long seq;
        final Side initiator;
        final Side listener;
        boolean listenerPredictFails;

        final class Side {
            final RendezvousProcedure p;
            final int publicIp;
            final int increment;
            Side peer;
            boolean controlOpen;
            Long predictAt;
            Action.Punch punch;
            Action.Succeeded succeeded;
            long succeededAt;
            Failure failed;
            final List<ControlFrame> sent = new ArrayList<>();

            Side(boolean initiator, boolean pipelined, int publicIp, int increment, long deadlineNs) {
                this.p = new RendezvousProcedure(initiator, pipelined, CONTROL, ECHO, increment, ECHO_TIMEOUT, deadlineNs,
                        initiator ? Map.of("comm", Duration.ofMillis(1)) : Map.of());
                this.publicIp = publicIp;
                this.increment = increment;
            }

            void pump() {
                List<Action> drained;
                while (!(drained = p.drainActions()).isEmpty()) { // an action may queue more (onPunchArmed)
                    pumpOnce(drained);
                }
            }

            void pumpOnce(List<Action> drained) {
                for (Action a : drained) {
                    switch (a) {
                        case Action.ConnectControl c -> at(2 * hopNs, () -> {
                            controlOpen = true;
                            p.onControlConnected(now);
                        });
                        case Action.Send s -> {
                            ByteBuffer b = ByteBuffer.wrap(s.bytes());
                            sent.add(ControlFrame.tryRead(b.duplicate()));
                            at(2 * hopNs, () -> {
                                if (peer.controlOpen) {
                                    peer.p.onControlBytes(b, now);
                                }
                            });
                        }
                        case Action.CloseControl c -> {
                            controlOpen = false;
                            at(2 * hopNs, () -> {
                                if (peer.controlOpen) {
                                    peer.controlOpen = false;
                                    peer.p.onControlClosed(null, now);
                                }
                            });
                        }
                        case Action.Predict pr -> {
                            predictAt = now;
                            at(2 * hopNs, () -> {
                                if (this == listener && listenerPredictFails) {
                                    p.onPredictFailed("Connection refused");
                                } else {
                                    p.onPredicted(30000, publicIp, 50000, now);
                                }
                            });
                        }
                        case Action.Punch pu -> {
                            punch = pu;
                            if (p.initiator()) {
                                p.onPunchArmed(now); // RACE: armed at once
                            } else { // the listener's connect meets the initiator's listener one hop later
                                at(2 * hopNs, () -> {
                                    p.onPunched(now);
                                    peer.p.onPunched(now);
                                });
                            }
                        }
                        case Action.AbortPunch ab -> punch = null;
                        case Action.Succeeded s -> {
                            succeeded = s;
                            succeededAt = now;
                        }
                        case Action.Failed f -> failed = f.error();
                    }
                }
            }
        }

        final long startNs = now;

        Pair(boolean pipelined, long hopNs, int ipI, int ipL, int increment, long overall) {
            this.hopNs = hopNs;
            initiator = new Side(true, pipelined, ipI, increment, now + overall);
            listener = new Side(false, pipelined, ipL, increment, now + overall);
            initiator.peer = listener;
            listener.peer = initiator;
        }

        void at(long delayNs, Runnable r) {
            events.add(new Event(now + delayNs, seq++, r));
        }

        /** Runs events and deadlines in time order until nothing is left. */
        void run() {
            initiator.p.start(now);
            listener.p.start(now);
            initiator.pump();
            listener.pump();
            for (int steps = 0; steps < 10_000; steps++) {
                long next = Long.MAX_VALUE;
                Event e = events.peek();
                if (e != null) {
                    next = e.at;
                }
                for (Side s : List.of(initiator, listener)) {
                    if (s.p.deadlineNs().isPresent()) {
                        next = Math.min(next, s.p.deadlineNs().getAsLong());
                    }
                }
                if (next == Long.MAX_VALUE) {
                    return;
                }
                now = Math.max(now, next);
                if (e != null && e.at <= now) {
                    events.poll().run.run();
                } else {
                    initiator.p.onTimeout(now);
                    listener.p.onTimeout(now);
                }
                initiator.pump();
                listener.pump();
            }
            throw new AssertionError("simulation did not settle");
        }
    }

    /** The initiator's frames, in the original's order, whatever the timing. */
    static final List<ControlFrame> INITIATOR_FRAMES = List.of(ControlFrame.one(), ControlFrame.one(),
            ControlFrame.address(IP_I), ControlFrame.port(50002), ControlFrame.one());
    static final List<ControlFrame> LISTENER_FRAMES = List.of(ControlFrame.one(), ControlFrame.address(IP_L),
            ControlFrame.port(50002));

    /** Runs both sides at 5 ms per relayed hop and checks that both succeeded. */
    private static Pair succeededPair(boolean pipelined) {
        Pair pair = new Pair(pipelined, 5 * MS, IP_I, IP_L, 2, Duration.ofSeconds(12).toNanos());
        pair.run();
        assertNotNull(pair.initiator.succeeded, "initiator: " + pair.initiator.failed);
        assertNotNull(pair.listener.succeeded, "listener: " + pair.listener.failed);
        return pair;
    }

    @Test
    void sequentialTimingIsTheOriginals() {
        Pair pair = succeededPair(false);
        Pair.Side i = pair.initiator;
        Pair.Side l = pair.listener;
        assertEquals(State.DONE, i.p.state());
        assertEquals(State.DONE, l.p.state());
        // the clock sync: the RTT through the relay, and both predict at the same moment
        assertEquals(Duration.ofMillis(20), i.p.rtt());
        assertEquals(i.predictAt, l.predictAt, "the initiator waits half the RTT so both predict together");
        // each learns the other's predicted address: observed port + increment
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_L), 50002), i.succeeded.peerPredicted());
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_I), 50002), l.succeeded.peerPredicted());
        assertEquals(30000, i.punch.localPort());
        assertEquals(Duration.ofMillis(27), i.punch.retryPeriod(), "1.25 round trips + 2 ms");
        assertEquals(i.punch.gridOriginNs(), l.punch.gridOriginNs(),
                "both retry grids start when the listener reads \"ready\"");
        assertEquals(List.of("comm", "control", "sync", "predict", "exchange", "punch"),
                List.copyOf(i.succeeded.phases().keySet()));
        assertEquals(List.of("control", "sync", "predict", "exchange", "punch"),
                List.copyOf(l.succeeded.phases().keySet()));
        assertEquals(INITIATOR_FRAMES, i.sent);
        assertEquals(LISTENER_FRAMES, l.sent);
        assertTrue(i.p.deadlineNs().isEmpty());
        assertTrue(l.p.deadlineNs().isEmpty());
        // control 2 hops, sync 4 + pause 2, predict 2, address 2, ready 2, punch 2
        assertEquals(16 * pair.hopNs, i.succeededAt - pair.startNs);
    }

    @Test
    void pipelinedTimingSendsTheSameFramesFiveHopsSooner() {
        Pair pair = succeededPair(true);
        Pair.Side i = pair.initiator;
        Pair.Side l = pair.listener;
        assertEquals(INITIATOR_FRAMES, i.sent, "the original's bytes, in the original's order");
        assertEquals(LISTENER_FRAMES, l.sent);
        assertEquals(pair.startNs, i.predictAt, "the prediction starts with the procedure");
        assertEquals(pair.startNs, l.predictAt);
        assertEquals(Duration.ofMillis(20), i.p.rtt());
        assertEquals(Duration.ofMillis(20), l.p.rtt(), "the listener's OK(one) to the initiator's answer");
        assertEquals(i.punch.gridOriginNs(), l.punch.gridOriginNs());
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_L), 50002), i.succeeded.peerPredicted());
        // control 2 hops (prediction alongside), OK 2, the listener's OK + address 2, "ready" 2, punch 2
        assertEquals(10 * pair.hopNs, i.succeededAt - pair.startNs);
        assertEquals(Duration.ofMillis(10), i.succeeded.phases().get("predict"), "measured from the start");
        assertTrue(i.p.deadlineNs().isEmpty());
        assertTrue(l.p.deadlineNs().isEmpty());
    }

    @Test
    void ownFailureSendsAbortAndThePeerAcknowledgesAndFails() {
        Pair pair = new Pair(false, 5 * MS, IP_I, IP_L, 0, Duration.ofSeconds(12).toNanos());
        pair.listenerPredictFails = true;
        pair.run();
        assertEquals(ErrorStat.ERR_PREDICT, pair.listener.failed.code());
        assertEquals(Protocol.TAG_ABORT, pair.listener.sent.get(pair.listener.sent.size() - 1).tag());
        assertEquals(ErrorStat.ERR_ASYMCLIENT, pair.initiator.failed.code());
        assertTrue(pair.initiator.failed.getMessage().contains("ERR_PREDICT"), pair.initiator.failed.getMessage());
        assertEquals(ControlFrame.ackAbort(), pair.initiator.sent.get(pair.initiator.sent.size() - 1));
        assertEquals(State.FAILED, pair.initiator.p.state());
    }

    @Test
    void equalPublicAddressesAreHairpin() {
        for (boolean pipelined : new boolean[] {false, true}) {
            Pair pair = new Pair(pipelined, MS, IP_I, IP_I, 0, Duration.ofSeconds(12).toNanos());
            pair.run();
            assertEquals(ErrorStat.ERR_HAIRPIN, pair.initiator.failed.code());
            assertEquals(ErrorStat.ERR_HAIRPIN, pair.listener.failed.code(), "the address came before the ABORT");
        }
    }

    // ---- single machines, frame by frame ----

    long now = 1_000 * MS;

    static ByteBuffer frames(ControlFrame... fs) {
        ByteBuffer b = ByteBuffer.allocate(600);
        for (ControlFrame f : fs) {
            f.write(b);
        }
        return b.flip();
    }

    RendezvousProcedure machine(boolean initiator, long overallNs) {
        RendezvousProcedure p = new RendezvousProcedure(initiator, false, CONTROL, ECHO, 0, ECHO_TIMEOUT,
                now + overallNs, Map.of());
        p.start(now);
        assertEquals(List.of(new Action.ConnectControl(CONTROL)), p.drainActions());
        return p;
    }

    /** A listener driven to the given state. */
    RendezvousProcedure listenerIn(State target) {
        RendezvousProcedure p = machine(false, Duration.ofSeconds(30).toNanos());
        p.onControlConnected(now);
        if (target == State.SYNC_AWAIT_FIRST) {
            return p;
        }
        p.onControlBytes(frames(ControlFrame.one()), now);
        p.onControlBytes(frames(ControlFrame.one()), now);
        if (target == State.PREDICTING) {
            p.drainActions();
            return p;
        }
        p.onPredicted(30000, IP_L, 50000, now);
        if (target == State.EXCHANGING) {
            p.drainActions();
            return p;
        }
        p.onControlBytes(frames(ControlFrame.address(IP_I), ControlFrame.port(50000)), now);
        if (target == State.AWAIT_READY) {
            p.drainActions();
            return p;
        }
        p.onControlBytes(frames(ControlFrame.one()), now);
        p.drainActions();
        assertEquals(State.PUNCHING, p.state());
        return p;
    }

    static List<ControlFrame> sentFrames(List<Action> actions) {
        List<ControlFrame> l = new ArrayList<>();
        for (Action a : actions) {
            if (a instanceof Action.Send s) {
                l.add(ControlFrame.tryRead(ByteBuffer.wrap(s.bytes())));
            }
        }
        return l;
    }

    static Failure failedWith(List<Action> actions) {
        return assertInstanceOf(Action.Failed.class, actions.get(actions.size() - 1)).error();
    }

    Failure timeoutIn(RendezvousProcedure p) {
        long d = p.deadlineNs().orElseThrow();
        p.onTimeout(d - 1);
        assertTrue(p.drainActions().isEmpty(), "nothing before the deadline");
        p.onTimeout(d);
        List<Action> a = p.drainActions();
        assertTrue(a.contains(new Action.CloseControl()), a.toString());
        assertEquals(State.FAILED, p.state());
        assertTrue(p.deadlineNs().isEmpty());
        return failedWith(a);
    }

    @Test
    void everyStateTimesOutWithItsErrorCode() {
        assertEquals(ErrorStat.ERR_CONNECT, timeoutIn(machine(true, Duration.ofSeconds(30).toNanos())).code());

        RendezvousProcedure i = machine(true, Duration.ofSeconds(30).toNanos());
        i.onControlConnected(now);
        assertEquals(List.of(ControlFrame.one()), sentFrames(i.drainActions()));
        assertEquals(now + ECHO_TIMEOUT.toNanos(), i.deadlineNs().orElseThrow());
        assertEquals(ErrorStat.ERR_ECHO_TIMEOUT, timeoutIn(i).code());

        assertEquals(ErrorStat.ERR_ECHO_TIMEOUT, timeoutIn(listenerIn(State.SYNC_AWAIT_FIRST)).code());
        assertEquals(ErrorStat.ERR_PREDICT, timeoutIn(listenerIn(State.PREDICTING)).code());
        assertEquals(ErrorStat.ERR_ADDRPORT_RECEIVE, timeoutIn(listenerIn(State.EXCHANGING)).code());
        assertEquals(ErrorStat.ERR_TIMEOUT, timeoutIn(listenerIn(State.AWAIT_READY)).code());

        RendezvousProcedure punching = listenerIn(State.PUNCHING);
        assertEquals(now + Duration.ofSeconds(30).toNanos(), punching.deadlineNs().orElseThrow(),
                "the punch runs until the overall deadline");
        punching.onTimeout(punching.deadlineNs().orElseThrow());
        List<Action> a = punching.drainActions();
        assertTrue(a.contains(new Action.AbortPunch()), a.toString());
        assertEquals(Protocol.TAG_ABORT, ControlFrame.tryRead(ByteBuffer.wrap(
                assertInstanceOf(Action.Send.class, a.get(0)).bytes())).tag());
        assertEquals(ErrorStat.ERR_TIMEOUT, failedWith(a).code());
    }

    @Test
    void initiatorPunchTimeoutIsAsymTimeout() {
        RendezvousProcedure i = machine(true, Duration.ofSeconds(5).toNanos());
        i.onControlConnected(now);
        i.drainActions();
        now += 4 * MS;
        i.onControlBytes(frames(ControlFrame.one()), now);
        assertEquals(List.of(ControlFrame.one()), sentFrames(i.drainActions()));
        assertEquals(now + 2 * MS, i.deadlineNs().orElseThrow(), "waits half the 4 ms round trip");
        i.onTimeout(now + 2 * MS - 1);
        assertTrue(i.drainActions().isEmpty());
        now += 2 * MS;
        i.onTimeout(now);
        assertEquals(List.of(new Action.Predict(ECHO)), i.drainActions());
        i.onPredicted(30000, IP_I, 50000, now);
        i.onControlBytes(frames(ControlFrame.address(IP_L), ControlFrame.port(50000)), now);
        assertEquals(State.PUNCHING, i.state());
        i.onTimeout(i.deadlineNs().orElseThrow());
        assertEquals(ErrorStat.ERR_ASYM_TIMEOUT, failedWith(i.drainActions()).code());
    }

    RendezvousProcedure pipelinedMachine(boolean initiator) {
        RendezvousProcedure p = new RendezvousProcedure(initiator, true, CONTROL, ECHO, 0, ECHO_TIMEOUT,
                now + Duration.ofSeconds(30).toNanos(), Map.of());
        p.start(now);
        assertEquals(List.of(new Action.ConnectControl(CONTROL), new Action.Predict(ECHO)), p.drainActions(),
                "pipelined: the prediction starts with the control connect");
        return p;
    }

    @Test
    void pipelinedListenerWritesItsAddressRightAfterItsSyncAnswer() {
        RendezvousProcedure p = pipelinedMachine(false);
        p.onPredicted(30000, IP_L, 50000, now);
        assertTrue(p.drainActions().isEmpty(), "nothing to write before the control channel is up");
        p.onControlConnected(now);
        assertTrue(sentFrames(p.drainActions()).isEmpty());
        p.onControlBytes(frames(ControlFrame.one()), now);
        assertEquals(List.of(ControlFrame.one(), ControlFrame.address(IP_L), ControlFrame.port(50000)),
                sentFrames(p.drainActions()));
        assertEquals(State.SYNC_AWAIT_SECOND, p.state());
        now += 20 * MS;
        p.onControlBytes(frames(ControlFrame.one(), ControlFrame.address(IP_I), ControlFrame.port(50007),
                ControlFrame.one()), now);
        List<Action> a = p.drainActions();
        Action.Punch punch = assertInstanceOf(Action.Punch.class, a.get(a.size() - 1));
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_I), 50007), punch.peer());
        assertEquals(Duration.ofMillis(20), p.rtt());
    }

    @Test
    void pipelinedListenerWithASlowPredictionWritesItsAddressWhenItHasIt() {
        RendezvousProcedure p = pipelinedMachine(false);
        p.onControlConnected(now);
        p.onControlBytes(frames(ControlFrame.one(), ControlFrame.one(), ControlFrame.address(IP_I),
                ControlFrame.port(50007), ControlFrame.one()), now);
        assertEquals(List.of(ControlFrame.one()), sentFrames(p.drainActions()));
        assertEquals(State.PREDICTING, p.state(), "every frame is in; only the prediction is missing");
        assertEquals(now + ECHO_TIMEOUT.toNanos(), p.deadlineNs().orElseThrow());
        p.onPredicted(30000, IP_L, 50000, now + MS);
        List<Action> a = p.drainActions();
        assertEquals(List.of(ControlFrame.address(IP_L), ControlFrame.port(50000)), sentFrames(a));
        assertInstanceOf(Action.Punch.class, a.get(a.size() - 1), "the address goes out before the punch");
        assertEquals(State.PUNCHING, p.state());
    }

    @Test
    void pipelinedPredictionThatNeverAnswersIsErrPredict() {
        RendezvousProcedure p = pipelinedMachine(true);
        p.onControlConnected(now);
        p.onControlBytes(frames(ControlFrame.one(), ControlFrame.address(IP_L), ControlFrame.port(50000)), now);
        assertEquals(List.of(ControlFrame.one(), ControlFrame.one()), sentFrames(p.drainActions()),
                "the second OK(one) answers at once; the address waits for the prediction");
        assertEquals(State.PREDICTING, p.state());
        assertEquals(ErrorStat.ERR_PREDICT, timeoutIn(p).code());
    }

    @Test
    void pipelinedInitiatorWithAnOriginalListenerWaitsForItsAddress() {
        RendezvousProcedure p = pipelinedMachine(true);
        p.onPredicted(30000, IP_I, 50000, now);
        p.onControlConnected(now);
        assertEquals(List.of(ControlFrame.one()), sentFrames(p.drainActions()));
        now += 4 * MS;
        p.onControlBytes(frames(ControlFrame.one()), now); // an original listener: its OK(one) alone
        assertEquals(List.of(ControlFrame.one(), ControlFrame.address(IP_I), ControlFrame.port(50000)),
                sentFrames(p.drainActions()), "no half-round-trip pause");
        assertEquals(State.EXCHANGING, p.state());
        p.onControlBytes(frames(ControlFrame.address(IP_L), ControlFrame.port(50003)), now + 10 * MS);
        List<Action> a = p.drainActions();
        assertInstanceOf(Action.Punch.class, a.get(a.size() - 1));
    }

    @Test
    void predictionFailureBeforeTheControlChannelIsErrPredictWithoutAbort() {
        RendezvousProcedure p = pipelinedMachine(false);
        p.onPredictFailed("Connection refused");
        List<Action> a = p.drainActions();
        assertTrue(sentFrames(a).isEmpty(), "no control channel to write ABORT on");
        assertTrue(a.contains(new Action.CloseControl()), "the control connect in flight is dropped");
        assertEquals(ErrorStat.ERR_PREDICT, failedWith(a).code());
    }

    @Test
    void overallDeadlineCapsEachWait() {
        RendezvousProcedure p = machine(false, 100 * MS);
        assertEquals(now + 100 * MS, p.deadlineNs().orElseThrow());
    }

    @Test
    void peerFramesThatArriveWhilePredictingAreKept() {
        RendezvousProcedure p = listenerIn(State.PREDICTING);
        p.onControlBytes(frames(ControlFrame.address(IP_I), ControlFrame.port(50007), ControlFrame.one()), now);
        assertTrue(p.drainActions().isEmpty());
        p.onPredicted(30000, IP_L, 50000, now);
        List<Action> a = p.drainActions();
        Action.Punch punch = assertInstanceOf(Action.Punch.class, a.get(a.size() - 1));
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_I), 50007), punch.peer());
        assertEquals(State.PUNCHING, p.state());
    }

    @Test
    void partialFramesWaitForTheirRest() {
        RendezvousProcedure p = listenerIn(State.SYNC_AWAIT_FIRST);
        ByteBuffer one = frames(ControlFrame.one());
        ByteBuffer head = one.slice(0, 3);
        p.onControlBytes(head, now);
        assertEquals(0, head.position(), "a partial frame is left in the buffer");
        assertEquals(State.SYNC_AWAIT_FIRST, p.state());
        p.onControlBytes(one, now);
        assertEquals(State.SYNC_AWAIT_SECOND, p.state());
    }

    @Test
    void abortFromThePeerIsAcknowledged() {
        RendezvousProcedure p = listenerIn(State.EXCHANGING);
        p.onControlBytes(frames(ControlFrame.abort("ERR_PREDICT: no echo")), now);
        List<Action> a = p.drainActions();
        assertEquals(List.of(ControlFrame.ackAbort()), sentFrames(a));
        Failure e = failedWith(a);
        assertEquals(ErrorStat.ERR_ASYMSERVER, e.code());
        assertTrue(e.getMessage().contains("no echo"));
    }

    @Test
    void malformedAddressFrameIsAddrPortReceiveAndSendsAbort() {
        RendezvousProcedure p = listenerIn(State.EXCHANGING);
        p.onControlBytes(frames(new ControlFrame(Protocol.TAG_OK, new byte[3])), now);
        List<Action> a = p.drainActions();
        Action.Send abort = assertInstanceOf(Action.Send.class, a.get(0));
        assertEquals(Protocol.TAG_ABORT, abort.bytes()[0]);
        assertTrue(new String(abort.bytes(), 2, abort.bytes()[1], StandardCharsets.UTF_8).contains("ERR_ADDRPORT_RECEIVE"));
        assertEquals(ErrorStat.ERR_ADDRPORT_RECEIVE, failedWith(a).code());
    }

    @Test
    void wrongSyncFrameIsSynReceive() {
        RendezvousProcedure p = listenerIn(State.SYNC_AWAIT_FIRST);
        p.onControlBytes(frames(ControlFrame.port(1)), now);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, failedWith(p.drainActions()).code());
    }

    @Test
    void controlClosedDuringSyncFailsButDuringThePunchDoesNot() {
        RendezvousProcedure p = listenerIn(State.SYNC_AWAIT_FIRST);
        p.onControlClosed(null, now);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, failedWith(p.drainActions()).code());

        p = listenerIn(State.SYNC_AWAIT_FIRST);
        p.onControlClosed("java.io.IOException: Connection reset by peer", now);
        assertEquals(ErrorStat.ERR_SYN_SEND, failedWith(p.drainActions()).code());

        p = listenerIn(State.EXCHANGING);
        p.onControlClosed(null, now);
        assertEquals(ErrorStat.ERR_ADDRPORT_RECEIVE, failedWith(p.drainActions()).code());

        p = listenerIn(State.PUNCHING);
        p.onControlClosed(null, now);
        assertTrue(p.drainActions().isEmpty(), "the peer may have won and closed first");
        p.onPunched(now);
        List<Action> a = p.drainActions();
        assertInstanceOf(Action.Succeeded.class, a.get(a.size() - 1));
        assertFalse(a.stream().anyMatch(x -> x instanceof Action.Send), "nothing is sent on a closed channel");
    }

    @Test
    void abortFromOutsideStopsThePunch() {
        RendezvousProcedure p = listenerIn(State.PUNCHING);
        Failure gone = new Failure(ErrorStat.ERR_RECEIVE, 0, "server gone");
        p.abort(gone);
        List<Action> a = p.drainActions();
        assertTrue(a.contains(new Action.AbortPunch()));
        assertTrue(a.contains(new Action.CloseControl()));
        assertEquals(gone, failedWith(a));
    }
}
