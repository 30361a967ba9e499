package io.xstunt.engine.registry;

import java.net.InetSocketAddress;

/**
 * A registered client as a MSG_CONNECT decision names it.
 *
 * @param id its ID
 * @param publicIp its public IPv4 as its server saw it (big-endian int)
 * @param localIp the local IPv4 it reported in LogState
 * @param holder its log connection
 * @param extended whether it asked for the xstunt extensions at registration (it holds a token):
 *     only then may it be relayed
 * @param fast its FAST capability ({@link RegisteredClient#fast()}), or null
 * @param ipv6 its registered global IPv6 endpoint ({@link RegisteredClient#ipv6()}), or null
 */
public record Peer(String id, int publicIp, int localIp, Holder holder, boolean extended, String fast,
                   InetSocketAddress ipv6) {
    /** A client without an IPv6 endpoint. */
    public Peer(String id, int publicIp, int localIp, Holder holder, boolean extended, String fast) {
        this(id, publicIp, localIp, holder, extended, fast, null);
    }

    /** A client without FAST's capability. */
    public Peer(String id, int publicIp, int localIp, Holder holder, boolean extended) {
        this(id, publicIp, localIp, holder, extended, null);
    }

    /** A client that did not ask for the extensions. */
    public Peer(String id, int publicIp, int localIp, Holder holder) {
        this(id, publicIp, localIp, holder, false);
    }
}
