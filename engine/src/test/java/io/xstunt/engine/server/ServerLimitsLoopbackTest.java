package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.idAt;
import static io.xstunt.engine.server.OriginalClient.idField;
import static io.xstunt.engine.server.OriginalClient.msg;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.register;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.server.OriginalClient.Registration;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Each configurable limit of the server, on loopback with original-client bytes: the input beyond
 * the limit gets its defined reaction (refused, counted), and a registered client and a session
 * in flight carry on.
 */
@SuppressWarnings("try") // registrations are held open by try-with-resources without being read
class ServerLimitsLoopbackTest {
    private static final String IP_A = "127.0.0.31";
    private static final String IP_B = "127.0.0.32";
    private static final String IP_C = "127.0.0.33";
    private static final String IP_D = "127.0.0.34";

    private static Registration idle(ServerFixture f, String publicIp, String id) throws IOException {
        Registration r = register(publicIp, f.server.logAddress(), id, Protocol.CSTATE_IDLE, "10.9.9.9");
        assertEquals(id, r.acceptedId());
        f.awaitState(id, Protocol.CSTATE_IDLE);
        return r;
    }

    /** Opens a session alice -> bob and returns its control port; both read their announcement. */
    private static int session(ServerFixture f, Registration a, String ipA, String idA, Registration b, String idB)
            throws IOException {
        assertEquals(0, request(ipA, f.server.commAddress(), msg(Protocol.MSG_CONNECT, idA, idB)));
        int port = uint16(read(a.log(), ECHO), 4);
        read(b.log(), ECHO);
        return port;
    }

