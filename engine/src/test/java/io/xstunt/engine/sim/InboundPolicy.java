package io.xstunt.engine.sim;

/** How a NAT answers an unsolicited inbound TCP packet (no conntrack entry): natlab's {@code --inboundN}. */
public enum InboundPolicy {
    /** Dropped silently: the sender's SYN is retransmitted until its connect times out. */
    DROP("drop"),
    /** {@code reject with tcp reset}: the sender's connect is refused (ECONNREFUSED). */
    RST("rst"),
    /** {@code reject with icmpx port-unreachable}: the sender's connect is refused (ECONNREFUSED). */
    ICMP("icmp"),
    /** {@code reject with icmpx admin-prohibited}: the sender's connect fails with EHOSTUNREACH. */
    ICMP_ADMIN("icmp-admin");

    private final String label;

    InboundPolicy(String label) {
        this.label = label;
    }

    /** @return natlab's name of the policy */
    public String label() {
        return label;
    }
}
