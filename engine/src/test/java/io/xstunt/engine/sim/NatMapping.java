package io.xstunt.engine.sim;

/** How a NAT picks the public port of a new connection: natlab's {@code --natN} modes. */
public enum NatMapping {
    /**
     * {@code masquerade}: the local port, if the public tuple is free (Linux keeps the source port
     * when the resulting connection is unique), else a random port 1024-65535. Port-preserving cone.
     */
    PRESERVE,
    /** {@code masquerade fully-random}: a random port 1024-65535 for every connection, even from the same local port. */
    RANDOM,
    /**
     * {@code snat to PUB:LO-HI}: a local port already in the range is kept if free; otherwise the
     * mapping of the same local address and port, if a conntrack entry still holds one, else a
     * random port of the range. Not port-preserving, but endpoint-independent (cone), as natlab's
     * "What offset really does" found.
     */
    OFFSET,
    /**
     * {@code snat to PUB : numgen inc mod N map { 0 : LO, 1 : LO+STEP, ... }} over the offset
     * range: the i-th new connection through the router, from any LAN host to anywhere, gets port
     * LO + (i mod N)·STEP ({@code --seq-step}), even from the same local port. A delta-STEP
     * symmetric NAT, whose sequence every other connection through it advances: the disturbed
     * mapping of issue 11. If that port is taken towards the same remote, the SYN is dropped (a
     * one-port range leaves Linux no other choice).
     */
    SEQUENTIAL;

    /** @return natlab's name of the mode */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
