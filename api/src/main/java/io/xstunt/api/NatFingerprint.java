package io.xstunt.api;

import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;

/**
 * The NAT's TCP mapping behaviour as XInit probed it (XSTUNT 1.0's {@code g_Fingerprint}, kept in
 * the fingerprint file): whether the NAT keeps a connection's local port, and how its public port
 * moves from one connection to the next.
 *
 * @param portPreserving whether the NAT keeps the local port as the public port
 * @param increment the public port's increment between two connections: 0 for a cone NAT, N for
 *     a delta-N symmetric NAT; meaningless for a random one ({@link #random()})
 * @param random whether the NAT picks a random port for every connection (prediction cannot work)
 * @param publicAddress the public IPv4 the probe saw
 * @param description XGenFingerprint's text, e.g. {@code TCP PORT-PRESERVING CONE}
 */
public record NatFingerprint(boolean portPreserving, int increment, boolean random, Inet4Address publicAddress,
                             String description) {
    /** @return true if the NAT maps every connection from one local port to one public port */
    public boolean cone() {
        return !random && increment == 0;
    }

    static NatFingerprint of(Fingerprint f) {
        return new NatFingerprint(f.portPreserving(), f.increment(), f.isRandom(), Ipv4.toAddress(f.publicIp()),
                f.describe());
    }
}
