package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code Fingerprint}: the NAT's TCP mapping behaviour as probed, stored in
 * {@code fingerprint.dat} (reference: struct Fingerprint, XWriteFingerprint, XReadFingerprint).
 * Its size and offsets are the {@link WireVariant}'s.
 *
 * <p>Two encodings. Ours ({@link #write}, {@link #read}; decision 8 of docs/PROTOCOL.md): every
 * INT32 in network order, as on the wire. The original's ({@link #readX86}): XWriteFingerprint
 * dumps the struct from memory, so on x86 its INT32s are little-endian, except {@code nGAddr},
 * which holds an {@code s_addr} (the address bytes in network order), and its increment is the
 * port difference modulo 65536 (a delta of -1 is stored as 65535).
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
    /** Where each field of one variant's Fingerprint lies. */
    record Layout(int clientVer, int serverVer, int id, int done, int gAddr, int increment, int preserving,
                  int size) {
        static Layout of(int idField) {
            CStructLayout tcp = new CStructLayout();
            int increment = tcp.field(4, 4);
            int preserving = tcp.field(1, 1);
            CStructLayout l = new CStructLayout();
            int clientVer = l.field(4, 4);
            int serverVer = l.field(4, 4);
            int id = l.field(idField, 1);
            int done = l.field(4, 4);
            int gAddr = l.field(4, 4);
            int connection = l.nested(tcp);
            return new Layout(clientVer, serverVer, id, done, gAddr, connection + increment, connection + preserving,
                    l.size());
        }
    }

    /** The largest port difference that is a step up; the original's larger ones are steps down. */
    private static final int MAX_STEP_UP = 32767;

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

    /** Writes the struct in {@code variant}, network order, at the buffer's position; advances it by its size. */
    public void write(ByteBuffer dst, WireVariant variant) {
        Layout l = variant.fingerprint();
        ByteBuffer b = dst.slice(dst.position(), l.size()).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < l.size(); i++) {
            b.put(i, (byte) 0);
        }
        b.putInt(l.clientVer(), clientVersion).putInt(l.serverVer(), serverVersion);
        ClientId.write(b.position(l.id()), id, variant);
        b.putInt(l.done(), done ? 1 : 0).putInt(l.gAddr(), publicIp);
        b.putInt(l.increment(), increment);
        b.put(l.preserving(), (byte) (portPreserving ? 1 : 0));
        dst.position(dst.position() + l.size());
    }

    /**
     * Reads the struct in {@code variant}, network order (ours), at the buffer's position and
     * advances it by its size.
     *
     * @throws WireFormatException on a malformed ID field or flag
     */
    public static Fingerprint read(ByteBuffer src, WireVariant variant) {
        return read(src, variant, ByteOrder.BIG_ENDIAN);
    }

    /**
     * Reads the original's file: the struct in {@code variant} as XWriteFingerprint dumped it on x86
     * (see the class comment), at the buffer's position; advances it by its size. Its increment is
     * turned into ours: a stored difference above 32767 is the step down it stands for.
     *
     * @throws WireFormatException on a malformed ID field or flag
     */
    public static Fingerprint readX86(ByteBuffer src, WireVariant variant) {
        Fingerprint f = read(src, variant, ByteOrder.LITTLE_ENDIAN);
        int step = f.increment;
        if (step > MAX_STEP_UP && step <= 0xffff) {
            step -= 0x10000;
        }
        return new Fingerprint(f.clientVersion, f.serverVersion, f.id, f.done, f.publicIp, step, f.portPreserving);
    }

    private static Fingerprint read(ByteBuffer src, WireVariant variant, ByteOrder ints) {
        Layout l = variant.fingerprint();
        ByteBuffer b = src.slice(src.position(), l.size()).order(ints);
        int done = b.getInt(l.done());
        byte preserving = b.get(l.preserving());
        if ((done & ~1) != 0 || (preserving & ~1) != 0) {
            throw new WireFormatException("fingerprint flags are not 0/1");
        }
        // nGAddr is an s_addr: its bytes are the address in network order in either encoding
        int gAddr = b.order(ByteOrder.BIG_ENDIAN).getInt(l.gAddr());
        b.order(ints);
        Fingerprint f = new Fingerprint(b.getInt(l.clientVer()), b.getInt(l.serverVer()),
                ClientId.read(b.position(l.id()), variant), done == 1, gAddr, b.getInt(l.increment()),
                preserving == 1);
        src.position(src.position() + l.size());
        return f;
    }
}
