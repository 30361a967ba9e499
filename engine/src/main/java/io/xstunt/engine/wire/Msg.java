package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Msg}: a request to the communication service (reference: struct Msg).
 * MSG_CONNECT carries source and destination IDs; MSG_DEREGISTER and MSG_QUERY carry one ID
 * (in {@link #srcId()}, which shares its offset with the union's {@code chID}).
 *
 * <p>xstunt extension: a client that holds a holder token (from ServerInfo) writes
 * {@link Protocol#MSG_TOKEN_MARKER} in the struct's two pad bytes and the 8-byte token right
 * after the struct, so the request is {@link #SIZE} + {@link Protocol#TOKEN_LEN} bytes. An original
 * client's pad bytes are 0: no token follows.
 *
 * @param type {@link Protocol#MSG_CONNECT}, {@link Protocol#MSG_DEREGISTER} or {@link Protocol#MSG_QUERY}
 * @param srcId the source ID, or the one ID of a deregister/query
 * @param dstId the destination ID of a connect; "" otherwise
 * @param token the sender's holder token, written after the struct; 0: none (the original form)
 */
public record Msg(int type, String srcId, String dstId, long token) {
    private static final CStructLayout CONNECTION = new CStructLayout();
    private static final int SRC = CONNECTION.field(Protocol.ID_FIELD_LEN, 1);
    private static final int DST = CONNECTION.field(Protocol.ID_FIELD_LEN, 1);
    private static final CStructLayout ONE_ID = new CStructLayout();
    static {
        ONE_ID.field(Protocol.ID_FIELD_LEN, 1);
    }
    private static final CStructLayout L = new CStructLayout();
    static final int OFF_TYPE = L.field(4, 4);
    static final int OFF_UNION = L.nested(CStructLayout.union(CONNECTION, ONE_ID));
    /** Size on the wire (72 with MAX_ID_LEN 32). */
    public static final int SIZE = L.size();
    /** Offset of the struct's two pad bytes, where the token marker goes. */
    static final int OFF_PAD = SIZE - 2;

    /** A request in the original form, without a token. */
    public Msg(int type, String srcId, String dstId) {
        this(type, srcId, dstId, 0L);
    }

    /** @return this request carrying {@code holderToken} (0: none) */
    public Msg withToken(long holderToken) {
        return new Msg(type, srcId, dstId, holderToken);
    }

    /** @return the bytes {@link #write} writes: {@link #SIZE}, plus the token if there is one */
    public int encodedSize() {
        return token == 0 ? SIZE : SIZE + Protocol.TOKEN_LEN;
    }

    /**
     * @param src at least {@link #SIZE} bytes from its position: the start of a request
     * @return the length of the whole request: {@link #SIZE}, or more if a token follows
     */
    public static int encodedSizeAt(ByteBuffer src) {
        int pad = src.slice(src.position() + OFF_PAD, 2).order(ByteOrder.BIG_ENDIAN).getShort(0) & 0xffff;
        return pad == Protocol.MSG_TOKEN_MARKER ? SIZE + Protocol.TOKEN_LEN : SIZE;
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

    /** Writes the request at the buffer's position and advances it by {@link #encodedSize()}. */
    public void write(ByteBuffer dst) {
        ByteBuffer b = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(OFF_TYPE, type);
        ClientId.write(b.position(OFF_UNION + SRC), srcId);
        if (type == Protocol.MSG_CONNECT) {
            ClientId.write(b.position(OFF_UNION + DST), dstId);
        }
        if (token != 0) {
            b.putShort(OFF_PAD, (short) Protocol.MSG_TOKEN_MARKER);
            dst.slice(dst.position() + SIZE, Protocol.TOKEN_LEN).order(ByteOrder.BIG_ENDIAN).putLong(0, token);
        }
        dst.position(dst.position() + encodedSize());
    }

    /**
     * Reads the request at the buffer's position (at least {@link #encodedSizeAt} bytes) and
     * advances past it.
     *
     * @throws WireFormatException on an unknown type, a malformed ID field, or a zero token
     */
    public static Msg read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        int type = b.getInt(OFF_TYPE);
        long token = 0;
        if (encodedSizeAt(src) > SIZE) {
            token = src.slice(src.position() + SIZE, Protocol.TOKEN_LEN).order(ByteOrder.BIG_ENDIAN).getLong(0);
            if (token == 0) {
                throw new WireFormatException("token marker with a zero token");
            }
        }
        Msg m = switch (type) {
            case Protocol.MSG_CONNECT -> new Msg(type, ClientId.read(b.position(OFF_UNION + SRC)),
                    ClientId.read(b.position(OFF_UNION + DST)));
            case Protocol.MSG_DEREGISTER, Protocol.MSG_QUERY ->
                    new Msg(type, ClientId.read(b.position(OFF_UNION + SRC)), "");
            default -> throw new WireFormatException("unknown message type " + type);
        };
        m = m.withToken(token);
        src.position(src.position() + m.encodedSize());
        return m;
    }
}
