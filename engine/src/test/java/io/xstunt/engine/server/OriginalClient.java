package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * Speaks to the server as the original C client does, with plain blocking sockets and bytes laid
 * out by hand (offsets from the C structs, not from the project's codecs), every read bounded by
 * SO_TIMEOUT.
 */
final class OriginalClient {
    static final int READ_TIMEOUT_MS = 5000;
    static final int ID_FIELD = 33;
    static final int SERVER_INFO = 60;
    static final int ECHO = 56;
    static final int MSG = 72;

    private OriginalClient() {
    }

    /** Opens a socket bound to {@code localIp} (an emulated public IP) and connects it. */
    static Socket connect(String localIp, InetSocketAddress server) throws IOException {
        Socket s = new Socket();
        try {
            s.setSoTimeout(READ_TIMEOUT_MS);
            s.bind(new InetSocketAddress(InetAddress.getByName(localIp), 0));
            s.connect(server, READ_TIMEOUT_MS);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    static byte[] read(Socket s, int n) throws IOException {
        byte[] b = new byte[n];
        new DataInputStream(s.getInputStream()).readFully(b);
        return b;
    }

    /** Asserts that the server closed the connection (EOF, or a reset after unread data). */
    static void assertClosedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            int b = in.read();
            assertEquals(-1, b, "expected the server to close, got a byte " + b);
        } catch (SocketException e) {
            // a reset: closed by the server as well
        }
    }

    static void write(Socket s, byte[] b) throws IOException {
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
    }

    static byte[] idField(String id) {
        byte[] f = new byte[ID_FIELD];
        byte[] t = id.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, f, 0, t.length);
        return f;
    }

    static String idAt(byte[] b, int off) {
        int end = off;
        while (b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.US_ASCII);
    }

    static int int32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    static int uint16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | (b[off + 1] & 0xff);
    }

    static int ip(String dotted) throws IOException {
        byte[] a = InetAddress.getByName(dotted).getAddress();
        return int32(a, 0);
    }

    /** struct Msg: INT32 nType, then chSrcID[33] at 4 and chDstID[33] at 37, padded to 72. */
    static byte[] msg(int type, String src, String dst) {
        byte[] m = new byte[MSG];
        m[0] = (byte) (type >>> 24);
        m[1] = (byte) (type >>> 16);
        m[2] = (byte) (type >>> 8);
        m[3] = (byte) type;
        System.arraycopy(idField(src), 0, m, 4, ID_FIELD);
        if (dst != null) {
            System.arraycopy(idField(dst), 0, m, 4 + ID_FIELD, ID_FIELD);
        }
        return m;
    }

    /** The state byte and the local IPv4's address bytes. */
    static byte[] logState(int state, String localIp) throws IOException {
        byte[] a = InetAddress.getByName(localIp).getAddress();
        return new byte[] {(byte) state, a[0], a[1], a[2], a[3]};
    }

    /** The log connection of a registration, with what the server sent on it. */
    record Registration(Socket log, byte[] greeting, byte[] serverInfo) implements AutoCloseable {
        String acceptedId() {
            return idAt(serverInfo, 0);
        }

        @Override
        public void close() throws IOException {
            log.close();
        }
    }

    /** Greeting, ID field, ServerInfo; then the state and local IP if the ID was accepted. */
    static Registration register(String publicIp, InetSocketAddress logService, String id, int state,
                                 String localIp) throws IOException {
        Socket s = connect(publicIp, logService);
        try {
            byte[] greeting = read(s, 12);
            write(s, idField(id));
            byte[] info = read(s, SERVER_INFO);
            if (info[0] != 0) {
                write(s, logState(state, localIp));
            }
            return new Registration(s, greeting, info);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** One comm request; returns the INT32 answer, or null if the server closed without one. */
    static Integer request(String publicIp, InetSocketAddress comm, byte[] msg) throws IOException {
        try (Socket s = connect(publicIp, comm)) {
            write(s, msg);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            int b;
            while ((b = in.read()) >= 0) {
                got.write(b);
            }
            byte[] r = got.toByteArray();
            if (r.length == 0) {
                return null;
            }
            assertEquals(4, r.length, "the comm answer is one INT32, then the server closes");
            return int32(r, 0);
        }
    }

    static void assertBytes(byte[] expected, Socket s) throws IOException {
        assertArrayEquals(expected, read(s, expected.length));
    }
}
