package io.xstunt.api;

/** How a connection to a peer runs ({@link XstuntConnection#path()}). */
public enum ConnectionPath {
    /** A direct TCP connection through both NATs: the punch won. */
    DIRECT,
    /**
     * Relayed by the STUNT server (an xstunt extension): the pair could not punch, for the reason
     * {@link XstuntConnection#relayReason()} gives; its limits and end are the server's.
     */
    RELAYED,
    /** Inside one LAN: both peers behind the same NAT ({@link ErrorCode#ERR_SAME_NAT}), connected to the peer's local address. */
    LAN;

    static ConnectionPath of(io.xstunt.engine.client.ConnectionPath p) {
        return switch (p) {
            case DIRECT -> DIRECT;
            case RELAYED -> RELAYED;
            case LAN -> LAN;
        };
    }
}
