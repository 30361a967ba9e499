package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.idAt;
import static io.xstunt.engine.server.OriginalClient.int32;
import static io.xstunt.engine.server.OriginalClient.ip;
import static io.xstunt.engine.server.OriginalClient.logState;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.engine.wire.Protocol;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A client built from the published XSTUNT source (Client.h: MAX_ID_LEN 31), by hand with plain
 * blocking sockets and offsets written from its C structs: ID field 32 bytes, ServerInfo 56 (nIP1
 * at 32), Echo 52 (chRole at 48), Msg 68. It registers on the same ports as a client of the
 * reference's variant (ID field 33, ServerInfo 60, Echo 56, Msg 72), and the two meet.
 */
@SuppressWarnings("try")
class PublishedClientLoopbackTest {
    private static final int ID_FIELD = 32;
    private static final int SERVER_INFO = 56;
    private static final int ECHO = 52;
    private static final int MSG = 68;

    /** XInit's writes of the published client: its 32-byte ID field, then after ServerInfo, LogState. */
    private static Socket register(ServerFixture f, String publicIp, String id) throws Exception {
        Socket s = connect(publicIp, f.server.logAddress());
        assertEquals(Protocol.BUILD_VERSION, int32(read(s, 12), 0));
        byte[] field = new byte[ID_FIELD];
        byte[] text = id.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, field, 0, text.length);
        write(s, field);
        byte[] info = read(s, SERVER_INFO);
        assertEquals(id, idAt(info, 0));
        assertEquals(ip("127.0.0.1"), int32(info, 32), "nIP1 right after the 32-byte ID field");
        assertEquals(ip("127.0.0.2"), int32(info, 36));
        assertEquals(f.server.echoPorts()[0], uint16(info, 40));
        assertEquals(f.server.echoPorts()[1], uint16(info, 42));
        assertArrayEquals(new byte[12], java.util.Arrays.copyOfRange(info, 44, 56), "wPort3..wPort8 untouched");
        write(s, logState(Protocol.CSTATE_IDLE, "10.0.0.7"));
        return s;
    }

    /** struct Msg of the published client: nType, chSrcID[32] at 4, chDstID[32] at 36, no pad. */
    private static byte[] msg(int type, String src, String dst) {
        byte[] m = new byte[MSG];
        m[2] = (byte) (type >>> 8);
        m[3] = (byte) type;
        byte[] s = src.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, m, 4, s.length);
        if (dst != null) {
            byte[] d = dst.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(d, 0, m, 4 + ID_FIELD, d.length);
        }
        return m;
    }

    @Test
    void aPublishedClientAndAReferenceClientMeetThroughOneServer() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b);
             Socket bob = register(f, "127.0.0.61", "bob");
             OriginalClient.Registration alice = OriginalClient.register("127.0.0.62", f.server.logAddress(), "alice",
                     Protocol.CSTATE_IDLE, "10.0.0.8")) {
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            assertEquals(Protocol.CSTATE_IDLE, request("127.0.0.61", f.server.commAddress(),
                    msg(Protocol.MSG_QUERY, "alice", null)), "a 68-byte MSG_QUERY");
            // the published client connects to the reference's: each reads its announcement in its own layout
            assertEquals(0, request("127.0.0.61", f.server.commAddress(), msg(Protocol.MSG_CONNECT, "bob", "alice")));
            byte[] toBob = read(bob, ECHO);
            byte[] toAlice = read(alice.log(), OriginalClient.ECHO);
            assertEquals('C', toBob[48], "chRole at 48 in the published client's Echo");
            assertEquals("alice", idAt(toBob, 12));
            assertEquals(ip("127.0.0.62"), int32(toBob, 44), "nPeerIP at 44");
            assertEquals('S', toAlice[52]);
            assertEquals("bob", idAt(toAlice, 12));
            assertEquals(ip("127.0.0.61"), int32(toAlice, 48));
            int control = uint16(toBob, 4);
            assertEquals(control, uint16(toAlice, 4), "one control channel for both");
            assertEquals(int32(toBob, 8), int32(toAlice, 8), "one session id");
            // the control channel relays frames, which carry no ID, unchanged between the two
            try (Socket c1 = connect("127.0.0.61", new InetSocketAddress("127.0.0.1", control));
                 Socket c2 = connect("127.0.0.62", new InetSocketAddress("127.0.0.1", control))) {
                byte[] one = {1, 4, 1, 0, 0, 0};
                write(c1, one);
                assertArrayEquals(one, read(c2, one.length));
                byte[] address = {1, 4, 127, 0, 0, 61, 1, 2, (byte) 0x9c, 0x40};
                write(c2, address);
                assertArrayEquals(address, read(c1, address.length));
            }
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            assertNoMoreBytes(bob);
        }
    }

    /** Nothing else arrives on the published client's log connection: no record it could not read. */
    private static void assertNoMoreBytes(Socket s) throws Exception {
        s.setSoTimeout(300);
        InputStream in = s.getInputStream();
        try {
            int b = in.read();
            throw new AssertionError("unexpected byte " + b + " on the published client's log connection");
        } catch (SocketTimeoutException expected) {
            // nothing: as it should be
        }
    }
}