    @Test
    void maxClientsRefusesTheNextRegistrationOnly() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.maxClients(2));
             Registration a = idle(f, IP_A, "alice");
             Registration b = idle(f, IP_B, "bob")) {
            try (Registration c = register(IP_C, f.server.logAddress(), "carol", Protocol.CSTATE_IDLE, "10.0.0.3")) {
                assertEquals("", c.acceptedId(), "refused like a taken ID");
                assertClosedByServer(c.log());
            }
            f.awaitCount(Rejection.TOO_MANY_CLIENTS, 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("alice"));
            assertEquals(0, request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")),
                    "the registered clients still meet");
            a.close();
            f.awaitGone("alice");
            try (Registration c = idle(f, IP_C, "carol")) {
                assertEquals(2, f.server.registeredCount(), "room again once one left");
            }
        }
    }

    @Test
    void maxConnectionsPerSourceClosesTheExtraConnectionOnly() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.maxConnectionsPerSource(3));
             Registration keep = idle(f, IP_A, "alice")) {
            List<Socket> held = new ArrayList<>();
            try {
                // three from IP_C on three different services: log, comm, log
                held.add(connect(IP_C, f.server.logAddress()));
                read(held.get(0), 12);
                held.add(connect(IP_C, f.server.commAddress()));
                held.add(connect(IP_C, f.server.logAddress()));
                read(held.get(2), 12);
                await3(f);
                for (InetSocketAddress service : new InetSocketAddress[] {f.server.logAddress(),
                        f.server.commAddress(), new InetSocketAddress("127.0.0.2", f.server.echoPorts()[0])}) {
                    try (Socket extra = connect(IP_C, service)) {
                        assertClosedByServer(extra); // no greeting, no echo: closed at once
                    }
                }
                f.awaitCount(Rejection.SOURCE_LIMIT, 3);
                assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("alice"));
                try (Registration other = idle(f, IP_B, "bob")) {
                    assertEquals(2, f.server.registeredCount(), "another address is not limited");
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            ServerFixture.await("IP_C's connections released", () -> f.server.openConnections() == 1);
            try (Registration c = idle(f, IP_C, "carol")) {
                assertEquals(2, f.server.registeredCount(), "IP_C may connect again");
            }
            f.awaitGone("carol");
            assertEquals(1, f.server.sourcesTracked(), "no count is left for a gone address");
        }
    }

    private static void await3(ServerFixture f) {
        ServerFixture.await("3 connections from IP_C held", () -> f.server.openConnections() == 4);
    }

    @Test
    void maxSessionsAnswersMinusOneBeyondTheLimit() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.maxSessions(1));
             Registration a = idle(f, IP_A, "alice");
             Registration b = idle(f, IP_B, "bob");
             Registration c = idle(f, IP_C, "carol");
             Registration d = idle(f, IP_D, "dave")) {
            int port = session(f, a, IP_A, "alice", b, "bob");
            assertEquals(-1, request(IP_C, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "carol", "dave")));
            f.awaitCount(Rejection.SESSION_LIMIT, 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("carol"));
            // the session in flight is unaffected: it relays
            InetSocketAddress control = new InetSocketAddress("127.0.0.1", port);
            try (Socket ca = connect(IP_A, control); Socket cb = connect(IP_B, control)) {
                write(ca, new byte[] {1, 4, 1, 0, 0, 0});
                OriginalClient.assertBytes(new byte[] {1, 4, 1, 0, 0, 0}, cb);
            }
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            f.awaitNoLeaks(4);
            assertEquals(0, request(IP_C, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "carol", "dave")),
                    "room again once the session ended");
        }
    }

    @Test
    void aConnectFloodAgainstAClientThatDoesNotReadIsBounded() throws Exception {
        int maxPending = 3;
        try (ServerFixture f = new ServerFixture(b -> b.maxPendingAnnouncements(maxPending)
                .maxAnnouncementsPerSecond(1_000_000));
             Registration a = idle(f, IP_A, "alice");
             Socket victimSocket = unreadingLog(f, IP_B, "bob")) {
            // alice opens session after session with bob and ends each at once; bob reads nothing
            int sessions = 0;
            Integer reply = 0;
            while (reply == 0) {
                reply = request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob"));
                if (reply == 0) {
                    sessions++;
                    int port = uint16(read(a.log(), ECHO), 4);
                    try (Socket ca = connect(IP_A, new InetSocketAddress("127.0.0.1", port))) {
                        ca.setSoLinger(true, 0);
                    }
                    f.awaitState("bob", Protocol.CSTATE_IDLE);
                }
                assertTrue(sessions < 20_000, "the flood was never refused");
            }
            assertEquals(-1, reply);
            f.awaitCount(Rejection.ANNOUNCEMENT_BACKLOG, 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("bob"), "bob keeps his ID");
            // bob reads at last: every announcement is whole and addressed to him, none was lost
            victimSocket.setSoTimeout(2000);
            for (int i = 0; i < sessions; i++) {
                byte[] e = read(victimSocket, ECHO);
                assertEquals("alice", idAt(e, 12), "announcement " + i);
                assertEquals('S', (char) e[52]);
            }
            assertEquals(0, request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")),
                    "bob can be reached again once he read");
        }
    }

    @Test
    void aConnectFloodAgainstAReadingClientIsHeldToItsAnnouncementRate() throws Exception {
        int rate = 5;
        try (ServerFixture f = new ServerFixture(b -> b.maxAnnouncementsPerSecond(rate));
             Registration a = idle(f, IP_A, "alice");
             Registration b = idle(f, IP_B, "bob")) {
            int accepted = 0;
            Integer reply = 0;
            long start = System.nanoTime();
            while (reply == 0) {
                reply = request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob"));
                if (reply == 0) {
                    accepted++;
                    int port = uint16(read(a.log(), ECHO), 4);
                    read(b.log(), ECHO); // bob reads every announcement
                    try (Socket ca = connect(IP_A, new InetSocketAddress("127.0.0.1", port))) {
                        ca.setSoLinger(true, 0);
                    }
                    f.awaitState("bob", Protocol.CSTATE_IDLE);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(-1, reply);
            f.awaitCount(Rejection.ANNOUNCEMENT_RATE, 1);
            assertTrue(accepted <= rate + rate * seconds + 1, accepted + " announcements in " + seconds + " s");
            assertTrue(accepted >= rate, "a full second's worth first, got " + accepted);
            // the budget refills: bob is reachable again a moment later
            ServerFixture.await("bob reachable again", () -> {
                try {
                    return request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")) == 0;
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    /** Registers {@code id} IDLE on a socket with the smallest receive buffer, and reads nothing more. */
    private static Socket unreadingLog(ServerFixture f, String ip, String id) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(1);
        s.setSoTimeout(OriginalClient.READ_TIMEOUT_MS);
        s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
        s.connect(f.server.logAddress(), OriginalClient.READ_TIMEOUT_MS);
        read(s, 12);
        write(s, idField(id));
        assertEquals(id, idAt(read(s, OriginalClient.SERVER_INFO), 0));
        write(s, OriginalClient.logState(Protocol.CSTATE_IDLE, "10.0.0.2"));
        f.awaitState(id, Protocol.CSTATE_IDLE);
        return s;
    }

    @Test
    void aSilentOriginalClientIsFreedWithinItsIdleTimeout() throws Exception {
        long idleMs = 1500; // alice is watched for 100 ticks of 200 ms: never freed in 13 idle timeouts fails
        try (ServerFixture f = new ServerFixture(b -> b.originalIdleTimeout(Duration.ofMillis(idleMs)));
             Registration talker = idle(f, IP_B, "bob");
             Registration a = idle(f, IP_A, "alice")) {
            long start = System.nanoTime();
            // bob writes a line about every 200 ms (paced by a bounded read on alice's socket); alice is silent
            a.log().setSoTimeout(200);
            boolean closed = false;
            for (int i = 0; i < 100 && !closed; i++) {
                write(talker.log(), "1.000:t:1:alive\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                try {
                    closed = a.log().getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException tick) {
                    // alice still registered
                } catch (java.net.SocketException reset) {
                    closed = true;
                }
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "alice was never freed");
            f.awaitGone("alice");
            assertTrue(ms >= idleMs - 100, "freed before its idle timeout, after " + ms + " ms");
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("bob"), "a client that talks stays");
            assertEquals(1, f.server.rejected(Rejection.IDLE_TIMEOUT));
        }
    }

    @Test
    void slowlorisDrippingTheIdFieldIsCutAtTheHandshakeTimeout() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.handshakeTimeout(Duration.ofMillis(1000)));
             Registration keep = idle(f, IP_A, "alice");
             Socket s = connect(IP_C, f.server.logAddress());
             Socket c = connect(IP_C, f.server.commAddress())) {
            read(s, 12);
            // one byte every ~100 ms (each wait bounded by SO_TIMEOUT), well inside the timeout each:
            // if every byte moved the deadline, all 32 would go through
            int dripped = 0;
            s.setSoTimeout(100);
            try {
                while (dripped < 32) {
                    write(s, new byte[] {'m'});
                    write(c, new byte[] {0});
                    dripped++;
                    try {
                        if (s.getInputStream().read() < 0) {
                            break; // closed by the server
                        }
                    } catch (java.net.SocketTimeoutException tick) {
                        // still open: drip on
                    }
                }
            } catch (java.net.SocketException closed) {
                // the server closed while we dripped: that is the point
            }
            assertTrue(dripped < 32, "cut before the whole ID field was dripped, got " + dripped + " bytes in");
            s.setSoTimeout(OriginalClient.READ_TIMEOUT_MS);
            assertClosedByServer(s);
            assertClosedByServer(c);
            f.awaitCount(Rejection.HANDSHAKE_TIMEOUT, 2);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("alice"));
            f.awaitNoLeaks(1);
        }
    }
}
