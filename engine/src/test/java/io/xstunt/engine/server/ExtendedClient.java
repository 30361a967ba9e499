package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.idField;
import static io.xstunt.engine.server.OriginalClient.logState;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;

import io.xstunt.engine.wire.RegistrationProof;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * An xstunt client's extended registration and requests with raw sockets and hand-laid bytes
 * (docs/PROTOCOL.md, "Authentication and ownership"): 'X' at offset 32 of the ID field; flags at
 * ServerInfo offset 48, keepalive at 50, token at 52..59; proof after LogState; token after a Msg
 * with "XT" in its pad bytes.
 */
final class ExtendedClient {
    private ExtendedClient() {
    }

    /** What an extended registration got. */
    record Registration(Socket log, byte[] serverInfo) implements AutoCloseable {
        int flags() {
            return uint16(serverInfo, 48);
        }

        int keepaliveSec() {
            return uint16(serverInfo, 50);
        }

        long token() {
            return ByteBuffer.wrap(serverInfo, 52, 8).getLong();
        }

        String acceptedId() {
            return OriginalClient.idAt(serverInfo, 0);
        }

        @Override
        public void close() throws IOException {
            log.close();
        }
    }

    static byte[] extendedIdField(String id) {
        byte[] f = idField(id);
        f[32] = 'X';
        return f;
    }

    /**
     * Registers asking for the extensions; sends the proof computed with {@code secret} when the
     * server asks for one ({@code proof} overrides it when not null).
     */
    static Registration register(String publicIp, InetSocketAddress logService, String id, int state, String localIp,
                                 byte[] secret, byte[] proof) throws IOException {
        Socket s = connect(publicIp, logService);
        try {
            read(s, 12);
            write(s, extendedIdField(id));
            byte[] info = read(s, OriginalClient.SERVER_INFO);
            Registration r = new Registration(s, info);
            if (info[0] != 0) {
                write(s, logState(state, localIp));
                if ((r.flags() & 2) != 0) {
                    write(s, proof != null ? proof : RegistrationProof.compute(secret, r.token(), id));
                }
            }
            return r;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A Msg with the token after it. */
    static byte[] msgWithToken(int type, String src, String dst, long token) {
        byte[] m = OriginalClient.msg(type, src, dst);
        byte[] out = new byte[m.length + 8];
        System.arraycopy(m, 0, out, 0, m.length);
        out[70] = 'X';
        out[71] = 'T';
        ByteBuffer.wrap(out, 72, 8).putLong(token);
        return out;
    }
}
