package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.RendezvousProcedure.Action;
import io.xstunt.engine.client.RendezvousProcedure.State;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayFrame;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/**
 * RendezvousProcedure driven by hand: two machines wired back to back through an in-memory relay
 * with simulated latency and a fake clock, plus single machines fed frame by frame.
 */
class RendezvousProcedureTest {
    static final InetSocketAddress CONTROL = new InetSocketAddress("203.0.113.1", 40001);
    static final InetSocketAddress ECHO = new InetSocketAddress("203.0.113.1", 8124);
    static final InetSocketAddress LOCAL = new InetSocketAddress("192.168.1.20", 40300);
    static final int IP_I = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    static final int IP_L = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    static final Duration ECHO_TIMEOUT = Duration.ofSeconds(7);
    static final long MS = 1_000_000L;

    /** @return the control frames in {@code bytes} (whole frames only) */
    static List<ControlFrame> frames(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        List<ControlFrame> l = new ArrayList<>();
        ControlFrame f;
        while ((f = ControlFrame.tryRead(b)) != null) {
            l.add(f);
        }
        assertEquals(0, b.remaining(), "only whole frames are written");
        return l;
    }

    /**
     * Asserts a failure of the asymmetric phase as the original reports it: ERR_ASYMCLIENT on the
     * initiator, ERR_ASYMSERVER on the listener, the failing step's code in the detail.
     */
    static void assertAsymmetric(boolean initiator, ErrorStat step, Failure f) {
        assertEquals(initiator ? ErrorStat.ERR_ASYMCLIENT : ErrorStat.ERR_ASYMSERVER, f.code(), f.toString());
        assertEquals(step.value(), f.detail(), f.toString());
        assertEquals(step, f.asymmetricCause());
    }

    /** @return the control frames an input wrote */
    static List<ControlFrame> sentFrames(Outputs<Action> o) {
        return frames(o.sentBytes(0));
    }

    /** A discrete-event simulation: a relay with one-way client-server latency, both sides driven by hand. */
    static final class Pair {
        record Event(long at, long seq, Runnable run) {
        }

        final long hopNs;
        final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at
                ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long now = 10_000 * MS;
        final long startNs = now;
        long seq;
        final Side initiator;
        final Side listener;
        boolean listenerPredictFails;

        final class Side {
            final RendezvousProcedure p;
            final ByHand<Action> hand;
            final int publicIp;
            Side peer;
            boolean controlOpen;
            Long predictAt;
            Action.Punch punch;
            int punches;
            Action.Succeeded succeeded;
            long succeededAt;
            Failure failed;
            final List<ControlFrame> sent = new ArrayList<>();

            Side(boolean initiator, boolean pipelined, int publicIp, int increment, long deadlineNs) {
                this.p = new RendezvousProcedure(initiator, pipelined, CONTROL, ECHO, increment, ECHO_TIMEOUT, deadlineNs,
                        initiator ? Map.of("comm", Duration.ofMillis(1)) : Map.of());
                this.hand = new ByHand<>(p, now);
                this.publicIp = publicIp;
            }

            /** Feeds one input at the simulation's time and carries out what it produced. */
            void feed(LongConsumer input) {
                hand.at(now);
                carryOut(hand.feed(input));
            }

