package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Msg}: a request to the communication service (reference: struct Msg).
 * MSG_CONNECT carries source and destination IDs; MSG_DEREGISTER and MSG_QUERY carry one ID
 * (in {@link #srcId()}, which shares its offset with the union's {@code chID}). Its size and
 * offsets are the {@link WireVariant}'s.
 *
 * <p>xstunt extension: a client that holds a holder token (from ServerInfo) writes
 * {@link Protocol#MSG_TOKEN_MARKER} in the struct's two pad bytes and the 8-byte token right
 * after the struct, so the request is the struct's size + {@link Protocol#TOKEN_LEN} bytes. An
 * original client's pad bytes are 0: no token follows. A variant whose Msg has no pad bytes
 * ({@link WireVariant#msgCarriesToken()} false) carries no token.
 *
 * @param type {@link Protocol#MSG_CONNECT}, {@link Protocol#MSG_DEREGISTER} or {@link Protocol#MSG_QUERY}
 * @param srcId the source ID, or the one ID of a deregister/query
 * @param dstId the destination ID of a connect; "" otherwise
 * @param token the sender's holder token, written after the struct; 0: none (the original form)
 */
public record Msg(int type, String srcId, String dstId, long token) {
    /**
     * Where each field of one variant's Msg lies.
     *
     * @param tokenMarker the offset of the struct's two pad bytes, -1 if it has fewer
     */
    record Layout(int type, int src, int dst, int tokenMarker, int size) {
        static Layout of(int idField) {
            CStructLayout connection = new CStructLayout();
            int src = connection.field(idField, 1);
            int dst = connection.field(idField, 1);
            CStructLayout oneId = new CStructLayout();
            oneId.field(idField, 1);
            CStructLayout l = new CStructLayout();
            int type = l.field(4, 4);
            CStructLayout data = CStructLayout.union(connection, oneId);
            int union = l.nested(data);
            int end = union + data.size();
            return new Layout(type, union + src, union + dst, l.size() - end >= 2 ? end : -1, l.size());
        }
    }

    /** A request in the original form, without a token. */
    public Msg(int type, String srcId, String dstId) {
        this(type, srcId, dstId, 0L);
    }

    /** @return this request carrying {@code holderToken} (0: none) */
    public Msg withToken(long holderToken) {
        return new Msg(type, srcId, dstId, holderToken);
    }

    /** @return the bytes {@link #write} writes in {@code variant}: the struct, plus the token if there is one */
    public int encodedSize(WireVariant variant) {
        return token == 0 ? variant.msgSize() : variant.msgSize() + Protocol.TOKEN_LEN;
    }

    /**
     * @param src at least the variant's Msg size from its position: the start of a request
     * @return the length of the whole request: the struct, or more if a token follows
     */
    public static int encodedSizeAt(ByteBuffer src, WireVariant variant) {
        Layout l = variant.msg();
        if (l.tokenMarker() < 0) {
            return l.size();
        }
        int pad = src.slice(src.position() + l.tokenMarker(), 2).order(ByteOrder.BIG_ENDIAN).getShort(0) & 0xffff;
        return pad == Protocol.MSG_TOKEN_MARKER ? l.size() + Protocol.TOKEN_LEN : l.size();
    }

    /** @return a MSG_CONNECT request */
    public static Msg connect(String src, String dst) {
        return new Msg(Protocol.MSG_CONNECT, src, dst);
    }

    /** @return a MSG_DEREGISTER request */
    public static Msg deregister(String id) {
        return new Msg(Protocol.MSG_DEREGISTER, id, "");
    }

    /** @return a MSG_QUERY request */
    public static Msg query(String id) {
        return new Msg(Protocol.MSG_QUERY, id, "");
    }

    /**
     * Writes the request in {@code variant} at the buffer's position and advances it by
     * {@link #encodedSize}.
     *
     * @throws IllegalStateException if it carries a token that the variant has no room to mark
     */
    public void write(ByteBuffer dst, WireVariant variant) {
        Layout l = variant.msg();
        if (token != 0 && l.tokenMarker() < 0) {
            throw new IllegalStateException("a Msg of " + variant + " has no pad bytes to mark a holder token");
        }
        ByteBuffer b = dst.slice(dst.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < l.size(); i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(l.type(), type);
        ClientId.write(b.position(l.src()), srcId, variant);
        if (type == Protocol.MSG_CONNECT) {
            ClientId.write(b.position(l.dst()), dstId, variant);
        }
        if (token != 0) {
            b.putShort(l.tokenMarker(), (short) Protocol.MSG_TOKEN_MARKER);
            dst.slice(dst.position() + l.size(), Protocol.TOKEN_LEN).order(ByteOrder.BIG_ENDIAN).putLong(0, token);
        }
        dst.position(dst.position() + encodedSize(variant));
    }

    /**
     * Reads the request in {@code variant} at the buffer's position (at least {@link #encodedSizeAt}
     * bytes) and advances past it.
     *
     * @throws WireFormatException on an unknown type, a malformed ID field, or a zero token
     */
    public static Msg read(ByteBuffer src, WireVariant variant) {
        Layout l = variant.msg();
        ByteBuffer b = src.slice(src.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        int type = b.getInt(l.type());
        long token = 0;
        if (encodedSizeAt(src, variant) > l.size()) {
            token = src.slice(src.position() + l.size(), Protocol.TOKEN_LEN).order(ByteOrder.BIG_ENDIAN).getLong(0);
            if (token == 0) {
                throw new WireFormatException("token marker with a zero token");
            }
        }
        Msg m = switch (type) {
            case Protocol.MSG_CONNECT -> new Msg(type, ClientId.read(b.position(l.src()), variant),
                    ClientId.read(b.position(l.dst()), variant));
            case Protocol.MSG_DEREGISTER, Protocol.MSG_QUERY ->
                    new Msg(type, ClientId.read(b.position(l.src()), variant), "");
            default -> throw new WireFormatException("unknown message type " + type);
        };
        m = m.withToken(token);
        src.position(src.position() + m.encodedSize(variant));
        return m;
    }
}
