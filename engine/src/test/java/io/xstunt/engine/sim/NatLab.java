package io.xstunt.engine.sim;

import java.time.Duration;

/**
 * natlab's topology on a {@link SimNetwork}, with {@code lab.sh up}'s options, so that a NAT
 * matrix test reads like natlab's {@code NatLabTest}:
 *
 * <pre>
 *   internet 198.51.100.0/24 + 203.0.113.0/24
 *     srv  198.51.100.10, 198.51.100.11   [delaySrv]
 *     pub  198.51.100.20                  [delayPub]
 *     nat1 203.0.113.1 [nat1, inbound1, delay1, loss1] - LAN 10.0.1.0/24: h1 10.0.1.10, h3 10.0.1.11
 *     nat2 203.0.113.2 [nat2, inbound2, delay2, loss2] - LAN 10.0.2.0/24: h2 10.0.2.10
 * </pre>
 *
 * As in natlab, an option without a router number sets both routers, later options override
 * earlier ones, and public nodes have no default route (private addresses are unreachable from
 * them).
 */
public final class NatLab {
    /** The server's first address. */
    public static final String SRV_IP1 = "198.51.100.10";
    /** The server's second address. */
    public static final String SRV_IP2 = "198.51.100.11";
    /** The public host's address. */
    public static final String PUB_IP = "198.51.100.20";
    /** nat1's public address. */
    public static final String NAT1_IP = "203.0.113.1";
    /** nat2's public address. */
    public static final String NAT2_IP = "203.0.113.2";
    /** h1, behind nat1. */
    public static final String H1_IP = "10.0.1.10";
    /** h3, behind nat1 with h1 (the same-NAT case). */
    public static final String H3_IP = "10.0.1.11";
    /** h2, behind nat2. */
    public static final String H2_IP = "10.0.2.10";

    private final SimNetwork net;
    private final SimHost srv;
    private final SimHost pub;
    private final NatRouter nat1;
    private final NatRouter nat2;
    private final SimHost h1;
    private final SimHost h2;
    private final SimHost h3;
    private final String options;

    private NatLab(Builder b) {
        net = new SimNetwork(b.seed);
        Bridge internet = net.bridge("internet", "198.51.100.0/24", "203.0.113.0/24");
        srv = net.host("srv", internet, Link.of(b.delaySrv), SRV_IP1, SRV_IP2);
        pub = net.host("pub", internet, Link.of(b.delayPub), PUB_IP);
        nat1 = net.nat("nat1", b.nat1, internet, Link.of(b.delay1, b.loss1), NAT1_IP, "10.0.1.0/24");
        nat2 = net.nat("nat2", b.nat2, internet, Link.of(b.delay2, b.loss2), NAT2_IP, "10.0.2.0/24");
        h1 = nat1.host("h1", H1_IP);
        h3 = nat1.host("h3", H3_IP);
        h2 = nat2.host("h2", H2_IP);
        options = b.options();
    }

    /** @return a builder with natlab's defaults: preserve, drop, no delay, no loss, strict conntrack, seed 1 */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the simulation, to run */
    public SimNetwork net() {
        return net;
    }

    /** @return the STUNT server's host, 198.51.100.10 and .11 */
    public SimHost srv() {
        return srv;
    }

    /** @return the public host without NAT, 198.51.100.20 */
    public SimHost pub() {
        return pub;
    }

    /** @return the first NAT router, 203.0.113.1 */
    public NatRouter nat1() {
        return nat1;
    }

    /** @return the second NAT router, 203.0.113.2 */
    public NatRouter nat2() {
        return nat2;
    }

    /** @return the host behind nat1, 10.0.1.10 */
    public SimHost h1() {
        return h1;
    }

    /** @return the host behind nat2, 10.0.2.10 */
    public SimHost h2() {
        return h2;
    }

    /** @return the second host behind nat1, 10.0.1.11 */
    public SimHost h3() {
        return h3;
    }

    /** @return the {@code lab.sh up} options this lab mirrors, e.g. {@code --nat1 preserve --nat2 preserve --inbound1 drop ...} */
    public String options() {
        return options;
    }

    @Override
    public String toString() {
        return "NatLab[" + options + "]";
    }

    /** {@code lab.sh up}'s options. */
    public static final class Builder {
        private long seed = 1;
        private NatConfig nat1 = NatConfig.DEFAULT;
        private NatConfig nat2 = NatConfig.DEFAULT;
        private Duration delay1 = Duration.ZERO;
        private Duration delay2 = Duration.ZERO;
        private Duration delaySrv = Duration.ZERO;
        private Duration delayPub = Duration.ZERO;
        private double loss1;
        private double loss2;

