package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;

/**
 * The rules a registry decides registration, MSG_CONNECT and MSG_DEREGISTER by (the protocol's
 * decisions 3 to 6 and "Authentication and ownership", docs/PROTOCOL.md), as pure functions of the
 * records involved: one source of them for the in-memory registry and any shared one.
 */
public final class OwnershipRules {
    private OwnershipRules() {
    }

    /**
     * A registration's claim of an ID that {@code old} holds (null: free): a PROBE registration of
     * the same ID from the same public IP is replaced; any other holder makes it a duplicate.
     *
     * @param registered how many IDs the store counts against {@code maxClients}
     */
    public static ClaimOutcome claim(RegisteredClient old, int publicIp, int registered, int maxClients) {
        if (old != null) {
            return old.state() != Protocol.CSTATE_PROBE || old.publicIp() != publicIp
                    ? ClaimOutcome.DUPLICATE : ClaimOutcome.REPLACED;
        }
        return registered >= maxClients ? ClaimOutcome.FULL : ClaimOutcome.ACCEPTED;
    }

    /**
     * Whether a comm request from {@code sourceIp} carrying {@code token} (0: none) comes from the
     * holder of {@code r}: the source IP must be the holder's public IP; a token, when either side
     * has one, must be present and equal; in strict mode a request without a token is never the
     * holder's.
     *
     * @return null if it is the holder, else why not
     */
    public static String notHolder(RegisteredClient r, int sourceIp, long token, boolean requireTokens) {
        if (r.publicIp() != sourceIp) {
            return r.id() + " is registered from " + Ipv4.toString(r.publicIp()) + ", not " + Ipv4.toString(sourceIp);
        }
        if (token != 0 || r.token() != 0) {
            return token == r.token() ? null : (token == 0 ? "no holder token (" + r.id() + " holds one)"
                    : "wrong holder token for " + r.id());
        }
        return requireTokens ? "no holder token (required by this server)" : null;
    }

    /**
     * MSG_CONNECT {@code srcId} to {@code dstId} from {@code sourceIp} with {@code token}.
     *
     * @param src the source's record, null if not registered
     * @param dst the destination's record, null if not registered
     */
    public static ConnectDecision connect(RegisteredClient src, RegisteredClient dst, String srcId, String dstId,
                                          int sourceIp, long token, boolean requireTokens) {
        if (src == null) {
            return noMatch("source " + srcId + " is not registered");
        }
        if (src.publicIp() != sourceIp) {
            return noMatch("source " + srcId + " is registered from " + Ipv4.toString(src.publicIp()) + ", not "
                    + Ipv4.toString(sourceIp));
        }
        String notHolder = notHolder(src, sourceIp, token, requireTokens);
        if (notHolder != null) {
            return ConnectDecision.refused(ConnectDecision.Verdict.NOT_HOLDER, "source: " + notHolder);
        }
        if (!src.stateReported()) {
            return pending("source " + srcId);
        }
        if (src.state() != Protocol.CSTATE_IDLE) {
            return noMatch("source " + srcId + " is not IDLE (state " + src.state() + ")");
        }
        if (srcId.equals(dstId)) {
            return noMatch("destination is the source itself");
        }
        if (dst == null) {
            return noMatch("destination " + dstId + " is not registered");
        }
        if (!dst.stateReported()) {
            return pending("destination " + dstId);
        }
        if (dst.state() != Protocol.CSTATE_IDLE) {
            return noMatch("destination " + dstId + " is not IDLE (state " + dst.state() + ")");
        }
        if (dst.publicIp() == src.publicIp()) {
            // 0 would read as "accepted" and -1 as "no match": such a local IP cannot be told apart.
            if (dst.localIp() == Protocol.COMM_ACCEPTED || dst.localIp() == Protocol.COMM_NO_MATCH) {
                return noMatch("same public IP, but destination's local IP " + Ipv4.toString(dst.localIp())
                        + " cannot be sent");
            }
            return new ConnectDecision(ConnectDecision.Verdict.SAME_NAT, null, null, dst.localIp(),
                    "same public IP " + Ipv4.toString(src.publicIp()));
        }
        return ConnectDecision.accepted(src.peer(), dst.peer());
    }

    private static ConnectDecision noMatch(String reason) {
        return ConnectDecision.refused(ConnectDecision.Verdict.NO_MATCH, reason);
    }

    private static ConnectDecision pending(String who) {
        return ConnectDecision.refused(ConnectDecision.Verdict.REGISTRATION_PENDING, who
                + " has not sent its registration state yet");
    }
}
