package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The server's answer to a FAST connect request ({@link FastLine.Connect}) that opens no session:
 * the INT32 that MSG_CONNECT would have been answered with ({@link Protocol#COMM_NO_MATCH}, or the
 * same-NAT answer), on the initiator's log connection, since the request came without a comm
 * connection to answer on. An accepted request is answered by its {@link FastGo} or, declined to
 * a normal session, by the session's announcement.
 *
 * <p>Layout (an Echo of the client's {@link WireVariant}): 0..5 zero; 6..7 {@link #MARKER} ("FN");
 * 8..11 the answer (INT32, network order); 20.. the listener's ID field as requested; the rest zero.
 *
 * @param answer MSG_CONNECT's answer
 * @param peerId the ID the request named
 */
public record FastRefusal(int answer, String peerId) {
    /** The marker in {@code wPadding}: "FN". */
    public static final int MARKER = 0x464e;
    private static final int OFF_ANSWER = 8;
    private static final int OFF_PEER_ID = 20;

    /** @return true if the record at {@code src}'s position (at least an Echo's bytes) is a refusal */
    public static boolean at(ByteBuffer src) {
        return RelayFrame.announcementFlags(src) == MARKER;
    }

    /** Reads the refusal at {@code src}'s position and advances past it. */
    public static FastRefusal read(ByteBuffer src, WireVariant variant) {
        ByteBuffer b = src.slice(src.position(), variant.echoSize()).order(ByteOrder.BIG_ENDIAN);
        FastRefusal r = new FastRefusal(b.getInt(OFF_ANSWER), ClientId.read(b.position(OFF_PEER_ID), variant));
        src.position(src.position() + variant.echoSize());
        return r;
    }

    /** @return the record's bytes, an Echo of {@code variant} (a peer ID that does not fit goes empty) */
    public ByteBuffer encode(WireVariant variant) {
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize());
        b.putShort(Echo.OFF_PADDING, (short) MARKER).putInt(OFF_ANSWER, answer);
        ClientId.write(b.position(OFF_PEER_ID), ClientId.fits(peerId, variant) ? peerId : "", variant);
        return b.clear();
    }
}
