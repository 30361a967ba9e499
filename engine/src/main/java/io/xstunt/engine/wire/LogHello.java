package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The log service's greeting: three INT32 in network order, the client build the server
 * requires, the server's own version, and the client's public IPv4 as the server sees it.
 *
 * @param requiredBuild the client build the server requires ({@link Protocol#BUILD_VERSION})
 * @param serverVersion the server's version
 * @param clientPublicIp the client's public IPv4 (big-endian int)
 */
public record LogHello(int requiredBuild, int serverVersion, int clientPublicIp) {
    /** Size on the wire. */
    public static final int SIZE = Protocol.LOG_HELLO_LEN;

    /** Writes the greeting at the buffer's position. */
    public void write(ByteBuffer dst) {
        ByteOrder o = dst.order();
        dst.order(ByteOrder.BIG_ENDIAN).putInt(requiredBuild).putInt(serverVersion).putInt(clientPublicIp);
        dst.order(o);
    }

    /** Reads the greeting at the buffer's position. */
    public static LogHello read(ByteBuffer src) {
        ByteBuffer b = src.slice(src.position(), SIZE).order(ByteOrder.BIG_ENDIAN);
        src.position(src.position() + SIZE);
        return new LogHello(b.getInt(0), b.getInt(4), b.getInt(8));
    }
}
