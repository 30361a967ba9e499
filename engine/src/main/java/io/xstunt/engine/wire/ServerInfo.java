package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code ServerInfo}: what the log service tells a registering client (reference: struct
 * ServerInfo). An empty {@link #id()} means the ID is taken (ERR_DUPLICATE_ID).
 *
 * <p>The reference's reserved {@code wPort3..wPort8} (12 bytes, zero from an original server and
 * ignored by an original client) carry the xstunt extensions, only for a client that asked for
 * them: {@code wPort3} = flags ({@link Protocol#EXT_FLAG_TOKEN}, {@link Protocol#EXT_FLAG_PROOF},
 * {@link Protocol#EXT_FLAG_REG_ACK}),
 * {@code wPort4} = the keepalive interval the server expects in seconds (0: none),
 * {@code wPort5..wPort8} = the 8-byte holder token (network order).
 *
 * @param id the ID the server accepted, or "" if it refused it
 * @param ip1 the server's first IPv4 (big-endian int)
 * @param ip2 the server's second IPv4
 * @param echoPort1 the first echo port
 * @param echoPort2 the second echo port
 * @param extFlags the extension flags ({@code wPort3}); 0 from an original server
 * @param keepaliveSec the keepalive interval in seconds ({@code wPort4}); 0: none
 * @param token the holder token ({@code wPort5..wPort8}); 0: none
 */
public record ServerInfo(String id, int ip1, int ip2, int echoPort1, int echoPort2, int extFlags, int keepaliveSec,
                         long token) {
    private static final CStructLayout L = new CStructLayout();
    static final int OFF_ID = L.field(Protocol.ID_FIELD_LEN, 1);
    static final int OFF_IP1 = L.field(4, 4);
    static final int OFF_IP2 = L.field(4, 4);
    static final int OFF_PORT1 = L.field(2, 2);
    static final int OFF_PORT2 = L.field(2, 2);
    static final int OFF_PORT3 = L.field(2, 2);
    static final int OFF_PORT4 = L.field(2, 2);
    static final int OFF_PORT5 = L.field(2 * 4, 2); // wPort5..wPort8
    /** Size on the wire (60 with MAX_ID_LEN 32). */
    public static final int SIZE = L.size();

    /** A ServerInfo as the reference has it: the reserved ports are zero. */
    public ServerInfo(String id, int ip1, int ip2, int echoPort1, int echoPort2) {
        this(id, ip1, ip2, echoPort1, echoPort2, 0, 0, 0L);
    }

    /** @return true if the server issued a holder token */
    public boolean hasToken() {
        return (extFlags & Protocol.EXT_FLAG_TOKEN) != 0;
    }

    /** @return true if the server acknowledges an IDLE registration ({@link Protocol#EXT_FLAG_REG_ACK}) */
    public boolean acknowledgesIdle() {
        return (extFlags & Protocol.EXT_FLAG_REG_ACK) != 0;
    }

    /** @return true if the server requires a registration proof */
    public boolean proofRequired() {
        return (extFlags & Protocol.EXT_FLAG_PROOF) != 0;
    }

    /** @return this ServerInfo with {@code acceptedId} in place of its ID */
    public ServerInfo withId(String acceptedId) {
        return new ServerInfo(acceptedId, ip1, ip2, echoPort1, echoPort2, extFlags, keepaliveSec, token);
    }

    /** Writes the struct at the buffer's position and advances it by {@link #SIZE}. */
    public void write(ByteBuffer dst) {
        ByteBuffer b = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        ClientId.write(b.position(OFF_ID), id);
        b.putInt(OFF_IP1, ip1).putInt(OFF_IP2, ip2);
        b.putShort(OFF_PORT1, (short) echoPort1).putShort(OFF_PORT2, (short) echoPort2);
        b.putShort(OFF_PORT3, (short) extFlags).putShort(OFF_PORT4, (short) keepaliveSec);
        b.putLong(OFF_PORT5, token);
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
                b.getShort(OFF_PORT1) & 0xffff, b.getShort(OFF_PORT2) & 0xffff, b.getShort(OFF_PORT3) & 0xffff,
                b.getShort(OFF_PORT4) & 0xffff, b.getLong(OFF_PORT5));
        src.position(src.position() + SIZE);
        return s;
    }
}
