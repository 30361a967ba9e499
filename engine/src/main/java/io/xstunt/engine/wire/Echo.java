package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Echo}: the echo service's reply (the client's public address as seen by the server)
 * and the log service's session announcement (reference: struct Echo).
 *
 * <p>Layout: {@code INT32 nIP; INT16 wPort; INT16 wPadding;} then a union whose largest variant is
 * Conn, {@code INT32 nConnID; CHAR chPeerID[MAX_ID_LEN + 1]; INT32 nPeerIP; CHAR chRole}; its size
 * and offsets are the {@link WireVariant}'s (the union is 48 bytes in {@link WireVariant#ID32}, 44
 * in {@link WireVariant#ID31}). Decision: nConnID travels in network order like every other INT32
 * of the protocol; an address reply has the union all zero.
 *
 * <p>Reading is as liberal as the original client, which reads only {@code nIP} and {@code wPort}
 * of any Echo: it never fails. The union is read as Conn whatever the role byte, which is kept as
 * it came ({@link Protocol#ROLE_INITIATOR}, {@link Protocol#ROLE_LISTENER} from an xstunt server,
 * anything from another), and a peer ID field that is not a valid ID reads as ""
 * ({@link #peerIdValid()} false). Whether a record is an address reply or an announcement is the
 * connection's to say (the echo service answers; the log connection announces), not the record's.
 *
 * @param ip the address (client's public IP in a reply; control channel IP in an announcement)
 * @param port the port, likewise
 * @param connId the session id (0 in an address reply)
 * @param peerId the other side's ID ("" in an address reply, or when the field was not a valid ID)
 * @param peerIp the other side's public IP (0 in an address reply)
 * @param role the role byte: {@link Protocol#ROLE_INITIATOR} or {@link Protocol#ROLE_LISTENER} from
 *     an xstunt server, 0 in a reply
 * @param peerIdValid false when the peer ID field read was not a valid ID field (no NUL, not UTF-8,
 *     a control character)
 */
public record Echo(int ip, int port, int connId, String peerId, int peerIp, byte role, boolean peerIdValid) {
    /** Where each field of one variant's Echo lies (offsets from the start of the Echo). */
    record Layout(int ip, int port, int padding, int union, int connId, int peerId, int peerIp, int role, int size) {
        static Layout of(int idField) {
            CStructLayout conn = new CStructLayout();
            int connId = conn.field(4, 4);
            int peerId = conn.field(idField, 1);
            int peerIp = conn.field(4, 4);
            int role = conn.field(1, 1);
            CStructLayout tcp = new CStructLayout();
            tcp.field(4, 4); // nSeq
            tcp.field(1, 1); // chResponse
            CStructLayout data = new CStructLayout();
            data.field(24, 1); // chData[24]
            CStructLayout l = new CStructLayout();
            int ip = l.field(4, 4);
            int port = l.field(2, 2);
            int padding = l.field(2, 2);
            int union = l.nested(CStructLayout.union(data, tcp, conn));
            return new Layout(ip, port, padding, union, union + connId, union + peerId, union + peerIp, union + role,
                    l.size());
        }
    }

    /**
     * Offset of {@code wPadding}, where the relay extension's flags and marker go: it comes before
     * the union, so it is the same in both variants.
     */
    public static final int OFF_PADDING = Layout.of(1).padding();

    // nIP and wPort come before the union too; the reply's size and these offsets are static
    // finals so that the JIT sees constants: an array of unknown length, or one written at
    // non-constant offsets, is never scalar-replaced (an enum's instance fields are not trusted).
    private static final int OFF_IP = Layout.of(1).ip();
    private static final int OFF_PORT = Layout.of(1).port();
    private static final int ADDRESS_REPLY_SIZE = WireVariant.ID32.echoSize();

    /** An Echo whose peer ID field, if any, is a valid one. */
    public Echo(int ip, int port, int connId, String peerId, int peerIp, byte role) {
        this(ip, port, connId, peerId, peerIp, role, true);
    }

    /** @return an address reply of the echo service */
    public static Echo address(int ip, int port) {
        return new Echo(ip, port, 0, "", 0, (byte) 0);
    }

    /**
     * @return true if the record carries no address (0.0.0.0:0): on a log connection, the xstunt
     *     server's all-zero record (its keepalive, and its acknowledgement of an IDLE
     *     registration), which no announcement can be, since an announcement names the address of
     *     its control channel
     */
    public boolean hasNoAddress() {
        return ip == 0 && port == 0;
    }

    /** Writes the struct in {@code variant} at the buffer's position and advances it by its size. */
    public void write(ByteBuffer dst, WireVariant variant) {
        Layout l = variant.echo();
        ByteBuffer b = dst.slice(dst.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < l.size(); i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(l.ip(), ip).putShort(l.port(), (short) port);
        b.putInt(l.connId(), connId);
        ClientId.write(b.position(l.peerId()), peerId, variant);
        b.putInt(l.peerIp(), peerIp);
        b.put(l.role(), role);
        dst.position(dst.position() + l.size());
    }

    /**
     * The echo service's reply, in the reference's variant (56 bytes) whatever the client's: both
     * variants start with {@code nIP} and {@code wPort}, and a client of the published variant
     * reads its 52 bytes and closes, leaving 4 zero bytes of padding unread.
     *
     * @return a fresh buffer holding the reply, position 0, limit its size
     */
    public static ByteBuffer addressReply(int ip, int port) {
        ByteBuffer b = ByteBuffer.allocate(ADDRESS_REPLY_SIZE); // zeroed, big-endian
        return b.putInt(OFF_IP, ip).putShort(OFF_PORT, (short) port);
    }

    /**
     * Writes an address reply in {@code variant} without allocating (the echo service's hot path).
     */
    public static void writeAddress(ByteBuffer dst, WireVariant variant, int ip, int port) {
        Layout l = variant.echo();
        int p = dst.position();
        for (int i = 0; i < l.size(); i++) {
            dst.put(p + i, (byte) 0);
        }
        ByteOrder order = dst.order();
        dst.order(ByteOrder.BIG_ENDIAN).putInt(p + l.ip(), ip).putShort(p + l.port(), (short) port);
        dst.order(order).position(p + l.size());
    }

    /**
     * Reads the struct in {@code variant} at the buffer's position and advances it by its size. Never
     * fails (see the class comment); an address reply, whose union is zero, reads as
     * {@link #address}.
     */
    public static Echo read(ByteBuffer src, WireVariant variant) {
        Layout l = variant.echo();
        ByteBuffer b = src.slice(src.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        String peer = "";
        boolean valid = true;
        try {
            peer = ClientId.read(b.position(l.peerId()), variant);
        } catch (WireFormatException bad) {
            valid = false; // the original never reads chPeerID: what is in it changes nothing
        }
        Echo e = new Echo(b.getInt(l.ip()), b.getShort(l.port()) & 0xffff, b.getInt(l.connId()), peer,
                b.getInt(l.peerIp()), b.get(l.role()), valid);
        src.position(src.position() + l.size());
        return e;
    }
}