            void carryOut(Outputs<Action> o) {
                for (byte[] b : o.sent(0)) {
                    sent.addAll(frames(b));
                    at(2 * hopNs, () -> {
                        if (peer.controlOpen) {
                            peer.feed(n -> peer.p.handleBytes(0, ByteBuffer.wrap(b), n));
                        }
                    });
                }
                for (Action a : o.actions()) {
                    switch (a) {
                        case Action.ConnectControl c -> at(2 * hopNs, () -> {
                            controlOpen = true;
                            feed(n -> p.handleConnected(0, LOCAL, n));
                        });
                        case Action.Predict pr -> {
                            predictAt = now;
                            at(2 * hopNs, () -> {
                                if (this == listener && listenerPredictFails) {
                                    feed(n -> p.handlePredictFailed("Connection refused", n));
                                } else {
                                    feed(n -> p.handlePredicted(30000, publicIp, 50000, n));
                                }
                            });
                        }
                        case Action.Punch pu -> {
                            punch = pu;
                            punches++;
                            if (p.initiator()) {
                                feed(p::handlePunchArmed); // RACE: armed at once
                            } else { // the listener's connect meets the initiator's listener one hop later
                                at(2 * hopNs, () -> {
                                    feed(p::handlePunched);
                                    peer.feed(peer.p::handlePunched);
                                });
                            }
                        }
                        case Action.AbortPunch ab -> punch = null;
                        case Action.Succeeded s -> {
                            succeeded = s;
                            succeededAt = now;
                        }
                        case Action.Failed f -> failed = f.error();
                        case Action.Relayed r -> throw new AssertionError("relayed without the relay offered: " + r);
                        case Action.Sweep w -> throw new AssertionError("a sweep without the relay offered: " + w);
                        case Action.SweepSignal w -> throw new AssertionError("a sweep signal without a sweep: " + w);
                    }
                }
                if (o.closed(0) && controlOpen) {
                    controlOpen = false;
                    at(2 * hopNs, () -> {
                        if (peer.controlOpen) {
                            peer.controlOpen = false;
                            peer.feed(n -> peer.p.handleClosed(0, null, n));
                        }
                    });
                }
            }
        }

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
            initiator.feed(initiator.p::start);
            listener.feed(listener.p::start);
            for (int steps = 0; steps < 10_000; steps++) {
                long next = Long.MAX_VALUE;
                Event e = events.peek();
                if (e != null) {
                    next = e.at;
                }
                for (Side s : List.of(initiator, listener)) {
                    if (s.hand.deadline().isPresent()) {
                        next = Math.min(next, s.hand.deadline().getAsLong());
                    }
                }
                if (next == Long.MAX_VALUE) {
                    return;
                }
                now = Math.max(now, next);
                if (e != null && e.at <= now) {
                    events.poll().run.run();
                } else {
                    initiator.feed(initiator.p::handleTimeout);
                    listener.feed(listener.p::handleTimeout);
                }
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
        assertTrue(i.hand.deadline().isEmpty());
        assertTrue(l.hand.deadline().isEmpty());
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
        assertTrue(i.hand.deadline().isEmpty());
        assertTrue(l.hand.deadline().isEmpty());
    }

    @Test
    void ownFailureSendsAbortAndThePeerAcknowledgesAndFails() {
        Pair pair = new Pair(false, 5 * MS, IP_I, IP_L, 0, Duration.ofSeconds(12).toNanos());
        pair.listenerPredictFails = true;
        pair.run();
        assertAsymmetric(false, ErrorStat.ERR_PREDICT, pair.listener.failed);
        assertEquals(Protocol.TAG_ABORT, pair.listener.sent.get(pair.listener.sent.size() - 1).tag());
        // the ABORT, read in place of the address the initiator waited for
        assertAsymmetric(true, ErrorStat.ERR_ADDRPORT_RECEIVE, pair.initiator.failed);
        assertTrue(pair.initiator.failed.getMessage().contains("ERR_PREDICT"), pair.initiator.failed.getMessage());
        assertEquals(ControlFrame.ackAbort(), pair.initiator.sent.get(pair.initiator.sent.size() - 1));
        assertEquals(State.FAILED, pair.initiator.p.state());
    }

    /**
     * Equal public IPs in the original's sequence: the initiator sends "ready" and fails, the
     * listener fails once it has read "ready"; no ABORT (an original peer would read it in place of
     * "ready" and fail with ERR_RECEIVE), no punch.
     */
    @Test
    void equalPublicAddressesAreHairpinInTheOriginalsSequence() {
        for (boolean pipelined : new boolean[] {false, true}) {
            Pair pair = new Pair(pipelined, MS, IP_I, IP_I, 0, Duration.ofSeconds(12).toNanos());
            pair.run();
            assertAsymmetric(true, ErrorStat.ERR_HAIRPIN, pair.initiator.failed);
            assertAsymmetric(false, ErrorStat.ERR_HAIRPIN, pair.listener.failed);
            assertEquals(ControlFrame.one(), pair.initiator.sent.get(pair.initiator.sent.size() - 1),
                    "the initiator's last frame is \"ready\"");
            assertTrue(pair.initiator.sent.stream().noneMatch(f -> f.tag() == Protocol.TAG_ABORT), "no ABORT");
            assertTrue(pair.listener.sent.stream().noneMatch(f -> f.tag() == Protocol.TAG_ABORT), "no ABORT");
            assertEquals(0, pair.initiator.punches + pair.listener.punches, "no punch");
        }
    }

    // ---- single machines, frame by frame ----

    static final long START = 1_000 * MS;

