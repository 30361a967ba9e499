package io.xstunt.engine.sim;

/** What crosses a simulated link: a TCP {@link Segment} or an ICMP {@link IcmpError}. */
sealed interface Packet permits Segment, IcmpError {
    /** @return the source address of the IP header */
    int srcIp();

    /** @return the destination address of the IP header */
    int dstIp();
}
