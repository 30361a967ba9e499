package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.BirthdaySweep.Action;
import io.xstunt.engine.client.BirthdaySweep.Role;
import io.xstunt.engine.client.BirthdaySweep.State;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.SweepFrame;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** BirthdaySweep driven by hand: no sockets, a fake clock, a seeded random source. */
class BirthdaySweepTest {
    static final InetSocketAddress EASY = new InetSocketAddress("198.51.100.9", 41000);
    static final InetSocketAddress HARD = new InetSocketAddress("203.0.113.7", 5555);
    static final int PORT = 41000;
    static final long START = 1_000;
    static final Duration RTT = Duration.ofMillis(10);
    static final BirthdaySweep.Plan PLAN = new BirthdaySweep.Plan(8, 20, 100);
    static final long SECOND = 1_000_000_000L;

    BirthdaySweep s;
    ByHand<Action> hand;

    ByHand.Outputs<Action> start(Role role) {
        s = new BirthdaySweep(role, PLAN, role == Role.EASY ? PORT : 0, role == Role.EASY ? HARD : EASY, RTT,
                new Random(7));
        hand = new ByHand<>(s, START);
        return hand.feed(s::start);
    }

    ByHand.Outputs<Action> result(int socket, boolean connected) {
        return hand.feed(n -> s.handleConnectResult(socket, connected, connected ? null : "refused", n));
    }

    ByHand.Outputs<Action> signal(int code) {
        return hand.feed(n -> s.handleSignal(code, n));
    }

    /** Fires every deadline until {@code s} is in {@code until} or has none; @return all actions, in order */
    List<Action> runUntil(State until) {
        List<Action> all = new ArrayList<>();
        while (s.state() != until && hand.deadline().isPresent()) {
            long before = hand.now();
            all.addAll(hand.atDeadline().actions());
            assertTrue(hand.now() - before >= 0, "the deadline never goes back");
        }
        return all;
    }

    static List<Action.Connect> connects(List<Action> actions) {
        return actions.stream().filter(Action.Connect.class::isInstance).map(Action.Connect.class::cast).toList();
    }

    @Test
    void rolesAndPlanComeFromBothOffers() {
        SweepFrame.Offer random = new SweepFrame.Offer(true, true, 256, 1024, 500);
        SweepFrame.Offer easy = new SweepFrame.Offer(false, true, 128, 2048, 300);
        assertEquals(Role.HARD, BirthdaySweep.roleOf(random, easy));
        assertEquals(Role.EASY, BirthdaySweep.roleOf(easy, random));
        assertNull(BirthdaySweep.roleOf(random, random), "two random NATs: the relay, no sweep");
        assertNull(BirthdaySweep.roleOf(easy, easy), "two predictable NATs: the punch");
        assertNull(BirthdaySweep.roleOf(random, new SweepFrame.Offer(false, false, 256, 1024, 500)), "switched off");
        assertNull(BirthdaySweep.roleOf(random, null), "no offer from the peer");
        assertEquals(new BirthdaySweep.Plan(128, 1024, 300), BirthdaySweep.planOf(random, easy));
        assertNull(BirthdaySweep.planOf(random, new SweepFrame.Offer(false, true, 0, 1, 1)));
    }

    @Test
    void hardSideScoutsThenOpensItsSocketsPacedWhenTheEasyNatIsSilent() {
        assertEquals(List.of(new Action.Connect(0, 0, EASY)), start(Role.HARD).actions(), "the scout, from a fresh port");
        assertEquals(START + BirthdaySweep.MIN_SCOUT_WAIT.toNanos(), hand.deadline().orElseThrow());
        assertTrue(hand.justBeforeDeadline().quiet());
        List<Action> burst = runUntil(State.WAITING);
        List<Action.Connect> c = connects(burst);
        assertEquals(PLAN.sockets(), c.size());
        for (int i = 0; i < c.size(); i++) {
            assertEquals(new Action.Connect(i + 1, 0, EASY), c.get(i), "each to the easy side's predicted address");
        }
        assertEquals(new Action.Signal(SweepFrame.SIGNAL_BURST_OUT), burst.getLast());
        long took = hand.now() - (START + BirthdaySweep.MIN_SCOUT_WAIT.toNanos());
        assertEquals((PLAN.sockets() - 1) * SECOND / PLAN.synsPerSecond(), took, "paced at the plan's rate");
        assertTrue(hand.deadline().isEmpty(), "then waits for a connection, bounded by the rendezvous");
        ByHand.Outputs<Action> won = result(5, true);
        Set<Action> closes = new HashSet<>(won.actions().subList(0, won.actions().size() - 1));
        Set<Action> expected = new HashSet<>();
        for (int n = 0; n <= PLAN.sockets(); n++) {
            if (n != 5) {
                expected.add(new Action.Close(n));
            }
        }
        assertEquals(expected, closes, "every other socket, the scout too, closes at once");
        assertEquals(new Action.Won(5), won.actions().getLast());
        assertEquals(State.WON, s.state());
        assertEquals(List.of(new Action.Close(6)), result(6, true).actions(), "a late connection is closed");
    }

    @Test
    void hardSideLetsTheEasySideProbeFirstWhenTheEasyNatRefuses() {
        start(Role.HARD);
        hand.advance(1_000_000);
        assertEquals(List.of(new Action.Signal(SweepFrame.SIGNAL_PROBE_FIRST)), result(0, false).actions());
        assertTrue(hand.deadline().isEmpty(), "no SYN until the easy side's probes are out");
        assertTrue(signal(SweepFrame.SIGNAL_BURST_OUT).quiet(), "a signal for the other role is ignored");
        List<Action> burst = new ArrayList<>(signal(SweepFrame.SIGNAL_PROBES_OUT).actions());
        burst.addAll(runUntil(State.WAITING));
        assertEquals(PLAN.sockets(), connects(burst).size());
        assertFalse(burst.contains(new Action.Signal(SweepFrame.SIGNAL_BURST_OUT)), "the easy side probed already");
        assertEquals(State.WAITING, s.state());
    }

