package io.xstunt.engine.client;

/**
 * How the direct TCP connection is attempted once both sides have predicted their addresses, and
 * with which timing the rendezvous before it runs (see {@link RendezvousProcedure}).
 */
public enum PunchStrategy {
    /**
     * Ours: the initiator keeps the socket that sent the first SYN open, so that the two SYNs can
     * meet (TCP simultaneous open), and races it against a listening socket on the same local
     * port; the first to complete wins. Works through NATs that track TCP sequence numbers.
     * Same wire sequence as the original, pipelined: the prediction runs alongside the control
     * connect and the sync, and each side writes its frames as soon as the original order allows.
     */
    RACE,
    /**
     * XSTUNT 1.0's sequence: XTryConnect sends a SYN and waits up to 1000 ms for it to fail,
     * closes that socket and listens on a new one; the rendezvous before it keeps the original's
     * sequential timing (sync, half a round trip's pause, then prediction). Kept for comparison
     * (the NAT lab, the benchmarks).
     */
    ORIGINAL,
    /**
     * The negotiated three-unit handshake between our peers (docs/PROTOCOL.md "FAST"): the request
     * on the open log connection, the server's go with both predicted addresses and a start
     * offset, both SYNs out together on a shared grid. Used only with a server that offers it
     * and between two clients that both speak it; otherwise, and when its punch finds nothing, the
     * call goes on with {@link #RACE} (then the relay) within the same timeout.
     */
    FAST;

    /** @return true if the rendezvous runs with the pipelined timing */
    boolean pipelined() {
        return this != ORIGINAL;
    }
}