    RendezvousProcedure p;
    ByHand<Action> hand;

    static ByteBuffer frames(ControlFrame... fs) {
        ByteBuffer b = ByteBuffer.allocate(600);
        for (ControlFrame f : fs) {
            f.write(b);
        }
        return b.flip();
    }

    Outputs<Action> receive(ControlFrame... fs) {
        return hand.bytes(0, frames(fs));
    }

    Outputs<Action> predicted(int publicIp, int publicPort) {
        return hand.feed(n -> p.handlePredicted(30000, publicIp, publicPort, n));
    }

    /** A sequential machine, started: it asks for the control channel only. */
    void machine(boolean initiator, long overallNs) {
        p = new RendezvousProcedure(initiator, false, CONTROL, ECHO, 0, ECHO_TIMEOUT, START + overallNs, Map.of());
        hand = new ByHand<>(p, START);
        assertEquals(List.of(new Action.ConnectControl(CONTROL)), hand.feed(p::start).actions());
    }

    /** A sequential listener driven to {@code target}. */
    void listenerIn(State target) {
        machine(false, Duration.ofSeconds(30).toNanos());
        hand.connected(0, LOCAL);
        if (target == State.SYNC_AWAIT_FIRST) {
            return;
        }
        receive(ControlFrame.one());
        receive(ControlFrame.one());
        if (target == State.PREDICTING) {
            return;
        }
        predicted(IP_L, 50000);
        if (target == State.EXCHANGING) {
            return;
        }
        receive(ControlFrame.address(IP_I), ControlFrame.port(50000));
        if (target == State.AWAIT_READY) {
            return;
        }
        receive(ControlFrame.one());
        assertEquals(State.PUNCHING, p.state());
    }

    /** @return the failure the machine's deadline ends it with (the control channel closes after its last frames) */
    Failure timeoutIn() {
        assertTrue(hand.justBeforeDeadline().quiet(), "nothing before the deadline");
        Outputs<Action> o = hand.atDeadline();
        assertEquals(Closing.AFTER_FLUSH, o.closing(0), o.toString());
        assertEquals(State.FAILED, p.state());
        assertTrue(hand.deadline().isEmpty());
        return o.last(Action.Failed.class).error();
    }

    @Test
    void everyStateTimesOutWithItsErrorCode() {
        machine(true, Duration.ofSeconds(30).toNanos());
        assertEquals(ErrorStat.ERR_CONNECT, timeoutIn().code());

        machine(true, Duration.ofSeconds(30).toNanos());
        assertEquals(List.of(ControlFrame.one()), sentFrames(hand.connected(0, LOCAL)));
        assertEquals(START + ECHO_TIMEOUT.toNanos(), hand.deadline().orElseThrow());
        assertEquals(ErrorStat.ERR_ECHO_TIMEOUT, timeoutIn().code());

        listenerIn(State.SYNC_AWAIT_FIRST);
        assertEquals(ErrorStat.ERR_ECHO_TIMEOUT, timeoutIn().code());
        listenerIn(State.PREDICTING);
        assertAsymmetric(false, ErrorStat.ERR_PREDICT, timeoutIn());
        listenerIn(State.EXCHANGING);
        assertAsymmetric(false, ErrorStat.ERR_ADDRPORT_RECEIVE, timeoutIn());
        listenerIn(State.AWAIT_READY);
        assertAsymmetric(false, ErrorStat.ERR_TIMEOUT, timeoutIn());

        listenerIn(State.PUNCHING);
        assertEquals(START + Duration.ofSeconds(30).toNanos(), hand.deadline().orElseThrow(),
                "the punch runs until the overall deadline");
        Outputs<Action> o = hand.atDeadline();
        assertTrue(o.actions().contains(new Action.AbortPunch()), o.toString());
        assertEquals(Protocol.TAG_ABORT, sentFrames(o).get(0).tag());
        assertAsymmetric(false, ErrorStat.ERR_TIMEOUT, o.last(Action.Failed.class).error());
        assertEquals(Closing.AFTER_FLUSH, o.closing(0));
    }

