package io.xstunt.engine.wire;

import java.nio.ByteBuffer;

/**
 * The birthday sweep's frames (docs/PROTOCOL.md, "Birthday sweep"): peer-to-peer frames on a
 * session's control channel, in the shape of a {@link ControlFrame} (tag, length, payload). Unlike
 * the {@link RelayFrame}s, which the server consumes, the server forwards these to the other side
 * as they are, in order with the protocol's own frames; it does so only in a session whose
 * announcement carried {@link #ANNOUNCE_SWEEP}, and a client sends them only then. An original
 * peer never sees one.
 *
 * <p>{@link #TAG_OFFER}: each side's first frame after HELLO: whether its NAT is random, whether it
 * sweeps, and its budget. {@link #TAG_SIGNAL}: one step of the sweep's order (a code byte).
 *
 * @param tag {@link #TAG_OFFER} or {@link #TAG_SIGNAL}
 * @param payload its payload
 */
public record SweepFrame(int tag, byte[] payload) {
    /** Announcement flag ({@code Echo.wPadding}, with {@link RelayFrame#ANNOUNCE_RELAY}): the server forwards sweep frames. */
    public static final int ANNOUNCE_SWEEP = 2;

    /** OFFER: flags (1 byte), version (1 byte), sockets, probes, SYNs a second (UINT16 each). */
    public static final int TAG_OFFER = 0x50;
    /** SIGNAL: code (1 byte). */
    public static final int TAG_SIGNAL = 0x51;
    /** Bytes of an OFFER payload (version 1). */
    public static final int OFFER_LEN = 8;
    /** The version this build writes. */
    public static final int VERSION = 1;

    /** OFFER flag: this side's NAT fingerprint is random (its ports cannot be predicted). */
    public static final int OFFER_RANDOM = 1;
    /** OFFER flag: this side takes part in a sweep. */
    public static final int OFFER_SWEEPS = 2;

    /** SIGNAL, hard side to easy side: my sockets' SYNs are out; probe now. */
    public static final int SIGNAL_BURST_OUT = 1;
    /** SIGNAL, hard side to easy side: your NAT refused my scout SYN; probe first, tell me when your probes are out. */
    public static final int SIGNAL_PROBE_FIRST = 2;
    /** SIGNAL, easy side to hard side: my probes are out; open your sockets now. */
    public static final int SIGNAL_PROBES_OUT = 3;

    /**
     * One side's offer as OFFER carries it.
     *
     * @param randomNat this side's fingerprint is random
     * @param sweeps this side takes part in a sweep (false: switched off)
     * @param sockets how many sockets it opens as the hard side
     * @param probes how many probes it sends as the easy side
     * @param synsPerSecond the most SYNs a second it sends
     */
    public record Offer(boolean randomNat, boolean sweeps, int sockets, int probes, int synsPerSecond) {
        /** Checks the ranges (each UINT16). */
        public Offer {
            checkU16(sockets, "sockets");
            checkU16(probes, "probes");
            checkU16(synsPerSecond, "synsPerSecond");
        }
    }

    /** Checks the tag and length. */
    public SweepFrame {
        if (!isSweepTag(tag)) {
            throw new IllegalArgumentException("not a sweep tag: " + tag);
        }
        if (payload.length > Protocol.CONTROL_MAX_PAYLOAD) {
            throw new IllegalArgumentException("sweep payload of " + payload.length + " bytes");
        }
    }

    /** @return true for a tag of this extension */
    public static boolean isSweepTag(int tag) {
        return tag == TAG_OFFER || tag == TAG_SIGNAL;
    }

    /** @return true if the frame at {@code src}'s position (at least its tag byte) is a sweep frame; nothing is consumed */
    public static boolean startsSweepFrame(ByteBuffer src) {
        return src.hasRemaining() && isSweepTag(src.get(src.position()) & 0xff);
    }

    /**
     * Reads one sweep frame if {@code src} holds a whole one at its position; otherwise leaves it.
     *
     * @return the frame, or null if more bytes are needed
     * @throws WireFormatException if the frame there is not a sweep frame
     */
    public static SweepFrame tryRead(ByteBuffer src) {
        int tag = src.hasRemaining() ? src.get(src.position()) & 0xff : 0;
        byte[] payload = RelayFrame.payloadAt(src, SweepFrame::isSweepTag, "sweep");
        return payload == null ? null : new SweepFrame(tag, payload);
    }

    /** @return OFFER with {@code o} */
    public static SweepFrame offer(Offer o) {
        ByteBuffer b = ByteBuffer.allocate(OFFER_LEN);
        b.put((byte) ((o.randomNat() ? OFFER_RANDOM : 0) | (o.sweeps() ? OFFER_SWEEPS : 0))).put((byte) VERSION);
        b.putShort((short) o.sockets()).putShort((short) o.probes()).putShort((short) o.synsPerSecond());
        return new SweepFrame(TAG_OFFER, b.array());
    }

    /** @return SIGNAL with {@code code} */
    public static SweepFrame signal(int code) {
        return new SweepFrame(TAG_SIGNAL, new byte[] {(byte) code});
    }

    /**
     * @return OFFER's offer; a later version's longer payload is read for the fields this one knows
     * @throws WireFormatException if this is no OFFER or it is too short
     */
    public Offer offer() {
        if (tag != TAG_OFFER || payload.length < OFFER_LEN) {
            throw new WireFormatException("sweep OFFER of " + payload.length + " bytes, expected " + OFFER_LEN);
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        int flags = b.get(0) & 0xff;
        return new Offer((flags & OFFER_RANDOM) != 0, (flags & OFFER_SWEEPS) != 0, b.getShort(2) & 0xffff,
                b.getShort(4) & 0xffff, b.getShort(6) & 0xffff);
    }

    /**
     * @return SIGNAL's code
     * @throws WireFormatException if this is no SIGNAL or it is empty
     */
    public int code() {
        if (tag != TAG_SIGNAL || payload.length < 1) {
            throw new WireFormatException("sweep SIGNAL of " + payload.length + " bytes");
        }
        return payload[0] & 0xff;
    }

    /** @return the frame's bytes */
    public byte[] encode() {
        return RelayFrame.encode(tag, payload);
    }

    private static void checkU16(int v, String what) {
        if (v < 0 || v > 0xffff) {
            throw new IllegalArgumentException(what + " must be 0..65535, got " + v);
        }
    }

    @Override
    public String toString() {
        return "SweepFrame[0x" + Integer.toHexString(tag) + ", " + payload.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SweepFrame f && f.tag == tag && java.util.Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return tag * 31 + java.util.Arrays.hashCode(payload);
    }
}
