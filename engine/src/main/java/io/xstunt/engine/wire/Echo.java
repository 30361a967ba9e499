package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Echo}: the echo service's reply (the client's public address as seen by the server)
 * and the log service's session announcement (reference: struct Echo).
 *
 * <p>Layout: {@code INT32 nIP; INT16 wPort; INT16 wPadding;} then a 48-byte union whose Conn
 * variant is {@code INT32 nConnID; CHAR chPeerID[33]; INT32 nPeerIP; CHAR chRole}. Decision:
 * nConnID travels in network order like every other INT32 of the protocol; an address reply
 * has the union all zero.
 *
 * @param ip the address (client's public IP in a reply; control channel IP in an announcement)
 * @param port the port, likewise
 * @param connId the session id (0 in an address reply)
 * @param peerId the other side's ID ("" in an address reply)
 * @param peerIp the other side's public IP (0 in an address reply)
 * @param role {@link Protocol#ROLE_INITIATOR} or {@link Protocol#ROLE_LISTENER} (0 in a reply)
 */
public record Echo(int ip, int port, int connId, String peerId, int peerIp, byte role) {
    private static final CStructLayout CONN = new CStructLayout();
    private static final int CONN_ID = CONN.field(4, 4);
    private static final int CONN_PEER_ID = CONN.field(Protocol.ID_FIELD_LEN, 1);
    private static final int CONN_PEER_IP = CONN.field(4, 4);
    private static final int CONN_ROLE = CONN.field(1, 1);
    private static final CStructLayout TCP = new CStructLayout();
    static {
        TCP.field(4, 4); // nSeq
        TCP.field(1, 1); // chResponse
    }
    private static final CStructLayout DATA = new CStructLayout();
    static {
        DATA.field(24, 1); // chData[24]
    }
    private static final CStructLayout L = new CStructLayout();
    static final int OFF_IP = L.field(4, 4);
    static final int OFF_PORT = L.field(2, 2);
    static final int OFF_PADDING = L.field(2, 2);
    static final int OFF_UNION = L.nested(CStructLayout.union(DATA, TCP, CONN));
    /** Size on the wire (56 with MAX_ID_LEN 32). */
    public static final int SIZE = L.size();

    /** @return an address reply of the echo service */
    public static Echo address(int ip, int port) {
        return new Echo(ip, port, 0, "", 0, (byte) 0);
    }

    /**
     * @return true if this is the server's all-zero record on a log connection (xstunt
     *     extension): its keepalive, and its acknowledgement of an IDLE registration; no
     *     announcement or address reply can be all zero
     */
    public boolean isKeepalive() {
        return role == 0 && ip == 0 && port == 0;
    }

    /** @return true if this is a session announcement (has a role) */
    public boolean isAnnouncement() {
        return role != 0;
    }

    /** Writes the struct at the buffer's position and advances it by {@link #SIZE}. */
    public void write(ByteBuffer dst) {
        ByteBuffer b = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(OFF_IP, ip).putShort(OFF_PORT, (short) port);
        if (role != 0) {
            b.putInt(OFF_UNION + CONN_ID, connId);
            ClientId.write(b.position(OFF_UNION + CONN_PEER_ID), peerId);
            b.putInt(OFF_UNION + CONN_PEER_IP, peerIp);
            b.put(OFF_UNION + CONN_ROLE, role);
        }
        dst.position(dst.position() + SIZE);
    }

    /**
     * Writes an address reply without allocating (the echo service's hot path).
     */
    public static void writeAddress(ByteBuffer dst, int ip, int port) {
        int p = dst.position();
        for (int i = 0; i < SIZE; i++) {
            dst.put(p + i, (byte) 0);
        }
        ByteOrder order = dst.order();
        dst.order(ByteOrder.BIG_ENDIAN).putInt(p + OFF_IP, ip).putShort(p + OFF_PORT, (short) port);
        dst.order(order).position(p + SIZE);
    }

    /**
     * Reads the struct at the buffer's position and advances it by {@link #SIZE}.
     *
     * @throws WireFormatException on a malformed peer ID field
     */
    public static Echo read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        byte role = b.get(OFF_UNION + CONN_ROLE);
        Echo e;
        if (role == 0) {
            e = address(b.getInt(OFF_IP), b.getShort(OFF_PORT) & 0xffff);
        } else {
            if (role != Protocol.ROLE_INITIATOR && role != Protocol.ROLE_LISTENER) {
                throw new WireFormatException("Echo has an unknown role byte " + (role & 0xff));
            }
            String peer = ClientId.read(b.position(OFF_UNION + CONN_PEER_ID));
            e = new Echo(b.getInt(OFF_IP), b.getShort(OFF_PORT) & 0xffff, b.getInt(OFF_UNION + CONN_ID),
                    peer, b.getInt(OFF_UNION + CONN_PEER_IP), role);
        }
        src.position(src.position() + SIZE);
        return e;
    }
}
