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
 * random port of the range.
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

    private static boolean free(Conntrack conntrack, Endpoint remote, int publicIp, int port) {
        return !conntrack.replyTaken(new Flow(remote, new Endpoint(publicIp, port)));
    }
}
