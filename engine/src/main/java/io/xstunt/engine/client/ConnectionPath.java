package io.xstunt.engine.client;

/** How a connection to a peer runs. */
public enum ConnectionPath {
    /** A direct TCP connection through both NATs (the punch won). */
    DIRECT,
    /** Relayed by the STUNT server (relay extension): the pair could not punch. */
    RELAYED,
    /** Inside one LAN (both behind the same NAT: ERR_SAME_NAT and a connection to the peer's local address). */
    LAN
}
