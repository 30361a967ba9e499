package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;

/**
 * An ICMP destination-unreachable message about a TCP segment: a router's or a NAT's answer.
 *
 * @param srcIp who sends it
 * @param dstIp where it goes (the segment's sender)
 * @param kind its code
 * @param original the segment it is about, as the sender of the ICMP saw it (a NAT on the way back
 *     translates it, as conntrack does for RELATED packets)
 */
record IcmpError(int srcIp, int dstIp, Unreachable kind, Segment original) implements Packet {
    /** The destination-unreachable codes the simulation uses, with the error a connect gets. */
    enum Unreachable {
        /** Code 0, net unreachable: a router has no route (ENETUNREACH). */
        NETWORK(0),
        /** Code 3, port unreachable: nftables {@code reject with icmpx port-unreachable} (ECONNREFUSED). */
        PORT(3),
        /** Code 13, administratively prohibited: {@code reject with icmpx admin-prohibited} (EHOSTUNREACH). */
        ADMIN_PROHIBITED(13);

        private final int code;

        Unreachable(int code) {
            this.code = code;
        }

        /** @return the ICMP code */
        int code() {
            return code;
        }

        /** @return what a connecting socket's connect fails with, as Java reports the errno */
        IOException connectError() {
            return switch (this) {
                case NETWORK -> new SocketException("Network is unreachable");
                case PORT -> new ConnectException("Connection refused");
                case ADMIN_PROHIBITED -> new NoRouteToHostException("No route to host");
            };
        }
    }

    /** @return this message with another destination and inner segment (a NAT's reverse translation) */
    IcmpError translated(int newDstIp, Segment newOriginal) {
        return new IcmpError(srcIp, newDstIp, kind, newOriginal);
    }

    @Override
    public String toString() {
        return "ICMP " + Ipv4.toString(srcIp) + " > " + Ipv4.toString(dstIp) + " unreachable code " + kind.code
                + " (" + kind + ") about " + original;
    }
}
