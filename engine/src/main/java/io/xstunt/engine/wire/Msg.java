package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Msg}: a request to the communication service (reference: struct Msg).
 * MSG_CONNECT carries source and destination IDs; MSG_DEREGISTER and MSG_QUERY carry one ID
 * (in {@link #srcId()}, which shares its offset with the union's {@code chID}).
 *
 * @param type {@link Protocol#MSG_CONNECT}, {@link Protocol#MSG_DEREGISTER} or {@link Protocol#MSG_QUERY}
 * @param srcId the source ID, or the one ID of a deregister/query
 * @param dstId the destination ID of a connect; "" otherwise
 */
public record Msg(int type, String srcId, String dstId) {
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

    /** Writes the struct at the buffer's position and advances it by {@link #SIZE}. */
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
        dst.position(dst.position() + SIZE);
    }

    /**
     * Reads the struct at the buffer's position and advances it by {@link #SIZE}.
     *
     * @throws WireFormatException on an unknown type or a malformed ID field
     */
    public static Msg read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        int type = b.getInt(OFF_TYPE);
        Msg m = switch (type) {
            case Protocol.MSG_CONNECT -> new Msg(type, ClientId.read(b.position(OFF_UNION + SRC)),
                    ClientId.read(b.position(OFF_UNION + DST)));
            case Protocol.MSG_DEREGISTER, Protocol.MSG_QUERY ->
                    new Msg(type, ClientId.read(b.position(OFF_UNION + SRC)), "");
            default -> throw new WireFormatException("unknown message type " + type);
        };
        src.position(src.position() + SIZE);
        return m;
    }
}
