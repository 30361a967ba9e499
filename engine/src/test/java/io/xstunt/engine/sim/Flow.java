package io.xstunt.engine.sim;

/**
 * One direction of a TCP connection's addressing: a socket's (local, remote) pair, or a conntrack
 * tuple (source, destination).
 *
 * @param src the source (a socket's local end)
 * @param dst the destination (a socket's remote end)
 */
record Flow(Endpoint src, Endpoint dst) {
    /** @return the other direction */
    Flow reverse() {
        return new Flow(dst, src);
    }

    @Override
    public String toString() {
        return src + " > " + dst;
    }
}
