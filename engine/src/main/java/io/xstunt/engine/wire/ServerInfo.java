package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code ServerInfo}: what the log service tells a registering client (reference: struct
 * ServerInfo). An empty {@link #id()} means the ID is taken (ERR_DUPLICATE_ID).
 *
 * @param id the ID the server accepted, or "" if it refused it
 * @param ip1 the server's first IPv4 (big-endian int)
 * @param ip2 the server's second IPv4
 * @param echoPort1 the first echo port
 * @param echoPort2 the second echo port
 */
public record ServerInfo(String id, int ip1, int ip2, int echoPort1, int echoPort2) {
    private static final CStructLayout L = new CStructLayout();
    static final int OFF_ID = L.field(Protocol.ID_FIELD_LEN, 1);
    static final int OFF_IP1 = L.field(4, 4);
    static final int OFF_IP2 = L.field(4, 4);
    static final int OFF_PORT1 = L.field(2, 2);
    static final int OFF_PORT2 = L.field(2, 2);
    private static final int RESERVED_PORTS = 6; // wPort3..wPort8
    static final int OFF_PORT3 = L.field(2 * RESERVED_PORTS, 2);
    /** Size on the wire (60 with MAX_ID_LEN 32). */
    public static final int SIZE = L.size();

    /** Writes the struct at the buffer's position and advances it by {@link #SIZE}. */
    public void write(ByteBuffer dst) {
        ByteBuffer b = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        ClientId.write(b.position(OFF_ID), id);
        b.putInt(OFF_IP1, ip1).putInt(OFF_IP2, ip2);
        b.putShort(OFF_PORT1, (short) echoPort1).putShort(OFF_PORT2, (short) echoPort2);
        for (int i = 0; i < RESERVED_PORTS; i++) {
            b.putShort(OFF_PORT3 + 2 * i, (short) 0);
        }
        for (int i = OFF_ID + Protocol.ID_FIELD_LEN; i < OFF_IP1; i++) {
            b.put(i, (byte) 0);
        }
        dst.position(dst.position() + SIZE);
    }

    /**
     * Reads the struct at the buffer's position and advances it by {@link #SIZE}.
     *
     * @throws WireFormatException on a malformed ID field
     */
    public static ServerInfo read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        String id = ClientId.read(b.position(OFF_ID));
        ServerInfo s = new ServerInfo(id, b.getInt(OFF_IP1), b.getInt(OFF_IP2),
                b.getShort(OFF_PORT1) & 0xffff, b.getShort(OFF_PORT2) & 0xffff);
        src.position(src.position() + SIZE);
        return s;
    }
}
