package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * FAST's go (docs/PROTOCOL.md "FAST"): the server's word to each of the two clients of
 * a FAST session, on its log connection, where to send its SYN and when. An Echo-sized record
 * recognised by {@link #MARKER} in {@code wPadding}, as {@link RelayNotice} is; only clients that
 * said they speak FAST ever get one.
 *
 * <p>Layout (an Echo of the client's {@link WireVariant}: 56 bytes, or 52 in {@link WireVariant#ID31};
 * INT in network order): 0..3 the peer's predicted public IP; 4..5 its predicted public port;
 * 6..7 {@link #MARKER} ("FG"); 8..11 the session id; 12..13 the start offset and 14..15 the retry
 * period, each in units of {@link #TIME_UNIT_NS} (32 us: at most about 2.1 s, above the punch
 * grid's longest period); 16 the role ({@link Protocol#ROLE_INITIATOR} or
 * {@link Protocol#ROLE_LISTENER}); 17..19 zero; 20.. the peer's ID field (33 bytes, 32 in
 * {@link WireVariant#ID31}); the rest zero.
 *
 * @param peerIp the peer's predicted public IP (INT32 as on the wire)
 * @param peerPort the peer's predicted public port
 * @param session the session id
 * @param startOffsetNs how long to wait after reading the record before the first SYN
 * @param retryPeriodNs the punch grid's period
 * @param initiator true for the initiator's record
 * @param peerId the other client's ID
 */
public record FastGo(int peerIp, int peerPort, int session, long startOffsetNs, long retryPeriodNs,
                     boolean initiator, String peerId) {
    /** The marker in {@code wPadding}: "FG". */
    public static final int MARKER = 0x4647;
    /** The unit of the two times: 32 us. */
    public static final long TIME_UNIT_NS = 32_000;
    /** The longest time the record can carry. */
    public static final long MAX_TIME_NS = 0xffff * TIME_UNIT_NS;
    private static final int OFF_PORT = 4;
    private static final int OFF_SESSION = 8;
    private static final int OFF_START = 12;
    private static final int OFF_PERIOD = 14;
    private static final int OFF_ROLE = 16;
    private static final int OFF_PEER_ID = 20;

    /**
     * @throws IllegalArgumentException for a port outside 1..65535, a time outside 0..{@link #MAX_TIME_NS}
     */
    public FastGo {
        if (peerPort < 1 || peerPort > 0xffff) {
            throw new IllegalArgumentException("peer port must be 1..65535, got " + peerPort);
        }
        if (startOffsetNs < 0 || startOffsetNs > MAX_TIME_NS || retryPeriodNs <= 0 || retryPeriodNs > MAX_TIME_NS) {
            throw new IllegalArgumentException("times must fit 0.." + MAX_TIME_NS + " ns: start " + startOffsetNs
                    + ", period " + retryPeriodNs);
        }
    }

    /** @return true if the record at {@code src}'s position (at least an Echo's bytes) is a go */
    public static boolean at(ByteBuffer src) {
        return RelayFrame.announcementFlags(src) == MARKER;
    }

    /**
     * Reads the go (an Echo of {@code variant}) at {@code src}'s position and advances past it.
     *
     * @throws WireFormatException for a role that is neither, a port 0 or a broken peer ID
     */
    public static FastGo read(ByteBuffer src, WireVariant variant) {
        ByteBuffer b = src.slice(src.position(), variant.echoSize()).order(ByteOrder.BIG_ENDIAN);
        byte role = b.get(OFF_ROLE);
        if (role != Protocol.ROLE_INITIATOR && role != Protocol.ROLE_LISTENER) {
            throw new WireFormatException("FAST go with role " + (role & 0xff));
        }
        int port = b.getShort(OFF_PORT) & 0xffff;
        if (port == 0) {
            throw new WireFormatException("FAST go with port 0");
        }
        String peer = ClientId.read(b.position(OFF_PEER_ID), variant);
        FastGo g = new FastGo(b.getInt(0), port, b.getInt(OFF_SESSION),
                (b.getShort(OFF_START) & 0xffff) * TIME_UNIT_NS,
                Math.max(1, b.getShort(OFF_PERIOD) & 0xffff) * TIME_UNIT_NS,
                role == Protocol.ROLE_INITIATOR, peer);
        src.position(src.position() + variant.echoSize());
        return g;
    }

    /** @return the record's bytes, an Echo of {@code variant}; times are rounded up to the unit */
    public ByteBuffer encode(WireVariant variant) {
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize());
        b.putInt(0, peerIp).putShort(OFF_PORT, (short) peerPort)
                .putShort(Echo.OFF_PADDING, (short) MARKER).putInt(OFF_SESSION, session)
                .putShort(OFF_START, (short) units(startOffsetNs)).putShort(OFF_PERIOD, (short) units(retryPeriodNs))
                .put(OFF_ROLE, initiator ? Protocol.ROLE_INITIATOR : Protocol.ROLE_LISTENER);
        ClientId.write(b.position(OFF_PEER_ID), peerId, variant);
        return b.clear();
    }

    private static long units(long ns) {
        return Math.min(0xffff, (ns + TIME_UNIT_NS - 1) / TIME_UNIT_NS);
    }
}
