package io.xstunt.engine.nat;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * XAnalyzeNature: derives the NAT's TCP mapping behaviour from the public addresses that the
 * echo services saw for successive connections from one local port. Pure: no I/O, no clock.
 *
 * <p>Two rule sets ({@link Rules}): the client uses {@link Rules#XSTUNT_1_0}, the original's
 * tolerance, which reads a mapping disturbed by other connections through the NAT during the
 * probe (a sequential NAT hands their ports out between ours) as the NAT it is;
 * {@link Rules#UNANIMOUS} is what this client did before and stays for the NAT lab's comparison.
 *
 * <p>Differences are taken on the circle of ports 1..65535 (see {@link PortPrediction}) and
 * reported in -32767..32767, so a NAT that wraps its port range still has a stable delta. The
 * original takes them modulo 65536 (its increment is 0..65535, added modulo 65536 by XPredict):
 * the same prediction everywhere but across the top of the port range, where it counts port 0.
 */
public final class NatAnalysis {
    private NatAnalysis() {
    }

    /** How the observations of one probe run are read. */
    public enum Rules {
        /**
         * XSTUNT 1.0's XAnalyzeNature: port-preserving when at least two probes kept the local
         * port; the increment is the difference between successive public ports that occurs at
         * least twice (the most common one), RANDOM when every difference occurs once; public IPs
         * that disagree are logged, never a failure (the original then keeps the server's view of
         * the client's IP, as {@code XProbe} does).
         */
        XSTUNT_1_0,
        /**
         * This client's rules before it read the original (issue 11): port-preserving iff the
         * first probe kept the local port; an increment only if every difference agrees, else
         * RANDOM; public IPs that disagree fail the probe (ERR_PROBE). One connection of another
         * host through a sequential NAT between two probes makes it RANDOM.
         */
        UNANIMOUS
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
     * One probe run: XCheckConeTCP's local port and what each echo query saw, in probe order.
     *
     * @param localPort the local port every query connected from
     * @param observations the public addresses, in probe order
     */
    public record ProbeRun(int localPort, List<Observation> observations) {
        /** Copies the list. */
        public ProbeRun {
            observations = List.copyOf(observations);
        }

        /**
         * @param rules the rule set
         * @return this run read by {@code rules}
         * @throws Failure as {@link NatAnalysis#analyze(List, int, Rules)}
         */
        public Nature analyze(Rules rules) throws Failure {
            return NatAnalysis.analyze(observations, localPort, rules);
        }
    }

    /**
     * The NAT's behaviour.
     *
     * @param publicIp the public IPv4 most probes saw (the first probe's on a tie)
     * @param increment 0 (cone), N (delta-N symmetric) or {@link Protocol#RANDOM_INCREMENT}
     * @param portPreserving whether the NAT kept the local port
     * @param publicIpsAgree whether every probe saw {@code publicIp}
     */
    public record Nature(int publicIp, int increment, boolean portPreserving, boolean publicIpsAgree) {
        /** A behaviour whose probes agreed on the public IP. */
        public Nature(int publicIp, int increment, boolean portPreserving) {
            this(publicIp, increment, portPreserving, true);
        }

        /** @return the fingerprint record (XGenFingerprint's input) for this behaviour, marked done */
        public Fingerprint toFingerprint(int clientVersion, int serverVersion, String id) {
            return toFingerprint(clientVersion, serverVersion, id, publicIp);
        }

        /**
         * @param globalIp the public IP to record (XProbe records the server's view, {@code g_nClientIP})
         * @return the fingerprint record for this behaviour with {@code globalIp}, marked done
         */
        public Fingerprint toFingerprint(int clientVersion, int serverVersion, String id, int globalIp) {
            return new Fingerprint(clientVersion, serverVersion, id, true, globalIp, increment, portPreserving);
        }
    }

    /** {@link #analyze(List, int, Rules)} with the client's rules, {@link Rules#XSTUNT_1_0}. */
    public static Nature analyze(List<Observation> observations, int localPort) throws Failure {
        return analyze(observations, localPort, Rules.XSTUNT_1_0);
    }

    /**
     * Analyses the observations of one probe run, in probe order.
     *
     * @param observations at least two, in the order the probes were made
     * @param localPort the local port every probe connected from
     * @param rules the rule set
     * @return the NAT's behaviour
     * @throws Failure ERR_PROBE if fewer than two observations or a zero address or port (an echo
     *     that cannot be a NAT's answer); with {@link Rules#UNANIMOUS} also for public IPs that
     *     disagree
     */
    public static Nature analyze(List<Observation> observations, int localPort, Rules rules) throws Failure {
        Objects.requireNonNull(observations, "observations");
        Objects.requireNonNull(rules, "rules");
        if (observations.size() < 2) {
            throw new Failure(ErrorStat.ERR_PROBE, 0,
                    "need at least two echo observations, got " + observations.size());
        }
        for (Observation o : observations) {
            if (o.publicIp() == 0 || o.publicPort() < 1 || o.publicPort() > 65535) {
                throw new Failure(ErrorStat.ERR_PROBE, 0, "echo reported an invalid address " + o);
            }
        }
        int publicIp = mostCommon(observations.stream().map(Observation::publicIp).toList()).value();
        boolean ipsAgree = observations.stream().allMatch(o -> o.publicIp() == publicIp);
        List<Integer> deltas = new ArrayList<>();
        for (int i = 1; i < observations.size(); i++) {
            deltas.add(PortPrediction.delta(observations.get(i - 1).publicPort(), observations.get(i).publicPort()));
        }
        return switch (rules) {
            case XSTUNT_1_0 -> {
                long kept = observations.stream().filter(o -> o.publicPort() == localPort).count();
                Count<Integer> delta = mostCommon(deltas);
                yield new Nature(publicIp, delta.times() >= 2 ? delta.value() : Protocol.RANDOM_INCREMENT, kept >= 2,
                        ipsAgree);
            }
            case UNANIMOUS -> {
                if (!ipsAgree) {
                    throw new Failure(ErrorStat.ERR_PROBE, 0, "echo services disagree on the public IP: "
                            + observations);
                }
                boolean same = deltas.stream().allMatch(d -> d.equals(deltas.get(0)));
                yield new Nature(publicIp, same ? deltas.get(0) : Protocol.RANDOM_INCREMENT,
                        observations.get(0).publicPort() == localPort, true);
            }
        };
    }

    private record Count<T>(T value, int times) {
    }

    /**
     * The most frequent value; on a tie the one seen first. (XAnalyzeNature keeps the last of
     * tied values, but with four probes two values occurring at least twice each cannot happen
     * among three differences, and a tie of single values is RANDOM either way.)
     */
    private static <T> Count<T> mostCommon(List<T> values) {
        Map<T, Integer> counts = new LinkedHashMap<>();
        for (T v : values) {
            counts.merge(v, 1, Integer::sum);
        }
        Count<T> best = null;
        for (Map.Entry<T, Integer> e : counts.entrySet()) {
            if (best == null || e.getValue() > best.times()) {
                best = new Count<>(e.getKey(), e.getValue());
            }
        }
        return best;
    }
}
