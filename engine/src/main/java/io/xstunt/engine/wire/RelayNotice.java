package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The server's notice that a relayed connection ended, on the log connection of each of its two
 * clients (relay extension, docs/PROTOCOL.md "Relay"): the raw relayed stream cannot say why it
 * ends, this record does. An Echo-sized record whose address and role are 0, so a client that
 * does not know it takes it for a keepalive; only extension clients that took part in a relay
 * ever get one.
 *
 * <p>Layout (an Echo of the client's {@link WireVariant}: 56 bytes, or 52 in {@link WireVariant#ID31};
 * INT in network order): 0..5 zero ({@code nIP}, {@code wPort});
 * 6..7 {@link #MARKER} ("RE", in {@code wPadding}); 8..11 the relayed session id; 12 the end
 * ({@link End} ordinal); 13..15 zero; 16..23 bytes this client sent through the relay; 24..31
 * bytes it was sent; the rest zero (the role byte too).
 *
 * @param session the relayed session id (the announcement's {@code nConnID})
 * @param end why it ended
 * @param bytesSent bytes the receiving client sent through the relay
 * @param bytesReceived bytes the relay delivered to the receiving client
 */
public record RelayNotice(int session, End end, long bytesSent, long bytesReceived) {
    /** The marker in {@code wPadding}: "RE". */
    public static final int MARKER = 0x5245;

    /** Why a relayed connection ended. */
    public enum End {
        /** Not a known end (code 0, or one this client does not know). */
        UNKNOWN,
        /** The peer closed its side (or its connection failed). */
        PEER_CLOSED,
        /** This client closed its side. */
        CLOSED_HERE,
        /** The bytes-per-direction limit was reached. */
        BYTES_LIMIT,
        /** The duration limit was reached. */
        DURATION_LIMIT,
        /** The server closed. */
        SERVER_CLOSING;

        /** @return the end of code {@code code} */
        public static End of(int code) {
            End[] all = values();
            return code > 0 && code < all.length ? all[code] : UNKNOWN;
        }
    }

    /** @return true if the record at {@code src}'s position (at least an Echo's bytes) is a notice */
    public static boolean at(ByteBuffer src) {
        return RelayFrame.markedRecord(src, MARKER);
    }

    /** Reads the notice (an Echo of {@code variant}) at {@code src}'s position and advances past the record. */
    public static RelayNotice read(ByteBuffer src, WireVariant variant) {
        ByteBuffer b = src.slice(src.position(), variant.echoSize()).order(ByteOrder.BIG_ENDIAN);
        RelayNotice n = new RelayNotice(b.getInt(8), End.of(b.get(12) & 0xff), b.getLong(16), b.getLong(24));
        src.position(src.position() + variant.echoSize());
        return n;
    }

    /** @return the record's bytes, an Echo of {@code variant} */
    public ByteBuffer encode(WireVariant variant) {
        ByteBuffer b = ByteBuffer.allocate(variant.echoSize());
        b.putShort(Echo.OFF_PADDING, (short) MARKER).putInt(8, session).put(12, (byte) end.ordinal())
                .putLong(16, bytesSent).putLong(24, bytesReceived);
        return b;
    }
}
