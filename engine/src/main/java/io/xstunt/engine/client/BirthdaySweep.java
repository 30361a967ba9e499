package io.xstunt.engine.client;

import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.RelayFrame;
import io.xstunt.engine.wire.SweepFrame;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The TCP birthday sweep (docs/PROTOCOL.md, "Birthday sweep") between a peer behind a NAT that
 * picks a random public port for every connection (the <b>hard</b> side) and a peer behind a
 * predictable one (the <b>easy</b> side), as a sans-IO state machine over abstract sockets, like
 * {@link PunchRace}: it runs where the punch would, and ends in {@link Action.Won} (that socket is
 * the connection, every other one is closed) or {@link Action.Missed} (the rendezvous asks for
 * the relay with that reason).
 *
 * <p>The hard side opens {@link Plan#sockets} sockets to the easy side's predicted address; each
 * SYN makes a mapping at an unknown random port of the hard NAT. The easy side, from its one
 * predicted local port (sockets sharing it with SO_REUSEPORT), sends up to {@link Plan#probes}
 * SYNs to distinct random ports of the hard side's public address. A probe that meets a mapping
 * crosses the hard NAT into a socket in SYN_SENT: a simultaneous open. With 256 mappings among
 * 64,512 ports, 1,024 probes meet one with a probability of about 98 %.
 *
 * <p>The order, because a NAT that answers an unsolicited SYN (RST, or an ICMP error) kills the
 * socket that sent it: first each side sends one <b>scout</b> SYN to the other (the hard side to
 * the easy side's predicted port, the easy side to a random port of the hard side) and waits
 * {@link #scoutWaitNs}; a scout refused in that time says that the other NAT refuses.
 * <ul>
 * <li>The easy NAT does not refuse (the hard side's scout is silent): the hard side opens its
 *     sockets (paced), then signals {@link SweepFrame#SIGNAL_BURST_OUT}; the easy side probes on
 *     that signal, paced, each probe closed after {@link #probeLifetimeNs} (before the kernel's
 *     first SYN retransmission), and stops at the first connection.</li>
 * <li>The easy NAT refuses: the hard side signals {@link SweepFrame#SIGNAL_PROBE_FIRST}; the
 *     easy side sends all its probes and keeps them open (the hard NAT drops them, and each leaves a
 *     conntrack entry on the easy NAT that lets the matching hard SYN in), signals
 *     {@link SweepFrame#SIGNAL_PROBES_OUT}, and the hard side opens its sockets then.</li>
 * <li>Both refuse (the easy side's scout was refused too and the hard side says probe first): no
 *     sweep can meet; {@link Action.Missed} with {@link RelayFrame.Reason#SWEEP_BOTH_REFUSE} at once.</li>
 * </ul>
 *
 * <p>Every socket is a number: 0 the scout, 1.. the sockets or probes, in the order they are
 * opened. The rate bounds the SYNs each side starts ({@link Plan#synsPerSecond}); the kernel's own
 * retransmissions of a SYN are not counted. Only the peer's announced address is ever a target.
 */
public final class BirthdaySweep extends Procedure<BirthdaySweep.Action> {
    /** First port a probe aims at (a NAT's random ports lie in 1024-65535). */
    public static final int FIRST_PORT = 1024;
    /** Last port a probe aims at. */
    public static final int LAST_PORT = 65535;
    /** The least time a scout is given to be refused. */
    static final Duration MIN_SCOUT_WAIT = Duration.ofMillis(100);
    /** The most time a scout is given to be refused. */
    static final Duration MAX_SCOUT_WAIT = Duration.ofSeconds(1);
    /** The least lifetime of a probe (hard side first). */
    static final Duration MIN_PROBE_LIFETIME = Duration.ofMillis(300);
    /** The most: under the kernel's first SYN retransmission (1 s), so a probe is never sent twice. */
    static final Duration MAX_PROBE_LIFETIME = Duration.ofMillis(900);
    /** What the easy side waits after its last probe beyond the round trips it needs. */
    static final Duration SETTLE_MARGIN = Duration.ofMillis(300);

    /** Which side of the sweep this is. */
    public enum Role {
        /** Behind the random NAT: opens the sockets whose mappings the probes look for. */
        HARD,
        /** Behind the predictable NAT: probes random ports of the hard side from its predicted port. */
        EASY
    }

    /** The machine's states. */
    public enum State {
        /** Not started. */
        IDLE,
        /** The scout is out; waiting to see whether it is refused. */
        SCOUTING,
        /** Hard side: opening the sockets, paced. */
        BURSTING,
        /** Easy side: sending probes, paced. */
        PROBING,
        /** Waiting for the peer's signal or for a connection. */
        WAITING,
        /** A connection won. */
        WON,
        /** The sweep missed (or cannot meet). */
        MISSED,
        /** Stopped from outside. */
        ABORTED
    }

    /**
     * The budget both sides agreed (the smaller of their offers, field by field).
     *
     * @param sockets the hard side's sockets
     * @param probes the easy side's probes at most
     * @param synsPerSecond the most SYNs a second that either side starts
     */
    public record Plan(int sockets, int probes, int synsPerSecond) {
        /** Checks that each is at least 1. */
        public Plan {
            if (sockets < 1 || probes < 1 || synsPerSecond < 1) {
                throw new IllegalArgumentException("sweep plan needs at least one socket, probe and SYN a second: "
                        + sockets + "/" + probes + "/" + synsPerSecond);
            }
        }
    }

    /** What the I/O must do. */
    public sealed interface Action {
        /**
         * Open socket {@code socket}: bound to {@code localPort} with SO_REUSEADDR and SO_REUSEPORT
         * (0: a fresh port), connecting to {@code remote}; report {@link #handleConnectResult}.
         */
        record Connect(int socket, int localPort, InetSocketAddress remote) implements Action {
        }

        /** Close socket {@code socket} if it is open. */
        record Close(int socket) implements Action {
        }

        /** Send SIGNAL({@code code}) to the peer on the control channel. */
        record Signal(int code) implements Action {
        }

        /** Socket {@code socket} is the connection: hand it over (every other one is closed). */
        record Won(int socket) implements Action {
        }

        /**
         * The sweep found nothing (every socket is closed).
         *
         * @param reason {@link RelayFrame.Reason#SWEEP_MISSED} or {@link RelayFrame.Reason#SWEEP_BOTH_REFUSE}
         * @param probes the probes sent (easy side) or sockets opened (hard side)
         */
        record Missed(RelayFrame.Reason reason, int probes) implements Action {
        }
    }

    private final Role role;
    private final Plan plan;
    private final int localPort;
    private final InetSocketAddress peer;
    private final long rttNs;
    private final RandomGenerator random;
    private final long scoutWaitNs;
    private final long probeLifetimeNs;
    /** Open sockets by number, with when each is to close (Long.MAX_VALUE: kept to the end). */
    private final Map<Integer, Long> open = new LinkedHashMap<>();
    /** Sockets in the order they must close (a probe's lifetime). */
    private final ArrayDeque<Integer> expiring = new ArrayDeque<>();
    private final Set<Integer> probedPorts = new HashSet<>();
    private State state = State.IDLE;
    private long scoutEndNs;
    private boolean scoutDone;
    /** What the scout found: the other NAT refuses unsolicited SYNs. */
    private boolean peerRefuses;
    /** Easy side: the hard side asked us to probe first. */
    private boolean probeFirst;
    /** Easy side probing first: probes live until the sweep ends. */
    private boolean keepOpen;
    private long paceOriginNs;
    /** SYNs started in the current paced run (sockets or probes), without the scout. */
    private int paced;
    private int paceTotal;
    private long settleEndNs;
    private int nextSocket = 1;

    /**
     * @param role this side's role
     * @param plan the agreed budget
     * @param localPort easy side: the predicted local port every probe binds; hard side: unused
     * @param peer hard side: the easy side's predicted public address; easy side: the hard side's
     *     public address (its port is not used)
     * @param rtt the round trip through the server as the rendezvous measured it
     * @param random where the probes' ports come from
     */
    public BirthdaySweep(Role role, Plan plan, int localPort, InetSocketAddress peer, Duration rtt,
                         RandomGenerator random) {
        super(0);
        this.role = role;
        this.plan = plan;
        this.localPort = localPort;
        this.peer = peer;
        this.rttNs = Math.max(0, rtt.toNanos());
        this.random = random;
        this.scoutWaitNs = scoutWaitNs(rtt);
        this.probeLifetimeNs = clamp(2 * rttNs + MIN_SCOUT_WAIT.toNanos(), MIN_PROBE_LIFETIME, MAX_PROBE_LIFETIME);
    }

    /**
     * @return the role this side takes, or null when no sweep runs: both must offer to sweep, and
     *     exactly one NAT must be random
     */
    public static Role roleOf(SweepFrame.Offer own, SweepFrame.Offer peer) {
        if (own == null || peer == null || !own.sweeps() || !peer.sweeps() || own.randomNat() == peer.randomNat()) {
            return null;
        }
        return own.randomNat() ? Role.HARD : Role.EASY;
    }

    /** @return the plan both sides derive from their offers (or null when one of them has a zero field) */
    public static Plan planOf(SweepFrame.Offer a, SweepFrame.Offer b) {
        int sockets = Math.min(a.sockets(), b.sockets());
        int probes = Math.min(a.probes(), b.probes());
        int rate = Math.min(a.synsPerSecond(), b.synsPerSecond());
        return sockets < 1 || probes < 1 || rate < 1 ? null : new Plan(sockets, probes, rate);
    }

    /** @return how long a scout is given to be refused: one and a half round trips, within bounds */
    static long scoutWaitNs(Duration rtt) {
        return clamp(rtt.toNanos() + rtt.toNanos() / 2, MIN_SCOUT_WAIT, MAX_SCOUT_WAIT);
    }

    /**
     * @return how long a whole sweep with {@code plan} may take at most: the scout, both sides' paced
     *     SYNs, the signals through the server and the last answers; both sides compute the same
     */
    public static Duration longest(Plan plan, Duration rtt) {
        long pace = (plan.sockets() + plan.probes()) * 1_000_000_000L / plan.synsPerSecond();
        return Duration.ofNanos(scoutWaitNs(rtt) + pace + 4 * Math.max(0, rtt.toNanos()) + MAX_PROBE_LIFETIME.toNanos()
                + SETTLE_MARGIN.toNanos());
    }

    private static long clamp(long ns, Duration low, Duration high) {
        return Math.min(Math.max(ns, low.toNanos()), high.toNanos());
    }

    /** @return the current state */
    public State state() {
        return state;
    }

    /** @return this side's role */
    public Role role() {
        return role;
    }

    /** @return the SYNs this side started so far (the scout, then sockets or probes) */
    public int synsStarted() {
        return nextSocket - 1 + (state == State.IDLE ? 0 : 1);
    }

    /** @return the sockets open now */
    public int openSockets() {
        return open.size();
    }

    /** Starts: the scout goes out. */
    public void start(long nowNs) {
        if (state != State.IDLE) {
            return;
        }
        state = State.SCOUTING;
        scoutEndNs = nowNs + scoutWaitNs;
        if (role == Role.HARD) {
            openSocket(0, 0, peer, Long.MAX_VALUE);
        } else {
            openSocket(0, localPort, new InetSocketAddress(peer.getAddress(), randomPort()), Long.MAX_VALUE);
        }
        schedule();
    }

    /**
     * A socket's connect finished.
     *
     * @param connected true if it is established, false if it failed (refused, unreachable, closed)
     * @param failure why it failed (null when connected)
     */
    public void handleConnectResult(int socket, boolean connected, String failure, long nowNs) {
        if (open.remove(socket) == null) {
            if (connected) {
                emit(new Action.Close(socket)); // closed by us meanwhile: a late connection is not kept
            }
            return;
        }
        if (terminal()) {
            return;
        }
        if (connected) {
            if (socket == 0 && role == Role.HARD && state == State.SCOUTING) {
                // something accepts on the easy side's port: not the peer, which never listens there
                emit(new Action.Close(0));
                scoutSilent(nowNs);
                return;
            }
            win(socket);
            return;
        }
        if (socket == 0 && !scoutDone && nowNs - scoutEndNs < 0) {
            scoutDone = true;
            peerRefuses = true;
            afterScout(nowNs);
            schedule();
            return;
        }
        if (role == Role.EASY) {
            maybeMissed(nowNs);
        }
        schedule();
    }

    /** The peer's SIGNAL (a code of {@link SweepFrame}; one that is not for this role is ignored). */
    public void handleSignal(int code, long nowNs) {
        if (terminal() || paceTotal != 0) {
            return; // this side's paced run has begun: no signal changes it
        }
        if (role == Role.HARD) {
            if (code == SweepFrame.SIGNAL_PROBES_OUT && state == State.WAITING && peerRefuses) {
                startPaced(nowNs, false);
            }
        } else if (code == SweepFrame.SIGNAL_BURST_OUT) {
            startPaced(nowNs, false);
        } else if (code == SweepFrame.SIGNAL_PROBE_FIRST) {
            probeFirst = true;
            if (scoutDone) {
                afterScout(nowNs);
            }
        }
        schedule();
    }

    private void afterScout(long nowNs) {
        if (role == Role.HARD) {
            if (peerRefuses) {
                state = State.WAITING;
                emit(new Action.Signal(SweepFrame.SIGNAL_PROBE_FIRST));
            } else {
                startPaced(nowNs, false);
            }
            return;
        }
        if (!probeFirst) {
            return; // the hard side leads: wait for its signal (or probe already, on BURST_OUT)
        }
        if (peerRefuses) {
            missed(RelayFrame.Reason.SWEEP_BOTH_REFUSE);
        } else if (paceTotal == 0) {
            startPaced(nowNs, true);
        }
    }

    private void scoutSilent(long nowNs) {
        scoutDone = true;
        if (state == State.SCOUTING) {
            state = State.WAITING;
        }
        afterScout(nowNs);
    }

    private void startPaced(long nowNs, boolean keepOpen) {
        state = role == Role.HARD ? State.BURSTING : State.PROBING;
        paceOriginNs = nowNs;
        paced = 0;
        paceTotal = role == Role.HARD ? plan.sockets() : plan.probes();
        this.keepOpen = keepOpen;
        sendDue(nowNs);
    }

    private void sendDue(long nowNs) {
        long due = Math.min(paceTotal, (nowNs - paceOriginNs) * plan.synsPerSecond() / 1_000_000_000L + 1);
        while (paced < due) {
            paced++;
            int n = nextSocket++;
            if (role == Role.HARD) {
                openSocket(n, 0, peer, Long.MAX_VALUE);
            } else {
                openSocket(n, localPort, new InetSocketAddress(peer.getAddress(), randomPort()),
                        keepOpen ? Long.MAX_VALUE : nowNs + probeLifetimeNs);
            }
        }
        if (paced == paceTotal) {
            pacedDone(nowNs);
        }
    }

    private void pacedDone(long nowNs) {
        state = State.WAITING;
        if (role == Role.HARD) {
            if (!peerRefuses) {
                emit(new Action.Signal(SweepFrame.SIGNAL_BURST_OUT));
            }
            return; // then waits for a connection until the rendezvous gives up
        }
        if (probeFirst) {
            emit(new Action.Signal(SweepFrame.SIGNAL_PROBES_OUT));
            // the signal's trip through the server, the hard side's paced sockets, their answers
            settleEndNs = nowNs + rttNs + plan.sockets() * 1_000_000_000L / plan.synsPerSecond() + 2 * rttNs
                    + probeLifetimeNs + SETTLE_MARGIN.toNanos();
        } else {
            settleEndNs = nowNs + probeLifetimeNs; // the last probe's answer, if any, comes within its lifetime
        }
    }

    private void openSocket(int n, int port, InetSocketAddress remote, long closeAtNs) {
        open.put(n, closeAtNs);
        if (closeAtNs != Long.MAX_VALUE) {
            expiring.add(n);
        }
        emit(new Action.Connect(n, port, remote));
    }

    /** @return a port of the hard side that no probe of this sweep aimed at yet */
    private int randomPort() {
        int span = LAST_PORT - FIRST_PORT + 1;
        while (true) {
            int p = FIRST_PORT + random.nextInt(span);
            if (probedPorts.add(p)) {
                return p;
            }
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (!expired(nowNs) || terminal()) {
            return;
        }
        clearDeadline();
        if (state == State.SCOUTING && !scoutDone && nowNs - scoutEndNs >= 0) {
            scoutSilent(nowNs);
        }
        if (terminal()) {
            return;
        }
        expire(nowNs);
        if ((state == State.BURSTING || state == State.PROBING) && paced < paceTotal) {
            sendDue(nowNs);
        }
        if (role == Role.EASY) {
            maybeMissed(nowNs);
        }
        schedule();
    }

    /** Closes the probes whose lifetime is over. */
    private void expire(long nowNs) {
        while (!expiring.isEmpty()) {
            int n = expiring.peek();
            Long at = open.get(n);
            if (at == null) {
                expiring.poll();
                continue;
            }
            if (nowNs - at < 0) {
                break;
            }
            expiring.poll();
            open.remove(n);
            emit(new Action.Close(n));
        }
    }

    /** Easy side: all probes are out and their time is over. */
    private void maybeMissed(long nowNs) {
        if (state != State.WAITING || paceTotal == 0 || paced < paceTotal) {
            return;
        }
        boolean over = probeFirst ? nowNs - settleEndNs >= 0 : open.isEmpty() || nowNs - settleEndNs >= 0;
        if (over) {
            missed(RelayFrame.Reason.SWEEP_MISSED);
        }
    }

    private void schedule() {
        if (terminal()) {
            clearDeadline();
            return;
        }
        long next = Long.MAX_VALUE;
        boolean any = false;
        if (state == State.SCOUTING && !scoutDone) {
            next = scoutEndNs;
            any = true;
        }
        if ((state == State.BURSTING || state == State.PROBING) && paced < paceTotal) {
            long at = paceOriginNs + paced * 1_000_000_000L / plan.synsPerSecond();
            next = any ? earlier(next, at) : at;
            any = true;
        }
        for (int e : expiring) {
            Long at = open.get(e);
            if (at != null) {
                next = any ? earlier(next, at) : at;
                any = true;
                break;
            }
        }
        if (role == Role.EASY && state == State.WAITING && paceTotal > 0) {
            next = any ? earlier(next, settleEndNs) : settleEndNs;
            any = true;
        }
        if (any) {
            deadline(next);
        } else {
            clearDeadline();
        }
    }

    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }

    private boolean terminal() {
        return state == State.WON || state == State.MISSED || state == State.ABORTED;
    }

    private void win(int socket) {
        state = State.WON;
        closeAll();
        emit(new Action.Won(socket));
    }

    private void missed(RelayFrame.Reason reason) {
        state = State.MISSED;
        closeAll();
        emit(new Action.Missed(reason, synsStarted()));
    }

    /** Closes every socket of the sweep (the rendezvous gave up or failed). */
    public void abort() {
        if (terminal()) {
            return;
        }
        state = State.ABORTED;
        closeAll();
    }

    private void closeAll() {
        clearDeadline();
        for (int n : open.keySet()) {
            emit(new Action.Close(n));
        }
        open.clear();
        expiring.clear();
    }
}
