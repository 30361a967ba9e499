package io.xstunt.api;

/**
 * How the direct TCP connection is attempted once both sides know each other's predicted public
 * address ({@link XstuntOptions.Builder#punchStrategy}).
 */
public enum PunchStrategy {
    /**
     * Ours, the default, between two xstunt peers on a server that offers it: the negotiated
     * three-unit handshake (docs/PROTOCOL.md "FAST"). The connect request travels on the open log
     * connection, the server answers both peers with the other's predicted address and a start
     * offset, and both SYNs leave together: about 3 round trips to the server. With an original
     * server or peer, when the server declines it, or when its punch finds nothing, the same call
     * goes on with {@link #RACE} (then the relay) within its timeout.
     */
    FAST(io.xstunt.engine.client.PunchStrategy.FAST),
    /**
     * Ours, the fallback of {@link #FAST} (and what it runs with original peers): the same bytes on the wire as XSTUNT 1.0, pipelined, and a punch that
     * keeps the socket that sent the first SYN open so that the two SYNs meet (TCP simultaneous
     * open), raced against a listening socket on the same port; works through NATs that track TCP
     * sequence numbers, in about 8 round trips to the server.
     */
    RACE(io.xstunt.engine.client.PunchStrategy.RACE),
    /**
     * XSTUNT 1.0's sequence exactly: XTryConnect sends a SYN, waits up to one second for it to
     * fail, closes that socket and listens on a new one. Kept for comparison.
     */
    ORIGINAL(io.xstunt.engine.client.PunchStrategy.ORIGINAL);

    private final io.xstunt.engine.client.PunchStrategy engine;

    PunchStrategy(io.xstunt.engine.client.PunchStrategy engine) {
        this.engine = engine;
    }

    io.xstunt.engine.client.PunchStrategy engine() {
        return engine;
    }
}