    @Test
    void initiatorPunchTimeoutIsAsymTimeout() {
        machine(true, Duration.ofSeconds(5).toNanos());
        hand.connected(0, LOCAL);
        hand.advance(4 * MS);
        assertEquals(List.of(ControlFrame.one()), sentFrames(receive(ControlFrame.one())));
        assertEquals(State.SYNC_HALF_RTT, p.state());
        assertEquals(hand.now() + 2 * MS, hand.deadline().orElseThrow(), "waits half the 4 ms round trip");
        assertTrue(hand.justBeforeDeadline().quiet());
        assertEquals(List.of(new Action.Predict(ECHO)), hand.atDeadline().actions());
        predicted(IP_I, 50000);
        receive(ControlFrame.address(IP_L), ControlFrame.port(50000));
        assertEquals(State.PUNCHING, p.state());
        assertAsymmetric(true, ErrorStat.ERR_ASYM_TIMEOUT, hand.atDeadline().last(Action.Failed.class).error());
    }

    /** A pipelined machine, started: it asks for the control channel and the prediction at once. */
    void pipelinedMachine(boolean initiator) {
        p = new RendezvousProcedure(initiator, true, CONTROL, ECHO, 0, ECHO_TIMEOUT,
                START + Duration.ofSeconds(30).toNanos(), Map.of());
        hand = new ByHand<>(p, START);
        assertEquals(List.of(new Action.ConnectControl(CONTROL), new Action.Predict(ECHO)), hand.feed(p::start).actions(),
                "pipelined: the prediction starts with the control connect");
    }

    /**
     * A listener that asked for the relay only waits for the server's START; the server's UPGRADE
     * (the peer's way back to direct) makes it predict and answer the sync like any listener, as
     * the way back is never relayed.
     */
    @Test
    void relayOnlyListenerPunchesOnTheServersUpgrade() {
        p = new RendezvousProcedure(false, true, CONTROL, ECHO, 0, ECHO_TIMEOUT, START + Duration.ofSeconds(30).toNanos(),
                Map.of(), new RelayPlan(true, RelayFrame.Mode.RELAY_ONLY, false, 0, 5));
        hand = new ByHand<>(p, START);
        assertEquals(List.of(new Action.ConnectControl(CONTROL)), hand.feed(p::start).actions(),
                "relay only: no prediction");
        hand.connected(0, LOCAL);
        assertEquals(State.RELAY_WAIT, p.state());
        Outputs<Action> o = hand.feed(n -> p.handleBytes(0, ByteBuffer.wrap(RelayFrame.upgrade(7).encode()), n));
        assertEquals(7, p.upgradeOf());
        assertEquals(List.of(new Action.Predict(ECHO)), o.actions(), "the prediction starts");
        assertEquals(State.SYNC_AWAIT_FIRST, p.state());
        assertTrue(predicted(IP_L, 50000).quiet());
        assertEquals(List.of(ControlFrame.one(), ControlFrame.address(IP_L), ControlFrame.port(50000)),
                sentFrames(receive(ControlFrame.one())), "the sync answered, the address written");
    }

