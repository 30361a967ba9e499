package io.xstunt.engine.registry;

import java.net.InetSocketAddress;

import java.util.Objects;

/**
 * One registered client as a registry stores it, whatever the store: what the rules of
 * {@link OwnershipRules} decide on. The in-memory registry builds one from its record, a shared
 * registry from the store's answer.
 *
 * @param id the ID
 * @param publicIp its public IPv4 as its home server saw it (big-endian int)
 * @param localIp the local IPv4 of its LogState (0 before)
 * @param token its holder token, 0 if none
 * @param state its {@code CSTATE_*}
 * @param stateReported whether its LogState arrived (until then its state reads PROBE)
 * @param holder its log connection (home server, registration number)
 * @param fast its FAST capability as its line said it, {@code "<punch port> <fp>"} (docs/PROTOCOL.md
 *     "FAST"), or null if it sent none
 * @param ipv6 the global IPv6 endpoint its A6 line registered (docs/PROTOCOL.md "IPv6"), or null:
 *     a shared registry carries it so that a peer on another server gets the IPv6 peer record
 */
public record RegisteredClient(String id, int publicIp, int localIp, long token, int state, boolean stateReported,
                               Holder holder, String fast, InetSocketAddress ipv6) {
    /** A client without an IPv6 endpoint. */
    public RegisteredClient(String id, int publicIp, int localIp, long token, int state, boolean stateReported,
                            Holder holder, String fast) {
        this(id, publicIp, localIp, token, state, stateReported, holder, fast, null);
    }

    /** A client without FAST's capability. */
    public RegisteredClient(String id, int publicIp, int localIp, long token, int state, boolean stateReported,
                            Holder holder) {
        this(id, publicIp, localIp, token, state, stateReported, holder, null);
    }

    /** Checks the parts. */
    public RegisteredClient {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(holder, "holder");
    }

    /** @return the client as a MSG_CONNECT decision names it (extended: it holds a token) */
    public Peer peer() {
        return new Peer(id, publicIp, localIp, holder, token != 0, fast, ipv6);
    }
}
