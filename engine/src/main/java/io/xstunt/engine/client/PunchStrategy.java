package io.xstunt.engine.client;

/** How the direct TCP connection is attempted once both sides have predicted their addresses. */
public enum PunchStrategy {
    /**
     * Ours: the initiator keeps the socket that sent the first SYN open, so that the two SYNs can
     * meet (TCP simultaneous open), and races it against a listening socket on the same local
     * port; the first to complete wins. Works through NATs that track TCP sequence numbers.
     * Same wire sequence as the original.
     */
    RACE,
    /**
     * XSTUNT 1.0's sequence: XTryConnect sends a SYN and waits up to 1000 ms for it to fail,
     * closes that socket and listens on a new one. Kept for comparison (the NAT lab).
     */
    ORIGINAL
}
