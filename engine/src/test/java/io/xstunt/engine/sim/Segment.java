package io.xstunt.engine.sim;

/**
 * A TCP segment on the simulated wire: the header fields that sockets and conntrack look at, and
 * the payload. Windows, options and checksums are not modelled (see package-info).
 *
 * @param src source address and port
 * @param dst destination address and port
 * @param flags {@link #SYN}, {@link #ACK}, {@link #FIN}, {@link #RST}
 * @param seq sequence number
 * @param ack acknowledgement number (meaningful with {@link #ACK})
 * @param payload data bytes, never changed once sent
 * @param recovery who sends this segment again if a link loses it (data and FIN only; null for
 *     segments whose loss the protocol itself repairs or ignores); not a header field
 * @param transmission 0 for the first transmission, n for the n-th retransmission after a loss
 */
record Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, byte[] payload, LossRecovery recovery,
               int transmission) implements Packet {
    static final int FIN = 1;
    static final int SYN = 2;
    static final int RST = 4;
    static final int ACK = 16;
    private static final byte[] NONE = new byte[0];

    /**
     * What a sender's retransmission timer does for a data segment a link lost: the simulation
     * tells the sender instead of waiting for a missing ACK (see package-info).
     */
    @FunctionalInterface
    interface LossRecovery {
        /** {@code s} was lost on the way. */
        void lost(Segment s);
    }

    /** @return a segment without payload whose loss nobody repairs (SYN, SYN-ACK, ACK, RST) */
    static Segment control(Endpoint src, Endpoint dst, int flags, int seq, int ack) {
        return new Segment(src, dst, flags, seq, ack, NONE, null, 0);
    }

    /** @return a RST answering {@code s}, as a kernel (or a NAT's "reject with tcp reset") builds it */
    static Segment resetFor(Segment s) {
        if (s.has(ACK)) {
            return control(s.dst, s.src, RST, s.ack, 0);
        }
        return control(s.dst, s.src, RST | ACK, 0, s.seqEnd());
    }

    @Override
    public int srcIp() {
        return src.ip();
    }

    @Override
    public int dstIp() {
        return dst.ip();
    }

    /** @return true if every flag of {@code mask} is set */
    boolean has(int mask) {
        return (flags & mask) == mask;
    }

    /** @return true for a SYN without ACK: a connection's first segment */
    boolean isSyn() {
        return has(SYN) && !has(ACK);
    }

    /** @return the payload's length */
    int length() {
        return payload.length;
    }

    /** @return the sequence number after this segment (SYN and FIN count one each) */
    int seqEnd() {
        return seq + payload.length + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    /** @return this segment with another source (a NAT's translation) */
    Segment withSource(Endpoint newSrc) {
        return new Segment(newSrc, dst, flags, seq, ack, payload, recovery, transmission);
    }

    /** @return this segment with another destination (a NAT's reverse translation) */
    Segment withDestination(Endpoint newDst) {
        return new Segment(src, newDst, flags, seq, ack, payload, recovery, transmission);
    }

    /** @return this segment sent again, with the sender's current acknowledgement */
    Segment retransmitted(int currentAck) {
        return new Segment(src, dst, flags, seq, currentAck, payload, recovery, transmission + 1);
    }

    @Override
    public String toString() {
        StringBuilder f = new StringBuilder();
        if (has(SYN)) {
            f.append('S');
        }
        if (has(FIN)) {
            f.append('F');
        }
        if (has(RST)) {
            f.append('R');
        }
        if (has(ACK)) {
            f.append('.');
        }
        return src + " > " + dst + " [" + f + "] seq " + Integer.toUnsignedString(seq)
                + (has(ACK) ? " ack " + Integer.toUnsignedString(ack) : "")
                + (payload.length > 0 ? " len " + payload.length : "")
                + (transmission > 0 ? " (retransmission " + transmission + ")" : "");
    }
}
