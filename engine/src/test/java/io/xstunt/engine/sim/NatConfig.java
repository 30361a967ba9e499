package io.xstunt.engine.sim;

/**
 * A NAT router's behaviour, as natlab's {@code lab.sh up} sets it per router.
 *
 * @param mapping how public ports are picked ({@code --natN})
 * @param inbound the answer to unsolicited inbound packets ({@code --inboundN})
 * @param liberal conntrack ignores TCP sequence numbers ({@code --liberal}: nf_conntrack_tcp_be_liberal=1)
 * @param offsetLow first port of the {@link NatMapping#OFFSET} range ({@code --offset-range})
 * @param offsetHigh last port of that range
 */
public record NatConfig(NatMapping mapping, InboundPolicy inbound, boolean liberal, int offsetLow, int offsetHigh) {
    /** natlab's defaults: preserve, drop, strict tracking, offset range 20000-29999. */
    public static final NatConfig DEFAULT = new NatConfig(NatMapping.PRESERVE, InboundPolicy.DROP, false, 20000, 29999);

    /** Checks the range: below the hosts' ephemeral ports, as natlab requires. */
    public NatConfig {
        if (offsetLow < 1024 || offsetHigh < offsetLow || offsetHigh >= PortTable.EPHEMERAL_LOW) {
            throw new IllegalArgumentException("offset range must lie in 1024-" + (PortTable.EPHEMERAL_LOW - 1)
                    + ", got " + offsetLow + "-" + offsetHigh);
        }
    }

    /** @return this config with mapping {@code m} */
    public NatConfig withMapping(NatMapping m) {
        return new NatConfig(m, inbound, liberal, offsetLow, offsetHigh);
    }

    /** @return this config with inbound policy {@code p} */
    public NatConfig withInbound(InboundPolicy p) {
        return new NatConfig(mapping, p, liberal, offsetLow, offsetHigh);
    }

    /** @return this config with conntrack liberal or strict */
    public NatConfig withLiberal(boolean on) {
        return new NatConfig(mapping, inbound, on, offsetLow, offsetHigh);
    }

    /** @return this config with the offset range {@code low}-{@code high} */
    public NatConfig withOffsetRange(int low, int high) {
        return new NatConfig(mapping, inbound, liberal, low, high);
    }

    @Override
    public String toString() {
        return mapping.label() + "/" + inbound.label() + (liberal ? "/liberal" : "")
                + (mapping == NatMapping.OFFSET ? "/" + offsetLow + "-" + offsetHigh : "");
    }
}
