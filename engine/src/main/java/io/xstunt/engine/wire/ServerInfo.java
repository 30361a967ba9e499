package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code ServerInfo}: what the log service tells a registering client (reference: struct
 * ServerInfo). An empty {@link #id()} means the ID is taken (ERR_DUPLICATE_ID). Its size and
 * offsets are the {@link WireVariant}'s: {@code nIP1} follows the ID field on a 4-byte boundary.
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
    /** Where each field of one variant's ServerInfo lies. */
    record Layout(int id, int ip1, int ip2, int port1, int port2, int port3, int port4, int port5, int size) {
        static Layout of(int idField) {
            CStructLayout l = new CStructLayout();
            int id = l.field(idField, 1);
            int ip1 = l.field(4, 4);
            int ip2 = l.field(4, 4);
            int port1 = l.field(2, 2);
            int port2 = l.field(2, 2);
            int port3 = l.field(2, 2);
            int port4 = l.field(2, 2);
            int port5 = l.field(2 * 4, 2); // wPort5..wPort8
            return new Layout(id, ip1, ip2, port1, port2, port3, port4, port5, l.size());
        }
    }

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

    /** Writes the struct in {@code variant} at the buffer's position and advances it by its size. */
    public void write(ByteBuffer dst, WireVariant variant) {
        Layout l = variant.serverInfo();
        ByteBuffer b = dst.slice(dst.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        ClientId.write(b.position(l.id()), id, variant);
        b.putInt(l.ip1(), ip1).putInt(l.ip2(), ip2);
        b.putShort(l.port1(), (short) echoPort1).putShort(l.port2(), (short) echoPort2);
        b.putShort(l.port3(), (short) extFlags).putShort(l.port4(), (short) keepaliveSec);
        b.putLong(l.port5(), token);
        for (int i = l.id() + variant.idFieldSize(); i < l.ip1(); i++) {
            b.put(i, (byte) 0);
        }
        dst.position(dst.position() + l.size());
    }

    /**
     * Reads the struct in {@code variant} at the buffer's position and advances it by its size.
     *
     * @throws WireFormatException on a malformed ID field
     */
    public static ServerInfo read(ByteBuffer src, WireVariant variant) {
        Layout l = variant.serverInfo();
        ByteBuffer b = src.slice(src.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        String id = ClientId.read(b.position(l.id()), variant);
        ServerInfo s = new ServerInfo(id, b.getInt(l.ip1()), b.getInt(l.ip2()),
                b.getShort(l.port1()) & 0xffff, b.getShort(l.port2()) & 0xffff, b.getShort(l.port3()) & 0xffff,
                b.getShort(l.port4()) & 0xffff, b.getLong(l.port5()));
        src.position(src.position() + l.size());
        return s;
    }
}