    @Test
    void pipelinedListenerWritesItsAddressRightAfterItsSyncAnswer() {
        pipelinedMachine(false);
        assertTrue(predicted(IP_L, 50000).quiet(), "nothing to write before the control channel is up");
        assertTrue(sentFrames(hand.connected(0, LOCAL)).isEmpty());
        assertEquals(List.of(ControlFrame.one(), ControlFrame.address(IP_L), ControlFrame.port(50000)),
                sentFrames(receive(ControlFrame.one())));
        assertEquals(State.SYNC_AWAIT_SECOND, p.state());
        hand.advance(20 * MS);
        Outputs<Action> o = receive(ControlFrame.one(), ControlFrame.address(IP_I), ControlFrame.port(50007),
                ControlFrame.one());
        Action.Punch punch = o.last(Action.Punch.class);
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_I), 50007), punch.peer());
        assertEquals(Duration.ofMillis(20), p.rtt());
    }

    @Test
    void pipelinedListenerWithASlowPredictionWritesItsAddressWhenItHasIt() {
        pipelinedMachine(false);
        hand.connected(0, LOCAL);
        assertEquals(List.of(ControlFrame.one()), sentFrames(receive(ControlFrame.one(), ControlFrame.one(),
                ControlFrame.address(IP_I), ControlFrame.port(50007), ControlFrame.one())));
        assertEquals(State.PREDICTING, p.state(), "every frame is in; only the prediction is missing");
        assertEquals(START + ECHO_TIMEOUT.toNanos(), hand.deadline().orElseThrow());
        hand.advance(MS);
        Outputs<Action> o = predicted(IP_L, 50000);
        assertEquals(List.of(ControlFrame.address(IP_L), ControlFrame.port(50000)), sentFrames(o),
                "the address goes out before the punch starts");
        o.only(Action.Punch.class);
        assertEquals(State.PUNCHING, p.state());
    }

    @Test
    void pipelinedPredictionThatNeverAnswersIsErrPredict() {
        pipelinedMachine(true);
        hand.connected(0, LOCAL);
        Outputs<Action> o = receive(ControlFrame.one(), ControlFrame.address(IP_L), ControlFrame.port(50000));
        assertEquals(List.of(ControlFrame.one()), sentFrames(o),
                "the second OK(one) answers at once; the address waits for the prediction");
        assertEquals(State.PREDICTING, p.state());
        assertAsymmetric(true, ErrorStat.ERR_PREDICT, timeoutIn());
    }

    @Test
    void pipelinedInitiatorWithAnOriginalListenerWaitsForItsAddress() {
        pipelinedMachine(true);
        predicted(IP_I, 50000);
        assertEquals(List.of(ControlFrame.one()), sentFrames(hand.connected(0, LOCAL)));
        hand.advance(4 * MS);
        assertEquals(List.of(ControlFrame.one(), ControlFrame.address(IP_I), ControlFrame.port(50000)),
                sentFrames(receive(ControlFrame.one())), "an original listener: its OK(one) alone; no half-round-trip pause");
        assertEquals(State.EXCHANGING, p.state());
        hand.advance(10 * MS);
        receive(ControlFrame.address(IP_L), ControlFrame.port(50003)).last(Action.Punch.class);
    }

    @Test
    void predictionFailureBeforeTheControlChannelIsErrPredictWithoutAbort() {
        pipelinedMachine(false);
        Outputs<Action> o = hand.feed(n -> p.handlePredictFailed("Connection refused", n));
        assertTrue(sentFrames(o).isEmpty(), "no control channel to write ABORT on");
        assertEquals(Closing.AFTER_FLUSH, o.closing(0), "the control connect in flight is dropped");
        assertAsymmetric(false, ErrorStat.ERR_PREDICT, o.only(Action.Failed.class).error());
        assertTrue(hand.connected(0, LOCAL).quiet(), "a control channel that comes up late is not used");
    }

    @Test
    void aControlChannelThatCannotBeOpenedIsErrConnect() {
        machine(false, Duration.ofSeconds(30).toNanos());
        Outputs<Action> o = hand.connectFailed(0, "Connection refused");
        assertEquals(ErrorStat.ERR_CONNECT, o.only(Action.Failed.class).error().code());
        assertTrue(sentFrames(o).isEmpty());

        machine(true, Duration.ofSeconds(30).toNanos());
        assertEquals(ErrorStat.ERR_CONNECT, hand.closed(0, "java.net.ConnectException: Connection refused")
                .only(Action.Failed.class).error().code(), "a connect that fails is reported as a close");
    }

    @Test
    void overallDeadlineCapsEachWait() {
        machine(false, 100 * MS);
        assertEquals(START + 100 * MS, hand.deadline().orElseThrow());
    }

    @Test
    void peerFramesThatArriveWhilePredictingAreKept() {
        listenerIn(State.PREDICTING);
        assertTrue(receive(ControlFrame.address(IP_I), ControlFrame.port(50007), ControlFrame.one()).quiet());
        Action.Punch punch = predicted(IP_L, 50000).last(Action.Punch.class);
        assertEquals(new InetSocketAddress(Ipv4.toAddress(IP_I), 50007), punch.peer());
        assertEquals(State.PUNCHING, p.state());
    }

    @Test
    void partialFramesWaitForTheirRest() {
        listenerIn(State.SYNC_AWAIT_FIRST);
        ByteBuffer one = frames(ControlFrame.one());
        ByteBuffer head = one.slice(0, 3);
        assertTrue(hand.bytes(0, head).quiet());
        assertEquals(0, head.position(), "a partial frame is left in the buffer");
        assertEquals(State.SYNC_AWAIT_FIRST, p.state());
        hand.bytes(0, one);
        assertEquals(State.SYNC_AWAIT_SECOND, p.state());
    }

    /** The original reads an ABORT in place of the frame it expects, and fails as that read fails. */
    @Test
    void abortFromThePeerIsAcknowledgedAndFailsTheReadItCameInPlaceOf() {
        listenerIn(State.EXCHANGING);
        Outputs<Action> o = receive(ControlFrame.abort("ERR_PREDICT: no echo"));
        assertEquals(List.of(ControlFrame.ackAbort()), sentFrames(o));
        Failure e = o.last(Action.Failed.class).error();
        assertAsymmetric(false, ErrorStat.ERR_ADDRPORT_RECEIVE, e);
        assertTrue(e.getMessage().contains("no echo"));
        assertEquals(Closing.AFTER_FLUSH, o.closing(0), "ACKABORT goes out before the close");

        listenerIn(State.SYNC_AWAIT_FIRST);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, receive(ControlFrame.abort("busy")).last(Action.Failed.class).error()
                .code(), "before the asymmetric phase: the sync's own code");
        listenerIn(State.AWAIT_READY);
        assertAsymmetric(false, ErrorStat.ERR_RECEIVE, receive(ControlFrame.abort("gone")).last(Action.Failed.class)
                .error());
    }

    @Test
    void malformedAddressFrameIsAddrPortReceiveAndSendsAbort() {
        listenerIn(State.EXCHANGING);
        Outputs<Action> o = receive(new ControlFrame(Protocol.TAG_OK, new byte[3]));
        ControlFrame abort = sentFrames(o).get(0);
        assertEquals(Protocol.TAG_ABORT, abort.tag());
        assertTrue(abort.text().contains("ERR_ADDRPORT_RECEIVE"), abort.text());
        assertAsymmetric(false, ErrorStat.ERR_ADDRPORT_RECEIVE, o.last(Action.Failed.class).error());
    }

    @Test
    void wrongSyncFrameIsSynReceive() {
        listenerIn(State.SYNC_AWAIT_FIRST);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, receive(ControlFrame.port(1)).last(Action.Failed.class).error().code());
    }

    @Test
    void controlClosedDuringSyncFailsButDuringThePunchDoesNot() {
        listenerIn(State.SYNC_AWAIT_FIRST);
        assertEquals(ErrorStat.ERR_SYN_RECEIVE, hand.closed(0, null).last(Action.Failed.class).error().code());

        listenerIn(State.SYNC_AWAIT_FIRST);
        assertEquals(ErrorStat.ERR_SYN_SEND, hand.closed(0, "java.io.IOException: Connection reset by peer")
                .last(Action.Failed.class).error().code());

        listenerIn(State.EXCHANGING);
        assertAsymmetric(false, ErrorStat.ERR_ADDRPORT_RECEIVE, hand.closed(0, null).last(Action.Failed.class).error());

        listenerIn(State.AWAIT_READY);
        assertAsymmetric(false, ErrorStat.ERR_RECEIVE, hand.closed(0, null).last(Action.Failed.class).error());

        listenerIn(State.PUNCHING);
        assertTrue(hand.closed(0, null).quiet(), "the peer may have won and closed first");
        Outputs<Action> o = hand.feed(p::handlePunched);
        o.last(Action.Succeeded.class);
        assertTrue(o.sent(0).isEmpty(), "nothing is sent on a closed channel");
    }

    @Test
    void abortFromOutsideStopsThePunch() {
        listenerIn(State.PUNCHING);
        Failure gone = new Failure(ErrorStat.ERR_RECEIVE, 0, "server gone");
        Outputs<Action> o = hand.feed(n -> p.abort(gone));
        assertTrue(o.actions().contains(new Action.AbortPunch()));
        assertEquals(Closing.AFTER_FLUSH, o.closing(0));
        assertEquals(Protocol.TAG_ABORT, sentFrames(o).get(0).tag(), "the peer hears why");
        assertSame(gone, o.last(Action.Failed.class).error());
        assertTrue(hand.feed(n -> p.abort(gone)).quiet(), "one outcome");
    }

    @Test
    void aPunchFailureFailsTheProcedureWithItsError() {
        listenerIn(State.PUNCHING);
        Failure refused = new Failure(ErrorStat.ERR_CONNECT, 0, "refused");
        Outputs<Action> o = hand.feed(n -> p.handlePunchFailed(refused));
        Failure f = o.last(Action.Failed.class).error();
        assertAsymmetric(false, ErrorStat.ERR_CONNECT, f);
        assertSame(refused, f.getCause(), "the punch's own failure is the cause");
        assertEquals(Protocol.TAG_ABORT, sentFrames(o).get(0).tag(), "the peer hears why");
        assertEquals(State.FAILED, p.state());
        assertTrue(hand.deadline().isEmpty());
    }
}
