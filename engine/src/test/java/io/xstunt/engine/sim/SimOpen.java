package io.xstunt.engine.sim;

import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * natlab's {@code simopen.py} on the simulator: TCP hole punching between A (h1, behind nat1) and
 * B (h2, behind nat2), each from a fixed local port shared with SO_REUSEADDR and SO_REUSEPORT.
 * Both learn their public address from an echo service on srv; A connects to B's, and once nat2
 * has dropped or rejected that SYN (its inbound counter moved) and the driver has noticed, B
 * connects to A's. In the {@link Variant#SIMULTANEOUS} variant A keeps connecting, from a new
 * socket 100 ms after each error, as the RACE strategy keeps its socket and retries; in
 * {@link Variant#RELISTEN} A closes the SYN's socket and listens on a new one, as XSTUNT 1.0's
 * ORIGINAL strategy does. Whoever connects sends a line; each side records what it gets.
 */
final class SimOpen {
    /** The two variants of simopen.py. */
    enum Variant { SIMULTANEOUS, RELISTEN }

    /** A's local port. */
    static final int A_PORT = 40000;
    /** B's local port. */
    static final int B_PORT = 50000;
    /** Each side's deadline (simopen.py's default). */
    static final Duration DEADLINE = Duration.ofSeconds(8);
    private static final long RETRY_PAUSE_NS = 100_000_000L;

    /**
     * What came of it.
     *
     * @param aSees the remote address of A's connection, or null
     * @param bSees the remote address of B's connection, or null
     * @param aGot what A received
     * @param bGot what B received
     * @param errors both sides' failed attempts, in order
     * @param nat1Invalid packets nat1's conntrack dropped as invalid (natlab's {@code fwd_invalid})
     * @param nat1Inbound unsolicited packets nat1 gave its inbound policy
     * @param elapsed from B's first connect until both had their line (or the deadline)
     */
    record Outcome(InetSocketAddress aSees, InetSocketAddress bSees, String aGot, String bGot, List<String> errors,
                   long nat1Invalid, long nat1Inbound, Duration elapsed) {
        /** @return true if a direct connection came up and carried a line each way */
        boolean direct() {
            return aGot.equals("hello from B") && bGot.equals("hello from A");
        }
    }

    private final NatLab lab;
    private final SimNetwork net;
    private final List<String> errors = new ArrayList<>();

    private SimOpen(NatLab lab) {
        this.lab = lab;
        this.net = lab.net();
    }

    /**
     * Runs one punch on {@code lab}.
     *
     * @param driverLatency how long simopen.py's driver takes to see nat2's counter move and give
     *     its next go (it polls counters with subprocesses: tens of milliseconds)
     */
    static Outcome run(NatLab lab, Variant variant, Duration driverLatency) throws IOException {
        return new SimOpen(lab).punch(variant, driverLatency);
    }

    private Outcome punch(Variant variant, Duration driverLatency) throws IOException {
        EchoService echo = EchoService.reporterOn(lab.srv(), 0, 3478);
        Side a = new Side("A", lab.h1(), A_PORT, observe(lab.h1(), A_PORT, echo));
        Side b = new Side("B", lab.h2(), B_PORT, observe(lab.h2(), B_PORT, echo));
        a.peer = b.observed;
        b.peer = a.observed;
        echo.close();
        long invalidBefore = lab.nat1().invalidDrops();
        long inboundBefore = lab.nat1().inboundTcp();
        long nat2Before = lab.nat2().inboundTcp();
        long deadline = net.nowNs() + DEADLINE.toNanos();

        if (variant == Variant.SIMULTANEOUS) {
            a.connectUntil(deadline);
        } else {
            a.connectOnce();
        }
        net.runUntil("nat2 to answer A's SYN", () -> lab.nat2().inboundTcp() > nat2Before, Duration.ofSeconds(10));
        net.runFor(driverLatency);
        if (variant == Variant.RELISTEN) {
            a.closeAttempt();
            a.listen();
            net.runFor(driverLatency);
        }
        long go = net.nowNs();
        b.connectUntil(deadline);
        net.tryRunUntil(() -> a.got.length() > 0 && b.got.length() > 0, Duration.ofNanos(deadline - net.nowNs()));
        return new Outcome(a.sees(), b.sees(), a.got.toString(), b.got.toString(), List.copyOf(errors),
                lab.nat1().invalidDrops() - invalidBefore, lab.nat1().inboundTcp() - inboundBefore,
                Duration.ofNanos(net.nowNs() - go));
    }

    private InetSocketAddress observe(SimHost host, int port, EchoService echo) throws IOException {
        Recorder r = Recorder.connect(host, SharedPort.spec(null, port), echo.address());
        net.await(host.name() + "'s echo answer", r.closed, Duration.ofSeconds(10));
        return EchoService.parse(r.text());
    }

    /** One side of the punch: its attempts, its listener and the connection that won. */
    private final class Side implements ConnectionListener, AcceptHandler {
        private final String name;
        private final SimHost host;
        private final int port;
        private final InetSocketAddress observed;
        private final StringBuilder got = new StringBuilder();
        private InetSocketAddress peer;
        private Connection attempt;
        private Connection winner;
        private boolean retrying;
        private long deadlineNs;

        Side(String name, SimHost host, int port, InetSocketAddress observed) {
            this.name = name;
            this.host = host;
            this.port = port;
            this.observed = observed;
        }

        InetSocketAddress sees() {
            return winner == null ? null : winner.remoteAddress();
        }

        void connectOnce() {
            retrying = false;
            attempt();
        }

        void connectUntil(long deadline) {
            retrying = true;
            deadlineNs = deadline;
            attempt();
        }

        void closeAttempt() {
            if (attempt != null) {
                errors.add(name + ": SYN socket " + (attempt.isClosed() ? "failed" : "still connecting") + ", closed");
                attempt.closeSilently();
                attempt = null;
            }
        }

        void listen() throws IOException {
            host.network().listen(SharedPort.spec(null, port), 4, this);
        }

        private void attempt() {
            if (winner != null) {
                return;
            }
            try {
                attempt = host.network().connect(SharedPort.spec(null, port), peer, this);
            } catch (IOException e) {
                errors.add(name + ": " + e.getMessage());
                retryLater();
            }
        }

        private void retryLater() {
            long at = net.nowNs() + RETRY_PAUSE_NS;
            if (retrying && at - deadlineNs < 0) {
                host.network().scheduleAt(at, this::attempt);
            }
        }

        private void won(Connection c) {
            winner = c;
            c.send(ByteBuffer.wrap(("hello from " + name).getBytes(StandardCharsets.US_ASCII)));
        }

        @Override
        public void onAccept(Acceptor acceptor, Incoming incoming) {
            if (winner != null) {
                incoming.refuse();
                return;
            }
            try {
                won(incoming.adopt(this, 4096, 1 << 16, SocketSpec.DEFAULTS));
            } catch (IOException e) {
                errors.add(name + ": accept: " + e.getMessage());
            }
            acceptor.close();
        }

        @Override
        public void onConnected(Connection c) {
            if (winner == null) {
                won(c);
            } else {
                c.close();
            }
        }

        @Override
        public void onRead(Connection c, ByteBuffer in) {
            if (c == winner) {
                got.append(StandardCharsets.US_ASCII.decode(in));
            }
            in.position(in.limit());
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
            if (c == attempt && c != winner) {
                attempt = null;
                errors.add(name + ": " + (cause == null ? "closed" : cause.getMessage()));
                retryLater();
            }
        }
    }
}
