package io.xstunt.engine.nat;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.List;
import java.util.Objects;

/**
 * XAnalyzeNature: derives the NAT's TCP mapping behaviour from the public addresses that the
 * echo services saw for successive connections from one local port. Pure: no I/O, no clock.
 *
 * <ul>
 *   <li>every probe must report the same public IP, otherwise the probe failed (ERR_PROBE);</li>
 *   <li>port-preserving iff the first public port equals the local port;</li>
 *   <li>the increment is the difference between successive public ports: 0 for a CONE NAT, a
 *       stable N for DELTA-N-SYMMETRIC, and {@link Protocol#RANDOM_INCREMENT} when the
 *       differences disagree (RANDOM-SYMMETRIC).</li>
 * </ul>
 * Differences are taken on the circle of ports 1..65535 (see {@link PortPrediction}) and
 * reported in -32767..32767, so a NAT that wraps its port range still has a stable delta.
 */
public final class NatAnalysis {
    private NatAnalysis() {
    }

    /**
     * What one echo probe saw (XCheckConeTCPProbe's {@code punResAddr}/{@code puwResPort}).
     *
     * @param publicIp the public IPv4 (big-endian int)
     * @param publicPort the public port
     */
    public record Observation(int publicIp, int publicPort) {
        @Override
        public String toString() {
            return Ipv4.toString(publicIp) + ":" + publicPort;
        }
    }

    /**
     * The NAT's behaviour.
     *
     * @param publicIp the public IPv4 all probes agreed on
     * @param increment 0 (cone), N (delta-N symmetric) or {@link Protocol#RANDOM_INCREMENT}
     * @param portPreserving whether the NAT kept the local port
     */
    public record Nature(int publicIp, int increment, boolean portPreserving) {
        /** @return the fingerprint record (XGenFingerprint's input) for this behaviour, marked done */
        public Fingerprint toFingerprint(int clientVersion, int serverVersion, String id) {
            return new Fingerprint(clientVersion, serverVersion, id, true, publicIp, increment, portPreserving);
        }
    }

    /**
     * Analyses the observations of one probe run, in probe order.
     *
     * @param observations at least two, in the order the probes were made
     * @param localPort the local port every probe connected from
     * @return the NAT's behaviour
     * @throws Failure ERR_PROBE if fewer than two observations, a zero address or port,
     *     or public IPs that disagree
     */
    public static Nature analyze(List<Observation> observations, int localPort) throws Failure {
        Objects.requireNonNull(observations, "observations");
        if (observations.size() < 2) {
            throw new Failure(ErrorStat.ERR_PROBE, 0,
                    "need at least two echo observations, got " + observations.size());
        }
        Observation first = observations.get(0);
        for (Observation o : observations) {
            if (o.publicIp() == 0 || o.publicPort() < 1 || o.publicPort() > 65535) {
                throw new Failure(ErrorStat.ERR_PROBE, 0, "echo reported an invalid address " + o);
            }
            if (o.publicIp() != first.publicIp()) {
                throw new Failure(ErrorStat.ERR_PROBE, 0, "echo services disagree on the public IP: "
                        + observations);
            }
        }
        int increment = PortPrediction.delta(first.publicPort(), observations.get(1).publicPort());
        for (int i = 2; i < observations.size(); i++) {
            int d = PortPrediction.delta(observations.get(i - 1).publicPort(), observations.get(i).publicPort());
            if (d != increment) {
                increment = Protocol.RANDOM_INCREMENT;
                break;
            }
        }
        return new Nature(first.publicIp(), increment, first.publicPort() == localPort);
    }
}
