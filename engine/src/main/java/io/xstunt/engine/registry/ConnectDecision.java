package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Protocol;
import java.util.Objects;

/**
 * The registry's answer to a MSG_CONNECT (the protocol's decision 3, docs/PROTOCOL.md).
 *
 * @param verdict what was decided
 * @param source the initiator when {@link Verdict#ACCEPTED}, else null
 * @param destination the listener when {@link Verdict#ACCEPTED}, else null
 * @param sameNatLocalIp the destination's local IPv4 when {@link Verdict#SAME_NAT}, else 0
 * @param reason why it was not accepted, for the log; null when accepted
 */
public record ConnectDecision(Verdict verdict, Peer source, Peer destination, int sameNatLocalIp, String reason) {
    /** The kinds of answer. */
    public enum Verdict {
        /** Both IDLE and reachable: a session may start. */
        ACCEPTED,
        /** Same public IP: the answer is the destination's local IPv4 (ERR_SAME_NAT). */
        SAME_NAT,
        /** Unknown, not IDLE, the source itself, or a source not registered from this address (ERR_MATCH). */
        NO_MATCH,
        /** The request does not prove that it comes from the holder of its source ID (ERR_MATCH). */
        NOT_HOLDER,
        /** An ID named is registered but its LogState has not arrived yet (ask again shortly). */
        REGISTRATION_PENDING
    }

    /** Checks that the parts fit the verdict. */
    public ConnectDecision {
        Objects.requireNonNull(verdict, "verdict");
        if ((verdict == Verdict.ACCEPTED) != (source != null && destination != null)) {
            throw new IllegalArgumentException("source and destination come with ACCEPTED only");
        }
    }

    /** @return an accepted decision */
    public static ConnectDecision accepted(Peer source, Peer destination) {
        return new ConnectDecision(Verdict.ACCEPTED, source, destination, 0, null);
    }

    /** @return a refusal of kind {@code verdict} (not ACCEPTED or SAME_NAT) */
    public static ConnectDecision refused(Verdict verdict, String reason) {
        return new ConnectDecision(verdict, null, null, 0, reason);
    }

    /** @return the INT32 the communication service answers: 0, -1, or the destination's local IP */
    public int reply() {
        return switch (verdict) {
            case ACCEPTED -> Protocol.COMM_ACCEPTED;
            case SAME_NAT -> sameNatLocalIp;
            default -> Protocol.COMM_NO_MATCH;
        };
    }
}
