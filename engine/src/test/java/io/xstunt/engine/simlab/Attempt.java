package io.xstunt.engine.simlab;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatRouter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What one rendezvous attempt on the simulated lab came to, on both sides and at the server:
 * natlab's {@code Attempt} (its peers' JSON events and the server's session event) plus what only
 * a simulation knows exactly (the handshake in virtual time, the NATs' counters during the
 * attempt, the trace's last lines). {@link #describe()} is the failure message of a matrix row.
 *
 * @param options the lab's {@code lab.sh up} options
 * @param strategy the punch strategy both sides used
 * @param listener the XListen side ({@code l<n>})
 * @param connector the XConnect side ({@code c<n>})
 * @param handshake XConnect's duration in virtual time, from the call to its outcome
 * @param session the server's summary of the session, or null (none was opened, or it is not over)
 * @param nat1 what nat1 counted during the attempt
 * @param nat2 what nat2 counted during the attempt
 * @param echoed the payload's round trip over the direct connection, or null (none came up)
 * @param trace the simulation's last lines when the outcome was known
 */
record Attempt(String options, PunchStrategy strategy, Side listener, Side connector, Duration handshake,
               SessionSummary session, NatCounts nat1, NatCounts nat2, StuntLab.Echoed echoed, String trace) {

    /**
     * One side's outcome.
     *
     * @param id its client ID
     * @param fingerprint its NAT fingerprint as XGenFingerprint prints it
     * @param connection its direct connection, or null
     * @param local that connection's local address, or null
     * @param error why its procedure failed, or null (also when nothing came, for a listener)
     */
    record Side(String id, String fingerprint, Rendezvous connection, InetSocketAddress local, Throwable error) {
        /** @return its error code, or null */
        ErrorStat code() {
            return error instanceof Failure f ? f.code() : null;
        }

        /** @return the address its direct connection goes to (the peer's public one, if direct) */
        InetSocketAddress remote() {
            return connection == null ? null : connection.peerAddress();
        }

        @Override
        public String toString() {
            return id + ": " + (connection != null ? local + " -> " + connection.peerAddress() + " " + connection.phases()
                    : error != null ? error.getMessage() : "no outcome");
        }
    }

    /**
     * A NAT's counters during the attempt.
     *
     * @param invalid packets dropped as conntrack-invalid (natlab's {@code fwd_invalid})
     * @param unsolicited unsolicited inbound SYNs that got the inbound policy ({@code inbound_tcp})
     */
    record NatCounts(long invalid, long unsolicited) {
        @Override
        public String toString() {
            return invalid + " invalid, " + unsolicited + " unsolicited";
        }
    }

    /** @return true if both sides hold a connection (whether it is direct is for the caller to check) */
    boolean connected() {
        return connector.connection != null && listener.connection != null;
    }

    /** @return the control bytes the server relayed in this session, both ways; -1 without a session */
    long relayed() {
        return session == null ? -1 : session.bytesFromInitiator() + session.bytesFromListener();
    }

    /** Releases both direct channels (the CLI's echo ends, the connector exits). */
    void closeChannels() {
        for (Side s : new Side[] {listener, connector}) {
            if (s.connection != null) {
                s.connection.closeQuietly();
            }
        }
    }

    /** @return the handshake in units of {@code rtt}, e.g. 8.0 */
    double roundTrips(Duration rtt) {
        return (double) handshake.toNanos() / rtt.toNanos();
    }

    /** @return one line for the report: "direct (203.0.113.1:p / 203.0.113.2:q), relayed 44 B" or the failure */
    String outcome() {
        if (connected()) {
            return "direct (" + address(connector.remote()) + " / " + address(listener.remote()) + "), relayed "
                    + relayed() + " B";
        }
        return "failed: " + connector.code() + " / listener " + (listener.code() == null ? "-" : listener.code())
                + (nat2.invalid > 0 ? ", nat2 dropped " + nat2.invalid + " invalid" : "")
                + (nat1.invalid > 0 ? ", nat1 dropped " + nat1.invalid + " invalid" : "");
    }

    /** @return everything known about the attempt, for a failure message */
    String describe() {
        return String.format(Locale.ROOT, """
                attempt %s -> %s, %s, lab %s
                  fingerprints: listener %s, connector %s
                  connector %s, after %s
                  listener  %s
                  session:   %s
                  nat1: %s; nat2: %s
                  payload:   %s
                  last events:
                %s""", connector.id, listener.id, strategy, options, listener.fingerprint, connector.fingerprint,
                connector, handshake, listener, session, nat1, nat2,
                echoed == null ? "-" : echoed.complete() ? "came back" : echoed, trace);
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** Collects an attempt's facts as they come. */
    static final class Builder {
        private final NatLab lab;
        private final PunchStrategy strategy;
        private final StuntClient listener;
        private final StuntClient connector;
        private final long[] before;
        private NatCounts nat1;
        private NatCounts nat2;
        private Rendezvous connected;
        private Throwable connectorError;
        private Rendezvous incoming;
        private Throwable listenerError;
        private Duration handshake;
        private SessionSummary session;
        private StuntLab.Echoed echoed;

        /** Notes the NATs' counters now: the attempt's are what they count from here. */
        Builder(NatLab lab, PunchStrategy strategy, StuntClient listener, StuntClient connector) {
            this.lab = lab;
            this.strategy = strategy;
            this.listener = listener;
            this.connector = connector;
            this.before = counters();
        }

        /** Takes the connector's outcome: its completed XConnect. */
        void connector(CompletableFuture<Rendezvous> call) {
            connected = value(call);
            connectorError = failure(call);
        }

        /** Takes the listener's outcome: its incoming connection or failure, if one came. */
        void listener(CompletableFuture<Rendezvous> incoming) {
            this.incoming = value(incoming);
            listenerError = failure(incoming);
        }

        void handshake(Duration d) {
            handshake = d;
        }

        void session(SessionSummary s) {
            session = s;
        }

        void echoed(StuntLab.Echoed e) {
            echoed = e;
        }

        /** @return the connector's direct connection, or null */
        Rendezvous connected() {
            return connected;
        }

        /** @return the listener's direct connection, or null */
        Rendezvous incoming() {
            return incoming;
        }

        /** Takes the NATs' counts since the builder was made. */
        void countersNow() {
            long[] now = counters();
            nat1 = new NatCounts(now[0] - before[0], now[1] - before[1]);
            nat2 = new NatCounts(now[2] - before[2], now[3] - before[3]);
        }

        private long[] counters() {
            NatRouter n1 = lab.nat1();
            NatRouter n2 = lab.nat2();
            return new long[] {n1.invalidDrops(), n1.inboundTcp(), n2.invalidDrops(), n2.inboundTcp()};
        }

        Attempt build() {
            return new Attempt(lab.options(), strategy,
                    new Side(listener.id(), listener.fingerprint().describe(), incoming, local(incoming), listenerError),
                    new Side(connector.id(), connector.fingerprint().describe(), connected, local(connected),
                            connectorError),
                    handshake, session, nat1, nat2, echoed, lab.net().trace().tail());
        }

        private static Rendezvous value(CompletableFuture<Rendezvous> f) {
            return f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
        }

        private static Throwable failure(CompletableFuture<Rendezvous> f) {
            if (!f.isCompletedExceptionally()) {
                return null;
            }
            try {
                f.join();
                return null;
            } catch (CompletionException | CancellationException e) {
                return e.getCause() != null ? e.getCause() : e;
            }
        }

        private static InetSocketAddress local(Rendezvous r) {
            if (r == null) {
                return null;
            }
            try {
                return (InetSocketAddress) r.socketChannel().getLocalAddress();
            } catch (IOException e) {
                throw new AssertionError("a direct channel without a local address: " + r, e);
            }
        }
    }
}
