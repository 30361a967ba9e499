package io.xstunt.engine.sim;

import java.util.random.RandomGenerator;

/**
 * Linux's choice of a new connection's public address (nf_nat's get_unique_tuple), for one public
 * IP. A public port is usable when no conntrack entry already has the resulting reply tuple
 * (remote to public port): uniqueness is per remote endpoint, so one public port serves a local
 * port's connections to many destinations. In order, unless the mode is {@link NatMapping#RANDOM}:
 * a local port that lies in the range is kept; else the mapping an existing entry gives the same
 * local address and port (find_appropriate_src), if it lies in the range; for
 * {@link NatMapping#PRESERVE}, whose range does not restrict ports, the local port itself. Last, a
 * random port of the range. {@link NatMapping#SEQUENTIAL} is {@link #sequential}: the rule's
 * counter decides alone.
 */
final class PortMapping {
    /** Random ports tried before giving up (Linux tries at most 128). */
    private static final int ATTEMPTS = 128;

    private PortMapping() {
    }

    /** @return the public endpoint for {@code original}, or null if no port is free */
    static Endpoint choose(NatConfig config, int publicIp, Flow original, Conntrack conntrack, RandomGenerator random) {
        Endpoint remote = original.dst();
        int localPort = original.src().port();
        int low = config.mapping() == NatMapping.OFFSET ? config.offsetLow() : 1024;
        int high = config.mapping() == NatMapping.OFFSET ? config.offsetHigh() : 65535;
        if (config.mapping() != NatMapping.RANDOM) {
            if (config.mapping() == NatMapping.OFFSET && localPort >= low && localPort <= high) {
                if (free(conntrack, remote, publicIp, localPort)) {
                    return new Endpoint(publicIp, localPort);
                }
            } else {
                Endpoint known = conntrack.mappingOf(original.src());
                if (known != null && known.port() >= low && known.port() <= high
                        && free(conntrack, remote, publicIp, known.port())) {
                    return known;
                }
            }
            if (config.mapping() == NatMapping.PRESERVE && free(conntrack, remote, publicIp, localPort)) {
                return new Endpoint(publicIp, localPort);
            }
        }
        for (int i = 0; i < ATTEMPTS; i++) {
            int port = low + random.nextInt(high - low + 1);
            if (free(conntrack, remote, publicIp, port)) {
                return new Endpoint(publicIp, port);
            }
        }
        return null;
    }

    /**
     * natlab's {@code numgen inc mod N map {...}}: the {@code sequence}-th new connection's port,
     * LO + (sequence mod N)·STEP over the offset range; a one-port range, so a port taken towards
     * the same remote leaves no choice (null: the SYN is dropped).
     */
    static Endpoint sequential(NatConfig config, int publicIp, Flow original, Conntrack conntrack, long sequence) {
        int slots = (config.offsetHigh() - config.offsetLow()) / config.seqStep() + 1;
        int port = config.offsetLow() + (int) (sequence % slots) * config.seqStep();
        return free(conntrack, original.dst(), publicIp, port) ? new Endpoint(publicIp, port) : null;
    }

    private static boolean free(Conntrack conntrack, Endpoint remote, int publicIp, int port) {
        return !conntrack.replyTaken(new Flow(remote, new Endpoint(publicIp, port)));
    }
}