        private Builder() {
        }

        /** Seeds every random choice of the simulation. */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** {@code --nat MODE}: both routers. */
        public Builder nat(NatMapping m) {
            return nat1(m).nat2(m);
        }

        /** {@code --nat1 MODE}. */
        public Builder nat1(NatMapping m) {
            nat1 = nat1.withMapping(m);
            return this;
        }

        /** {@code --nat2 MODE}. */
        public Builder nat2(NatMapping m) {
            nat2 = nat2.withMapping(m);
            return this;
        }

        /** {@code --inbound POLICY}: both routers. */
        public Builder inbound(InboundPolicy p) {
            return inbound1(p).inbound2(p);
        }

        /** {@code --inbound1 POLICY}. */
        public Builder inbound1(InboundPolicy p) {
            nat1 = nat1.withInbound(p);
            return this;
        }

        /** {@code --inbound2 POLICY}. */
        public Builder inbound2(InboundPolicy p) {
            nat2 = nat2.withInbound(p);
            return this;
        }

        /** {@code --offset-range LO-HI}: both routers. */
        public Builder offsetRange(int low, int high) {
            nat1 = nat1.withOffsetRange(low, high);
            nat2 = nat2.withOffsetRange(low, high);
            return this;
        }

        /** {@code --seq-step N}: the port step of {@link NatMapping#SEQUENTIAL}, both routers. */
        public Builder seqStep(int step) {
            nat1 = nat1.withSeqStep(step);
            nat2 = nat2.withSeqStep(step);
            return this;
        }

        /** {@code --liberal}: nf_conntrack_tcp_be_liberal=1 on both routers. */
        public Builder liberal() {
            nat1 = nat1.withLiberal(true);
            nat2 = nat2.withLiberal(true);
            return this;
        }

        /** {@code --delay MS}: one-way delay on both routers' public links, each direction. */
        public Builder delay(Duration d) {
            return delay1(d).delay2(d);
        }

        /** {@code --delay1 MS}. */
        public Builder delay1(Duration d) {
            delay1 = d;
            return this;
        }

        /** {@code --delay2 MS}. */
        public Builder delay2(Duration d) {
            delay2 = d;
            return this;
        }

        /** {@code --delay-srv MS}: the server's link. */
        public Builder delaySrv(Duration d) {
            delaySrv = d;
            return this;
        }

        /** {@code --delay-pub MS}: the public host's link. */
        public Builder delayPub(Duration d) {
            delayPub = d;
            return this;
        }

        /** {@code --loss PCT}: random loss (0-100 %) on both routers' public links, each direction. */
        public Builder loss(double percent) {
            return loss1(percent).loss2(percent);
        }

        /** {@code --loss1 PCT}. */
        public Builder loss1(double percent) {
            loss1 = percent;
            return this;
        }

        /** {@code --loss2 PCT}. */
        public Builder loss2(double percent) {
            loss2 = percent;
            return this;
        }

        /** @return the lab */
        public NatLab build() {
            return new NatLab(this);
        }

        private String options() {
            StringBuilder o = new StringBuilder();
            o.append("--nat1 ").append(nat1.mapping().label()).append(" --nat2 ").append(nat2.mapping().label())
                    .append(" --inbound1 ").append(nat1.inbound().label())
                    .append(" --inbound2 ").append(nat2.inbound().label());
            if (nat1.usesRange() || nat2.usesRange()) {
                o.append(" --offset-range ").append(nat1.offsetLow()).append('-').append(nat1.offsetHigh());
            }
            if (nat1.mapping() == NatMapping.SEQUENTIAL || nat2.mapping() == NatMapping.SEQUENTIAL) {
                o.append(" --seq-step ").append(nat1.seqStep());
            }
            appendDelay(o, "--delay1", delay1);
            appendDelay(o, "--delay2", delay2);
            appendDelay(o, "--delay-srv", delaySrv);
            appendDelay(o, "--delay-pub", delayPub);
            appendLoss(o, "--loss1", loss1);
            appendLoss(o, "--loss2", loss2);
            if (nat1.liberal()) {
                o.append(" --liberal");
            }
            return o.toString();
        }

        private static void appendDelay(StringBuilder o, String flag, Duration d) {
            if (!d.isZero()) {
                o.append(' ').append(flag).append(' ').append(d.toNanos() / 1e6);
            }
        }

        private static void appendLoss(StringBuilder o, String flag, double percent) {
            if (percent > 0) {
                o.append(' ').append(flag).append(' ').append(percent);
            }
        }
    }
}
