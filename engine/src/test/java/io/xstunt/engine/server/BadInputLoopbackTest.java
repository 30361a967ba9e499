package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertBytes;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.idField;
import static io.xstunt.engine.server.OriginalClient.msg;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.register;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.engine.server.OriginalClient.Registration;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each class of bad input on each port of the server, while one client is registered and a
 * rendezvous session is relaying: the bad connection is closed, its refusal counted, and the
 * registered client and the session in flight carry on untouched.
 */
@SuppressWarnings("try")
class BadInputLoopbackTest {
    private static final String IP_A = "127.0.0.21";
    private static final String IP_B = "127.0.0.22";
    private static final String IP_C = "127.0.0.23";
    private static final String BAD = "127.0.0.29";
    private static final byte[] FRAME = {1, 4, 1, 0, 0, 0};

    /** One bad input, the port it goes to, and the refusal it must be counted as. */
    enum Case {
        LOG_TRUNCATED_ID(Rejection.TRUNCATED),
        LOG_RANDOM_BYTES(Rejection.INVALID_ID),
        LOG_EMPTY_ID(Rejection.INVALID_ID),
        LOG_ID_WITHOUT_NUL(Rejection.INVALID_ID),
        LOG_ID_NOT_UTF8(Rejection.INVALID_ID),
        LOG_ID_CONTROL_CHARACTER(Rejection.INVALID_ID),
        LOG_BAD_STATE(Rejection.BAD_BYTES),
        LOG_OVERSIZED_LINE(Rejection.OVERSIZE),
        LOG_SILENT(Rejection.HANDSHAKE_TIMEOUT),
        COMM_TRUNCATED_MSG(Rejection.TRUNCATED),
        COMM_UNKNOWN_TYPE(Rejection.BAD_BYTES),
        COMM_ID_WITHOUT_NUL(Rejection.BAD_BYTES),
        COMM_TALKS_AFTER_ITS_MSG(Rejection.UNEXPECTED_DATA),
        COMM_SILENT(Rejection.HANDSHAKE_TIMEOUT),
        CONTROL_STRANGER(Rejection.CONTROL_REFUSED),
        CONTROL_SIDE_THAT_DOES_NOT_READ(Rejection.SLOW_READER),
        ECHO_TALKS(null);

        final Rejection counted;

