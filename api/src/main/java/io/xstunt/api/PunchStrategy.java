package io.xstunt.api;

/**
 * How the direct TCP connection is attempted once both sides know each other's predicted public
 * address ({@link XstuntOptions.Builder#punchStrategy}).
 */
public enum PunchStrategy {
    /**
     * Ours, the default: the same bytes on the wire as XSTUNT 1.0, pipelined, and a punch that
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
