package io.xstunt.engine.server;

import io.xstunt.engine.nat.PunchGrid;
import io.xstunt.engine.wire.FastGo;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The server's decision on a FAST request (docs/PROTOCOL.md "FAST"): whether the pair
 * can skip RACE's control channel, and if so where each client sends its SYN and when. Pure: the
 * registrations' facts in, a decision out.
 *
 * <p>Both clients must speak FAST and be port-preserving (then each one's public port for its
 * punch port is that port, on the public IP of its log connection: the prediction needs no
 * echo query), behind distinct public IPs (the same IP is the hairpin case, which keeps the
 * original sequence), and the server must hold a round-trip sample of each. The go reaches the
 * initiator {@code r_i} after its request left and the listener {@code (r_i + r_l) / 2} after it;
 * the nearer of the two waits half the difference, so that both SYNs leave together.
 */
public final class FastPlan {
    private FastPlan() {
    }

    /**
     * What the server knows of one client of the pair.
     *
     * @param publicIp its public IP (its log connection's source)
     * @param punchPort the local port it punches from, as it told the server
     * @param fast it said it speaks FAST
     * @param portPreserving its fingerprint says its NAT keeps the local port (or it has no NAT)
     * @param rttNs the round trip of its log connection (the least of its recent samples), 0 if none yet
     */
    public record Client(Inet4Address publicIp, int punchPort, boolean fast, boolean portPreserving, long rttNs) {
    }

    /** The decision. */
    public sealed interface Decision {
    }

    /**
     * FAST: what each client is told.
     *
     * @param toInitiator where the initiator sends its SYN, after which wait, on which grid
     * @param toListener the same for the listener
     */
    public record Go(Target toInitiator, Target toListener) implements Decision {
    }

    /**
     * One client's part of a go.
     *
     * @param peer the peer's predicted public address
     * @param startOffsetNs how long it waits after reading the go
     * @param retryPeriodNs the punch grid's period, the same for both
     */
    public record Target(InetSocketAddress peer, long startOffsetNs, long retryPeriodNs) {
    }

    /** A normal session (announcements, control channel, RACE), and why. */
    public record Normal(Reason reason) implements Decision {
    }

    /** Why a request gets a normal session. */
    public enum Reason {
        /** One of the two does not speak FAST. */
        NOT_FAST,
        /** One of the two NATs does not keep the local port: its public port is not known in advance. */
        NOT_PORT_PRESERVING,
        /** Both behind one public IP: the hairpin case keeps the original sequence. */
        SAME_PUBLIC_IP,
        /** No round trip measured yet for one of them: no start offset. */
        NO_RTT_SAMPLE,
        /** The two round trips differ by more than a go can carry. */
        OFFSET_TOO_LARGE,
        /**
         * Both registered an IPv6 endpoint: the normal session races an IPv6 simultaneous open
         * against the IPv4 punch (Happy Eyeballs), which FAST's go does not carry.
         */
        BOTH_IPV6
    }

    /** @return the decision for {@code initiator}'s request to connect to {@code listener} */
    public static Decision decide(Client initiator, Client listener) {
        if (!initiator.fast() || !listener.fast()) {
            return new Normal(Reason.NOT_FAST);
        }
        if (!initiator.portPreserving() || !listener.portPreserving()) {
            return new Normal(Reason.NOT_PORT_PRESERVING);
        }
        if (initiator.publicIp().equals(listener.publicIp())) {
            return new Normal(Reason.SAME_PUBLIC_IP);
        }
        if (initiator.rttNs() <= 0 || listener.rttNs() <= 0) {
            return new Normal(Reason.NO_RTT_SAMPLE);
        }
        long difference = initiator.rttNs() - listener.rttNs();
        long wait = Math.abs(difference) / 2;
        if (wait > FastGo.MAX_TIME_NS) {
            return new Normal(Reason.OFFSET_TOO_LARGE);
        }
        // the round trip through the server that RACE's grid is built on: initiator - server - listener and back
        long period = PunchGrid.retryPeriodNs(initiator.rttNs() + listener.rttNs());
        return new Go(
                new Target(new InetSocketAddress(listener.publicIp(), listener.punchPort()),
                        difference < 0 ? wait : 0, period),
                new Target(new InetSocketAddress(initiator.publicIp(), initiator.punchPort()),
                        difference > 0 ? wait : 0, period));
    }
}