        Case(Rejection counted) {
            this.counted = counted;
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void theBadConnectionIsClosedAndCountedAndNothingElseChanges(Case c) throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.handshakeTimeout(Duration.ofMillis(2000)).maxLogLine(200));
             Registration carol = idle(f, IP_C, "carol", "10.0.0.3");
             Registration alice = idle(f, IP_A, "alice", "10.0.0.1");
             Registration bob = idle(f, IP_B, "bob", "10.0.0.2")) {
            // a session in flight: both control connections in, relaying
            assertEquals(0, request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            InetSocketAddress control = new InetSocketAddress("127.0.0.1", uint16(read(alice.log(), ECHO), 4));
            read(bob.log(), ECHO);
            try (Socket ca = connect(IP_A, control); Socket cb = connect(IP_B, control)) {
                relays(ca, cb);

                badInput(f, c, control);

                if (c.counted != null) {
                    f.awaitCount(c.counted, 1);
                }
                assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("carol"), "carol untouched");
                assertEquals(OptionalInt.of(Protocol.CSTATE_BUSY), f.server.stateOf("alice"), "session in flight");
                assertEquals(OptionalInt.of(Protocol.CSTATE_BUSY), f.server.stateOf("bob"));
                relays(cb, ca);
                relays(ca, cb);
                assertEquals(Protocol.CSTATE_IDLE, request(IP_C, f.server.commAddress(),
                        msg(Protocol.MSG_QUERY, "carol", null)), "the comm service still answers");
            }
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            f.awaitNoLeaks(3);
        }
    }

    private static Registration idle(ServerFixture f, String ip, String id, String local) throws IOException {
        Registration r = register(ip, f.server.logAddress(), id, Protocol.CSTATE_IDLE, local);
        f.awaitState(id, Protocol.CSTATE_IDLE);
        return r;
    }

    private static void relays(Socket from, Socket to) throws IOException {
        write(from, FRAME);
        assertBytes(FRAME, to);
    }

    private static void badInput(ServerFixture f, Case c, InetSocketAddress control) throws IOException {
        InetSocketAddress log = f.server.logAddress();
        InetSocketAddress comm = f.server.commAddress();
        switch (c) {
            case LOG_TRUNCATED_ID -> {
                try (Socket s = connect(BAD, log)) {
                    read(s, 12);
                    write(s, Arrays.copyOf(idField("mallory"), 10)); // and the client goes away
                }
            }
            case LOG_RANDOM_BYTES -> {
                byte[] junk = new byte[300];
                new Random(5).nextBytes(junk);
                for (int i = 0; i < 33; i++) { // no NUL in the ID field's 33 bytes
                    junk[i] = junk[i] == 0 ? 7 : junk[i];
                }
                logAnswersEmptyAndCloses(log, junk);
            }
            case LOG_EMPTY_ID -> logAnswersEmptyAndCloses(log, new byte[33]);
            case LOG_ID_WITHOUT_NUL -> {
                byte[] b = new byte[33];
                Arrays.fill(b, (byte) 'm');
                logAnswersEmptyAndCloses(log, b);
            }
            case LOG_ID_NOT_UTF8 -> logAnswersEmptyAndCloses(log, field((byte) 0xff, (byte) 0xfe, (byte) 'x'));
            case LOG_ID_CONTROL_CHARACTER -> logAnswersEmptyAndCloses(log, field((byte) 'm', (byte) 7));
            case LOG_BAD_STATE -> {
                try (Socket s = connect(BAD, log)) {
                    read(s, 12);
                    write(s, idField("mallory"));
                    read(s, OriginalClient.SERVER_INFO);
                    write(s, new byte[] {9, 9, 9, 9, 9});
                    assertClosedByServer(s);
                }
                f.awaitGone("mallory");
            }
            case LOG_OVERSIZED_LINE -> {
                try (Registration m = register(BAD, log, "mallory", Protocol.CSTATE_IDLE, "10.0.0.9")) {
                    f.awaitState("mallory", Protocol.CSTATE_IDLE);
                    write(m.log(), "z".repeat(500).getBytes(StandardCharsets.US_ASCII));
                    assertClosedByServer(m.log());
                }
                f.awaitGone("mallory");
            }
            case LOG_SILENT -> {
                try (Socket s = connect(BAD, log)) {
                    read(s, 12);
                    assertClosedByServer(s);
                }
            }
            case COMM_TRUNCATED_MSG -> {
                try (Socket s = connect(BAD, comm)) {
                    write(s, Arrays.copyOf(msg(Protocol.MSG_QUERY, "carol", null), 30));
                }
            }
            case COMM_UNKNOWN_TYPE -> commClosesWithoutAnswer(comm, msg(4242, "carol", null));
            case COMM_ID_WITHOUT_NUL -> {
                byte[] m = msg(Protocol.MSG_DEREGISTER, "carol", null);
                Arrays.fill(m, 4, 37, (byte) 'c');
                commClosesWithoutAnswer(comm, m);
            }
            case COMM_TALKS_AFTER_ITS_MSG -> {
                byte[] m = Arrays.copyOf(msg(Protocol.MSG_QUERY, "carol", null), 100);
                try (Socket s = connect(BAD, comm)) {
                    write(s, m);
                    try {
                        assertEquals(Protocol.CSTATE_IDLE, OriginalClient.int32(read(s, 4), 0));
                        assertClosedByServer(s);
                    } catch (SocketException reset) {
                        // the server closed with our extra bytes unread: a reset, closed as well
                    }
                }
            }
            case COMM_SILENT -> {
                try (Socket s = connect(BAD, comm)) {
                    assertClosedByServer(s);
                }
            }
            case CONTROL_STRANGER -> {
                // the session's listener is closed once both sides are in: a new session's is open
                try (Registration d = idle(f, "127.0.0.24", "dave", "10.0.0.4");
                     Registration e = idle(f, "127.0.0.25", "erin", "10.0.0.5")) {
                    assertEquals(0, request("127.0.0.24", comm, msg(Protocol.MSG_CONNECT, "dave", "erin")));
                    int port = uint16(read(d.log(), ECHO), 4);
                    try (Socket s = connect(BAD, new InetSocketAddress("127.0.0.1", port))) {
                        assertClosedByServer(s);
                    }
                }
            }
            case CONTROL_SIDE_THAT_DOES_NOT_READ -> {
                try (Registration d = idle(f, "127.0.0.24", "dave", "10.0.0.4");
                     Registration e = idle(f, "127.0.0.25", "erin", "10.0.0.5")) {
                    assertEquals(0, request("127.0.0.24", comm, msg(Protocol.MSG_CONNECT, "dave", "erin")));
                    InetSocketAddress ctl = new InetSocketAddress("127.0.0.1", uint16(read(d.log(), ECHO), 4));
                    read(e.log(), ECHO);
                    Socket sleeper = new Socket();
                    sleeper.setReceiveBufferSize(1);
                    sleeper.bind(new InetSocketAddress("127.0.0.25", 0));
                    sleeper.connect(ctl);
                    try (sleeper; Socket talker = connect("127.0.0.24", ctl)) {
                        byte[] chunk = new byte[64 * 1024];
                        try {
                            for (int i = 0; i < 64 && f.server.rejected(Rejection.SLOW_READER) == 0; i++) {
                                write(talker, chunk); // erin reads nothing
                            }
                        } catch (SocketException closed) {
                            // the server ended the session meanwhile
                        }
                        f.awaitCount(Rejection.SLOW_READER, 1);
                        assertClosedByServer(talker);
                    }
                    f.awaitState("dave", Protocol.CSTATE_IDLE);
                    f.awaitState("erin", Protocol.CSTATE_IDLE);
                }
            }
            case ECHO_TALKS -> {
                try (Socket s = connect(BAD, new InetSocketAddress("127.0.0.2", f.server.echoPorts()[0]))) {
                    write(s, new byte[] {1, 2, 3});
                    try {
                        read(s, ECHO); // the reply may already be on its way
                    } catch (SocketException reset) {
                        // closed by the server with our bytes unread
                    }
                    assertClosedByServer(s);
                }
            }
        }
    }

    private static byte[] field(byte... start) {
        return Arrays.copyOf(start, 33);
    }

    private static void logAnswersEmptyAndCloses(InetSocketAddress log, byte[] bytes) throws IOException {
        try (Socket s = connect(BAD, log)) {
            read(s, 12);
            write(s, bytes);
            try {
                assertEquals("", OriginalClient.idAt(read(s, OriginalClient.SERVER_INFO), 0), "refused");
                assertClosedByServer(s);
            } catch (SocketException reset) {
                // more bytes than the ID field: closed with some unread, a reset
            }
        }
    }

    private static void commClosesWithoutAnswer(InetSocketAddress comm, byte[] m) throws IOException {
        try (Socket s = connect(BAD, comm)) {
            write(s, m);
            assertClosedByServer(s);
        }
    }
}
