package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.ProcedureDriver;
import io.xstunt.engine.wire.RelayFrame;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The I/O of a {@link BirthdaySweep}: its sockets (the easy side's share the predicted port with
 * SO_REUSEPORT, the hard side's take fresh ports), its signals through the rendezvous's control
 * channel, and the winner handed to the rendezvous. Every socket but the winner is closed on every
 * exit. Network thread only.
 */
final class BirthdaySweepRun {
    /** What the rendezvous hears from the sweep; each on the network's thread. */
    interface Events {
        /** Send SIGNAL({@code code}) to the peer. */
        void signal(int code);

        /** The sweep has started {@code syns} SYNs so far (the relay's reason counts them). */
        void syns(int syns);

        /** {@code connection} is the direct connection, owned by the receiver. */
        void won(Connection connection);

        /** The sweep missed; every socket is closed. */
        void missed(RelayFrame.Reason reason, int probes);
    }

    private final Network network;
    private final InetAddress localAddress;
    private final BirthdaySweep sweep;
    private final ProcedureDriver<BirthdaySweep.Action> driver;
    private final Events events;
    private final Map<Integer, Connection> sockets = new HashMap<>();

    private BirthdaySweepRun(Network network, InetAddress localAddress, BirthdaySweep sweep, Events events) {
        this.network = network;
        this.localAddress = localAddress;
        this.sweep = sweep;
        this.events = events;
        this.driver = new ProcedureDriver<>(network, sweep, this::carryOut);
    }

    /** Starts the sweep that {@code s} asks for. */
    static BirthdaySweepRun start(Network network, InetAddress localAddress, RendezvousProcedure.Action.Sweep s,
                                  Events events) {
        BirthdaySweep sweep = new BirthdaySweep(s.role(), s.plan(), s.localPort(), s.peer(), s.rtt(),
                network.random());
        BirthdaySweepRun run = new BirthdaySweepRun(network, localAddress, sweep, events);
        run.driver.feed(sweep::start);
        return run;
    }

    /** The peer's SIGNAL. */
    void signal(int code) {
        driver.feed(now -> sweep.handleSignal(code, now));
    }

    /** Stops the sweep and closes every socket. */
    void abort() {
        driver.feed(now -> sweep.abort());
    }

    /** @return the SYNs started so far */
    int syns() {
        return sweep.synsStarted();
    }

    private void carryOut(BirthdaySweep.Action a) {
        switch (a) {
            case BirthdaySweep.Action.Connect c -> {
                connect(c.socket(), c.localPort(), c.remote());
                events.syns(sweep.synsStarted());
            }
            case BirthdaySweep.Action.Close c -> {
                Connection t = sockets.remove(c.socket());
                if (t != null) {
                    t.closeSilently();
                }
            }
            case BirthdaySweep.Action.Signal s -> events.signal(s.code());
            case BirthdaySweep.Action.Won w -> events.won(sockets.remove(w.socket()));
            case BirthdaySweep.Action.Missed m -> events.missed(m.reason(), m.probes());
        }
    }

    private void connect(int n, int localPort, InetSocketAddress remote) {
        SocketSpec spec = localPort == 0 ? SocketSpec.service(localAddress)
                : SocketSpec.shared(localAddress, localPort, true);
        try {
            Connection t = network.connect(spec, remote, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    if (c.isClosed()) {
                        return;
                    }
                    sockets.putIfAbsent(n, c);
                    driver.feed(now -> sweep.handleConnectResult(n, true, null, now));
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    // never reached: the winner is handed over in onConnected, before any read
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    if (sockets.remove(n, c)) {
                        String why = cause == null ? "closed" : cause.toString();
                        driver.feed(now -> sweep.handleConnectResult(n, false, why, now));
                    }
                }
            });
            if (!t.isClosed()) {
                sockets.putIfAbsent(n, t);
            }
        } catch (IOException | RuntimeException e) {
            driver.feed(now -> sweep.handleConnectResult(n, false, e.toString(), now));
        }
    }
}
