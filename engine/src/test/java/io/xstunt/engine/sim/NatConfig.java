package io.xstunt.engine.sim;

/**
 * A NAT router's behaviour, as natlab's {@code lab.sh up} sets it per router.
 *
 * @param mapping how public ports are picked ({@code --natN})
 * @param inbound the answer to unsolicited inbound packets ({@code --inboundN})
 * @param liberal conntrack ignores TCP sequence numbers ({@code --liberal}: nf_conntrack_tcp_be_liberal=1)
 * @param offsetLow first port of the {@link NatMapping#OFFSET} range ({@code --offset-range})
 * @param offsetHigh last port of that range
 * @param seqStep the step of {@link NatMapping#SEQUENTIAL} between two connections ({@code --seq-step})
 */
public record NatConfig(NatMapping mapping, InboundPolicy inbound, boolean liberal, int offsetLow, int offsetHigh,
                        int seqStep) {
    /** natlab's defaults: preserve, drop, strict tracking, offset range 20000-29999, sequence step 2. */
    public static final NatConfig DEFAULT = new NatConfig(NatMapping.PRESERVE, InboundPolicy.DROP, false, 20000, 29999,
            2);

    /** Checks the range (below the hosts' ephemeral ports, as natlab requires) and the step (1-1000, as natlab). */
    public NatConfig {
        if (offsetLow < 1024 || offsetHigh < offsetLow || offsetHigh >= PortTable.EPHEMERAL_LOW) {
            throw new IllegalArgumentException("offset range must lie in 1024-" + (PortTable.EPHEMERAL_LOW - 1)
                    + ", got " + offsetLow + "-" + offsetHigh);
        }
        if (seqStep < 1 || seqStep > 1000) {
            throw new IllegalArgumentException("sequence step must be 1-1000, got " + seqStep);
        }
    }

    /** @return this config with mapping {@code m} */
    public NatConfig withMapping(NatMapping m) {
        return new NatConfig(m, inbound, liberal, offsetLow, offsetHigh, seqStep);
    }

    /** @return this config with inbound policy {@code p} */
    public NatConfig withInbound(InboundPolicy p) {
        return new NatConfig(mapping, p, liberal, offsetLow, offsetHigh, seqStep);
    }

    /** @return this config with conntrack liberal or strict */
    public NatConfig withLiberal(boolean on) {
        return new NatConfig(mapping, inbound, on, offsetLow, offsetHigh, seqStep);
    }

    /** @return this config with the offset range {@code low}-{@code high} */
    public NatConfig withOffsetRange(int low, int high) {
        return new NatConfig(mapping, inbound, liberal, low, high, seqStep);
    }

    /** @return this config with the sequence step {@code step} */
    public NatConfig withSeqStep(int step) {
        return new NatConfig(mapping, inbound, liberal, offsetLow, offsetHigh, step);
    }

    /** @return whether the mapping uses the offset range (offset and sequential) */
    public boolean usesRange() {
        return mapping == NatMapping.OFFSET || mapping == NatMapping.SEQUENTIAL;
    }

    @Override
    public String toString() {
        return mapping.label() + (mapping == NatMapping.SEQUENTIAL ? "+" + seqStep : "") + "/" + inbound.label()
                + (liberal ? "/liberal" : "") + (usesRange() ? "/" + offsetLow + "-" + offsetHigh : "");
    }
}
