package io.xstunt.api;

import io.xstunt.engine.nat.NatAnalysis;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * What XInit's NAT probe saw (XCheckConeTCP / XCheckConeTCPProbe): the local port every echo
 * query connected from, and the public address each of the four echo endpoints (IP1:P1, IP1:P2,
 * IP2:P1, IP2:P2) reported, in probe order. XAnalyzeNature reads these into the
 * {@link NatFingerprint}; they are here to see why it says what it says.
 *
 * @param localPort the local port of every query
 * @param publicAddresses the public address each query was seen from, in probe order
 */
public record NatProbe(int localPort, List<InetSocketAddress> publicAddresses) {
    /** Copies the list. */
    public NatProbe {
        publicAddresses = List.copyOf(publicAddresses);
    }

    static NatProbe of(NatAnalysis.ProbeRun run) {
        return new NatProbe(run.localPort(), run.observations().stream()
                .map(o -> new InetSocketAddress(Ipv4.toAddress(o.publicIp()), o.publicPort())).toList());
    }
}