    @Test
    void easySideProbesDistinctRandomPortsOfThePeerOnlyAndMissesAfterItsBudget() {
        List<Action.Connect> scout = connects(start(Role.EASY).actions());
        assertEquals(1, scout.size());
        assertEquals(PORT, scout.getFirst().localPort(), "from the predicted port");
        assertEquals(HARD.getAddress(), scout.getFirst().remote().getAddress());
        assertTrue(hand.atDeadline().quiet(), "a silent scout: wait for the hard side");
        assertEquals(State.WAITING, s.state());
        assertTrue(hand.deadline().isEmpty());
        List<Action> all = new ArrayList<>(signal(SweepFrame.SIGNAL_BURST_OUT).actions());
        all.addAll(runUntil(State.MISSED));
        List<Action.Connect> probes = connects(all);
        assertEquals(PLAN.probes(), probes.size());
        Set<Integer> ports = new HashSet<>();
        ports.add(scout.getFirst().remote().getPort());
        for (Action.Connect p : probes) {
            assertEquals(PORT, p.localPort());
            assertEquals(HARD.getAddress(), p.remote().getAddress(), "SYNs only to the announced peer");
            assertTrue(p.remote().getPort() >= BirthdaySweep.FIRST_PORT && p.remote().getPort() <= 65535);
            ports.add(p.remote().getPort());
        }
        assertEquals(PLAN.probes() + 1, ports.size(), "no port is probed twice");
        long closes = all.stream().filter(Action.Close.class::isInstance).count();
        assertEquals(PLAN.probes() + 1, closes, "each probe closes at the end of its life, the scout at the end");
        assertEquals(new Action.Missed(RelayFrame.Reason.SWEEP_MISSED, PLAN.probes() + 1), all.getLast());
        assertEquals(0, s.openSockets());
    }

    @Test
    void easySideProbesCloseBeforeTheKernelWouldSendTheirSynAgain() {
        start(Role.EASY);
        hand.atDeadline();
        signal(SweepFrame.SIGNAL_BURST_OUT);
        long first = hand.now();
        List<Action> until = new ArrayList<>();
        while (!until.contains(new Action.Close(1))) {
            until.addAll(hand.atDeadline().actions());
        }
        long life = hand.now() - first;
        assertTrue(life >= BirthdaySweep.MIN_PROBE_LIFETIME.toNanos() && life < SECOND, "lifetime " + life);
    }

    @Test
    void easySideProbingFirstKeepsItsProbesThenSignalsAndSettles() {
        start(Role.EASY);
        assertTrue(signal(SweepFrame.SIGNAL_PROBE_FIRST).quiet(), "waits for its own scout first");
        List<Action> all = new ArrayList<>(hand.atDeadline().actions());
        all.addAll(runUntil(State.MISSED));
        int signalAt = all.indexOf(new Action.Signal(SweepFrame.SIGNAL_PROBES_OUT));
        assertTrue(signalAt > 0);
        assertEquals(PLAN.probes(), connects(all.subList(0, signalAt)).size(), "all probes, then the signal");
        assertTrue(all.subList(0, signalAt).stream().noneMatch(Action.Close.class::isInstance),
                "no probe closes before the hard side's SYNs had their chance");
        assertEquals(new Action.Missed(RelayFrame.Reason.SWEEP_MISSED, PLAN.probes() + 1), all.getLast());
    }

    @Test
    void easySideWinsOnTheFirstProbeThatConnects() {
        start(Role.EASY);
        hand.atDeadline();
        signal(SweepFrame.SIGNAL_BURST_OUT);
        hand.atDeadline();
        ByHand.Outputs<Action> won = result(2, true);
        assertEquals(new Action.Won(2), won.actions().getLast());
        assertTrue(won.actions().contains(new Action.Close(0)));
        assertTrue(hand.deadline().isEmpty());
        assertEquals(3, s.synsStarted(), "the scout and two probes: it stopped at once");
    }

    @Test
    void bothNatsRefusingEndsAtOnceWithTheReason() {
        start(Role.EASY);
        hand.advance(1_000_000);
        assertTrue(result(0, false).quiet(), "a refused scout: the hard NAT refuses");
        ByHand.Outputs<Action> o = signal(SweepFrame.SIGNAL_PROBE_FIRST);
        assertEquals(List.of(new Action.Missed(RelayFrame.Reason.SWEEP_BOTH_REFUSE, 1)), o.actions());
        assertEquals(State.MISSED, s.state());
    }

    @Test
    void abortClosesEverySocket() {
        start(Role.EASY);
        hand.atDeadline();
        signal(SweepFrame.SIGNAL_BURST_OUT);
        hand.atDeadline();
        ByHand.Outputs<Action> o = hand.feed(n -> s.abort());
        assertEquals(Set.of(new Action.Close(0), new Action.Close(1), new Action.Close(2)), new HashSet<>(o.actions()));
        assertEquals(State.ABORTED, s.state());
        assertTrue(hand.deadline().isEmpty());
        assertTrue(signal(SweepFrame.SIGNAL_BURST_OUT).quiet());
    }

    @Test
    void longestCoversTheWholeBudgetAtTheRate() {
        Duration d = BirthdaySweep.longest(new BirthdaySweep.Plan(256, 1024, 500), Duration.ofMillis(20));
        assertTrue(d.compareTo(Duration.ofMillis(2560)) > 0 && d.compareTo(Duration.ofSeconds(5)) < 0, d.toString());
    }
}
