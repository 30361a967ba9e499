package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Fingerprint}: the NAT's TCP mapping behaviour as probed, stored in
 * {@code fingerprint.dat} (reference: struct Fingerprint, XWriteFingerprint, XReadFingerprint).
 * Decision: every INT32 is stored in network order, as on the wire.
 *
 * @param clientVersion the build that probed ({@link Protocol#BUILD_VERSION})
 * @param serverVersion the server version at probing time
 * @param id the client ID that probed
 * @param done whether probing completed
 * @param publicIp the public IPv4 the probe saw (big-endian int)
 * @param increment the port increment between mappings: 0 cone, N delta-N,
 *     {@link Protocol#RANDOM_INCREMENT} random
 * @param portPreserving whether the NAT keeps the local port
 */
public record Fingerprint(int clientVersion, int serverVersion, String id, boolean done, int publicIp,
                          int increment, boolean portPreserving) {
    private static final CStructLayout CONNECTION = new CStructLayout();
    private static final int INCREMENT = CONNECTION.field(4, 4);
    private static final int PRESERVING = CONNECTION.field(1, 1);
    private static final CStructLayout L = new CStructLayout();
    static final int OFF_CLIENT_VER = L.field(4, 4);
    static final int OFF_SERVER_VER = L.field(4, 4);
    static final int OFF_ID = L.field(Protocol.ID_FIELD_LEN, 1);
    static final int OFF_DONE = L.field(4, 4);
    static final int OFF_GADDR = L.field(4, 4);
    static final int OFF_CONNECTION = L.nested(CONNECTION);
    /** Size in the file (60 with MAX_ID_LEN 32). */
    public static final int SIZE = L.size();

    /** @return true if the NAT maps every connection from one local port to one public port */
    public boolean isCone() {
        return increment == 0;
    }

    /** @return true if the NAT's mapping could not be predicted from successive probes */
    public boolean isRandom() {
        return increment == Protocol.RANDOM_INCREMENT;
    }

    /**
     * The readable form of XGenFingerprint: {@code TCP PORT-PRESERVING CONE},
     * {@code TCP NOT-PORT-PRESERVING DELTA-2-SYMMETRIC}, {@code TCP NOT-PORT-PRESERVING RANDOM-SYMMETRIC}.
     */
    public String describe() {
        String preserving = portPreserving ? "PORT-PRESERVING" : "NOT-PORT-PRESERVING";
        String mapping = isCone() ? "CONE" : isRandom() ? "RANDOM-SYMMETRIC" : "DELTA-" + increment + "-SYMMETRIC";
        return "TCP " + preserving + " " + mapping;
    }

    /** Writes the struct at the buffer's position and advances it by {@link #SIZE}. */
    public void write(ByteBuffer dst) {
        ByteBuffer b = dst.slice(dst.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(OFF_CLIENT_VER, clientVersion).putInt(OFF_SERVER_VER, serverVersion);
        ClientId.write(b.position(OFF_ID), id);
        b.putInt(OFF_DONE, done ? 1 : 0).putInt(OFF_GADDR, publicIp);
        b.putInt(OFF_CONNECTION + INCREMENT, increment);
        b.put(OFF_CONNECTION + PRESERVING, (byte) (portPreserving ? 1 : 0));
        dst.position(dst.position() + SIZE);
    }

    /**
     * Reads the struct at the buffer's position and advances it by {@link #SIZE}.
     *
     * @throws WireFormatException on a malformed ID field or flag
     */
    public static Fingerprint read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        int done = b.getInt(OFF_DONE);
        byte preserving = b.get(OFF_CONNECTION + PRESERVING);
        if ((done & ~1) != 0 || (preserving & ~1) != 0) {
            throw new WireFormatException("fingerprint flags are not 0/1");
        }
        Fingerprint f = new Fingerprint(b.getInt(OFF_CLIENT_VER), b.getInt(OFF_SERVER_VER),
                ClientId.read(b.position(OFF_ID)), done == 1, b.getInt(OFF_GADDR),
                b.getInt(OFF_CONNECTION + INCREMENT), preserving == 1);
        src.position(src.position() + SIZE);
        return f;
    }
}
