package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertBytes;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.idAt;
import static io.xstunt.engine.server.OriginalClient.idField;
import static io.xstunt.engine.server.OriginalClient.int32;
import static io.xstunt.engine.server.OriginalClient.ip;
import static io.xstunt.engine.server.OriginalClient.msg;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.register;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.LoopTesting;
import io.xstunt.engine.server.OriginalClient.Registration;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server on 127.0.0.1 + 127.0.0.2 (ports 0) on a loop thread of its own, driven by original-
 * client byte sequences from distinct loopback addresses that stand for distinct public IPs.
 */
@SuppressWarnings("try") // registrations are held open by try-with-resources without being read
class StuntServerLoopbackTest {
    private static final String IP_A = "127.0.0.11";
    private static final String IP_B = "127.0.0.12";
    private static final String IP_C = "127.0.0.13";
    private static final String LOCAL_A = "10.0.0.11";
    private static final String LOCAL_B = "10.0.0.12";
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ConcurrentLinkedQueue<String> clientLines = new ConcurrentLinkedQueue<>();
    private EventLoop loop;
    private StuntServer server;
    private int baseKeys;

    @BeforeEach
    void startServer() throws Exception {
        start(b -> b);
    }

    private void start(UnaryOperator<ServerConfig.Builder> tune) throws Exception {
        if (server != null) {
            server.close();
            loop.close();
        }
        loop = EventLoop.open("stunt-server-test").start();
        ServerConfig config = tune.apply(ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                .logPort(0).commPort(0).echoPort1(0).echoPort2(0)).build();
        server = StuntServer.start(loop, config, (id, line) -> clientLines.add(id + "|" + line))
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        baseKeys = onLoop(loop::registeredKeys);
        assertEquals(6, baseKeys, "log, comm and four echo listeners");
    }

    @AfterEach
    void stop() {
        server.close();
        long errors = loop.errorCount();
        loop.close();
        assertEquals(0, errors, "unexpected errors on the loop (see the log)");
    }

    /** Asks the loop thread, bounded. */
    private <T> T onLoop(java.util.function.Supplier<T> q) {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> f.complete(q.get()));
        try {
            return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the loop did not answer", e);
        }
    }

    /** Waits, bounded, for a condition on the server; each check is a round trip through the loop. */
    private static void await(String what, BooleanSupplier cond) {
        LoopTesting.until(what, WAIT, cond);
    }

    private void awaitState(String id, int state) {
        await(id + " in state " + state, () -> server.stateOf(id).equals(OptionalInt.of(state)));
    }

    private void awaitGone(String id) {
        await(id + " unregistered", () -> server.stateOf(id).isEmpty());
    }

    /** Nothing of a session, connection or timer is left beyond the given client log connections. */
    private void awaitNoLeaks(int logConnections) {
        await("only " + logConnections + " log connections, no session, no timer, listener keys only",
                () -> server.openConnections() == logConnections && server.sessionsInFlight() == 0
                        && onLoop(loop::pendingTimers) == 0 && onLoop(loop::registeredKeys) == baseKeys + logConnections);
    }

    private Registration idle(String publicIp, String id, String localIp) throws IOException {
        Registration r = register(publicIp, server.logAddress(), id, Protocol.CSTATE_IDLE, localIp);
        assertEquals(id, r.acceptedId());
        awaitState(id, Protocol.CSTATE_IDLE);
        return r;
    }

    private InetSocketAddress comm() {
        return server.commAddress();
    }

    // ---------------------------------------------------------------- registration

    @Test
    void greetingBytesAreExact() throws Exception {
        start(b -> b.serverVersion(3));
        try (Socket s = connect(IP_A, server.logAddress())) {
            assertBytes(new byte[] {0, 0, 0, 10, 0, 0, 0, 3, 127, 0, 0, 11}, s);
        }
    }

    @Test
    void registerIdleAndLogLines() throws Exception {
        try (Registration r = register(IP_A, server.logAddress(), "alice", Protocol.CSTATE_IDLE, LOCAL_A)) {
            byte[] info = r.serverInfo();
            assertEquals("alice", idAt(info, 0));
            assertEquals(ip("127.0.0.1"), int32(info, 36));
            assertEquals(ip("127.0.0.2"), int32(info, 40));
            assertEquals(server.echoPorts()[0], uint16(info, 44));
            assertEquals(server.echoPorts()[1], uint16(info, 46));
            assertNotEquals(0, server.echoPorts()[0]);
            for (int i = 48; i < 60; i++) {
                assertEquals(0, info[i], "wPort3..wPort8 are zero");
            }
            awaitState("alice", Protocol.CSTATE_IDLE);
            assertEquals(1, server.registeredCount());

            write(r.log(), "1764072000.042:xstunt.c:310:probe done\n".getBytes(StandardCharsets.US_ASCII));
            await("the log line recorded", () -> clientLines.contains("alice|1764072000.042:xstunt.c:310:probe done"));
        }
        awaitGone("alice");
        awaitNoLeaks(0);
    }

    @Test
    void overlongLogLineClosesThatClientOnly() throws Exception {
        start(b -> b.maxLogLine(100));
        try (Registration bob = idle(IP_B, "bob", LOCAL_B);
             Registration r = idle(IP_A, "alice", LOCAL_A)) {
            write(r.log(), "y".repeat(150).getBytes(StandardCharsets.US_ASCII));
            assertClosedByServer(r.log());
            awaitGone("alice");
            assertEquals(1, server.rejected(Rejection.OVERSIZE));
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("bob"));
        }
    }

    @Test
    void probeThenIdleFromTheSameIpReplacesTheProbeRegistration() throws Exception {
        // The race: the IDLE registration arrives while the PROBE connection is still open.
        try (Registration probe = register(IP_A, server.logAddress(), "alice", Protocol.CSTATE_PROBE, LOCAL_A)) {
            assertEquals("alice", probe.acceptedId());
            awaitState("alice", Protocol.CSTATE_PROBE);
            try (Registration again = idle(IP_A, "alice", LOCAL_A)) {
                assertClosedByServer(probe.log());
                assertEquals(1, server.registeredCount());
                assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"));
            }
        }
        awaitGone("alice");
        // The ordinary order: the PROBE connection closed first.
        Registration probe = register(IP_A, server.logAddress(), "alice", Protocol.CSTATE_PROBE, LOCAL_A);
        probe.close();
        try (Registration again = idle(IP_A, "alice", LOCAL_A)) {
            assertEquals(1, server.registeredCount());
        }
        awaitNoLeaks(0);
    }

    @Test
    void duplicateIdFromAnotherIpGetsAnEmptyServerInfo() throws Exception {
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration dup = register(IP_B, server.logAddress(), "alice", Protocol.CSTATE_IDLE, LOCAL_B)) {
            assertEquals("", dup.acceptedId());
            assertEquals(ip("127.0.0.1"), int32(dup.serverInfo(), 36), "the rest of ServerInfo is filled in");
            assertClosedByServer(dup.log());
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"));
            assertEquals(1, server.rejected(Rejection.DUPLICATE_ID));
        }
    }

    @Test
    void aLogConnectionThatSaysNothingTimesOut() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (Socket s = connect(IP_A, server.logAddress())) {
            read(s, 12);
            assertClosedByServer(s);
        }
        await("timeout counted", () -> server.rejected(Rejection.HANDSHAKE_TIMEOUT) == 1);
        awaitNoLeaks(0);
    }

    @Test
    void silentCommAndLongProbeAreCutByTheirTimeouts() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(500)).probeTimeout(Duration.ofMillis(300)));
        try (Socket s = connect(IP_A, comm())) {
            assertClosedByServer(s);
        }
        try (Registration p = register(IP_A, server.logAddress(), "pat", Protocol.CSTATE_PROBE, LOCAL_A)) {
            assertEquals("pat", p.acceptedId());
            assertClosedByServer(p.log());
        }
        awaitGone("pat");
        assertEquals(1, server.rejected(Rejection.HANDSHAKE_TIMEOUT));
        assertEquals(1, server.rejected(Rejection.PROBE_TIMEOUT));
        awaitNoLeaks(0);
    }

    // ---------------------------------------------------------------- echo

    @Test
    void echoOnAllFourEndpointsReturnsTheSocketsOwnAddressAndClosesFirst() throws Exception {
        int[] ports = server.echoPorts();
        String[] ips = {"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2"};
        int[] order = {ports[0], ports[1], ports[0], ports[1]};
        for (int i = 0; i < 4; i++) {
            try (Socket s = connect(IP_C, new InetSocketAddress(ips[i], order[i]))) {
                byte[] e = read(s, ECHO);
                assertEquals(ip(IP_C), int32(e, 0), "endpoint " + i);
                assertEquals(s.getLocalPort(), uint16(e, 4), "endpoint " + i);
                for (int k = 6; k < ECHO; k++) {
                    assertEquals(0, e[k], "padding and union are zero at " + k);
                }
                assertClosedByServer(s);
            }
        }
        awaitNoLeaks(0);
    }

    // ---------------------------------------------------------------- comm and rendezvous

    private static void assertAnnouncement(byte[] e, int port, int connId, String peer, String peerIp, char role)
            throws IOException {
        assertEquals(ip("127.0.0.1"), int32(e, 0), "control channel on IP1");
        assertEquals(port, uint16(e, 4));
        assertEquals(connId, int32(e, 8));
        assertEquals(peer, idAt(e, 12));
        assertEquals(ip(peerIp), int32(e, 48));
        assertEquals(role, (char) e[52]);
    }

    @Test
    void connectAnnouncesPairsAndRelaysBothWays() throws Exception {
        ConcurrentLinkedQueue<SessionSummary> finished = new ConcurrentLinkedQueue<>();
        server.onSessionFinished(finished::add);
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration b = idle(IP_B, "bob", LOCAL_B)) {
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            byte[] ea = read(a.log(), ECHO);
            byte[] eb = read(b.log(), ECHO);
            int port = uint16(ea, 4);
            assertNotEquals(0, port);
            assertAnnouncement(ea, port, 1, "bob", IP_B, 'C');
            assertAnnouncement(eb, port, 1, "alice", IP_A, 'S');
            assertEquals(OptionalInt.of(Protocol.CSTATE_BUSY), server.stateOf("alice"));
            assertEquals(OptionalInt.of(Protocol.CSTATE_BUSY), server.stateOf("bob"));
            assertEquals(1, server.sessionsInFlight());
            assertEquals(Protocol.CSTATE_BUSY, request(IP_C, comm(), msg(Protocol.MSG_QUERY, "bob", null)));

            InetSocketAddress control = new InetSocketAddress("127.0.0.1", port);
            try (Socket stranger = connect(IP_C, control)) {
                assertClosedByServer(stranger);
            }
            await("stranger refused", () -> server.rejected(Rejection.CONTROL_REFUSED) == 1);
            try (Socket ca = connect(IP_A, control)) {
                write(ca, new byte[] {1, 4, 1, 0, 0, 0}); // OK(1) before the listener is in
                try (Socket cb = connect(IP_B, control)) {
                    assertBytes(new byte[] {1, 4, 1, 0, 0, 0}, cb);
                    write(cb, new byte[] {1, 2, 0x1f, (byte) 0x90});
                    assertBytes(new byte[] {1, 2, 0x1f, (byte) 0x90}, ca);
                    write(ca, new byte[] {1, 4, (byte) 127, 0, 0, 11});
                    assertBytes(new byte[] {1, 4, (byte) 127, 0, 0, 11}, cb);
                    assertThrows(ConnectException.class, () -> connect(IP_C, control).close(),
                            "the control listener is closed once both are in");
                    ca.close();
                    assertClosedByServer(cb);
                }
            }
            awaitState("alice", Protocol.CSTATE_IDLE);
            awaitState("bob", Protocol.CSTATE_IDLE);
            awaitNoLeaks(2);
            assertEquals(List.of(new SessionSummary(1, "alice", "bob", 12, 4, "INITIATOR closed its control connection")),
                    List.copyOf(finished), "one summary: control bytes from each side");
            assertEquals(0, request(IP_B, comm(), msg(Protocol.MSG_CONNECT, "bob", "alice")), "IDLE again");
            assertAnnouncement(read(a.log(), ECHO), uint16(read(b.log(), ECHO), 4), 2, "bob", IP_B, 'S');
        }
        awaitNoLeaks(0);
    }

    @Test
    void concurrentSessionsBetweenTheSamePublicIpsStayApart() throws Exception {
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration b = idle(IP_B, "bob", LOCAL_B);
             Registration c = idle(IP_A, "carol", "10.0.0.21");
             Registration d = idle(IP_B, "dave", "10.0.0.22")) {
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "carol", "dave")));
            int p1 = uint16(read(a.log(), ECHO), 4);
            read(b.log(), ECHO);
            byte[] ec = read(c.log(), ECHO);
            int p2 = uint16(ec, 4);
            assertAnnouncement(ec, p2, 2, "dave", IP_B, 'C');
            assertAnnouncement(read(d.log(), ECHO), p2, 2, "carol", IP_A, 'S');
            assertNotEquals(p1, p2, "one control listener per session");
            assertEquals(2, server.sessionsInFlight());
            InetSocketAddress s1 = new InetSocketAddress("127.0.0.1", p1);
            InetSocketAddress s2 = new InetSocketAddress("127.0.0.1", p2);
            try (Socket ca = connect(IP_A, s1); Socket cc = connect(IP_A, s2);
                 Socket cd = connect(IP_B, s2); Socket cb = connect(IP_B, s1)) {
                write(ca, new byte[] {1, 1, 'a'});
                write(cc, new byte[] {1, 1, 'c'});
                assertBytes(new byte[] {1, 1, 'c'}, cd);
                assertBytes(new byte[] {1, 1, 'a'}, cb);
                write(cd, new byte[] {1, 1, 'd'});
                assertBytes(new byte[] {1, 1, 'd'}, cc);
            }
            for (String id : new String[] {"alice", "bob", "carol", "dave"}) {
                awaitState(id, Protocol.CSTATE_IDLE);
            }
            awaitNoLeaks(4);
        }
    }

    @Test
    void noMatchCasesAnswerMinusOne() throws Exception {
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration b = idle(IP_B, "bob", LOCAL_B);
             Registration c = idle(IP_C, "carol", "10.0.0.13")) {
            assertEquals(-1, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "nobody")), "unknown dst");
            assertEquals(-1, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "alice")), "dst == src");
            assertEquals(-1, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "ghost", "bob")), "src unknown");
            assertEquals(-1, request(IP_B, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")), "src IP mismatch");
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            assertEquals(-1, request(IP_C, comm(), msg(Protocol.MSG_CONNECT, "carol", "bob")), "dst BUSY");
            await("5 NO_MATCH counted", () -> server.rejected(Rejection.NO_MATCH) == 5);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("carol"));
        }
        awaitNoLeaks(0);
    }

    @Test
    void samePublicIpAnswersTheDestinationsLocalIp() throws Exception {
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration d = idle(IP_A, "dave", "192.168.7.9")) {
            assertEquals(ip("192.168.7.9"), request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "dave")));
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("dave"));
            assertEquals(0, server.sessionsInFlight());
        }
    }

    @Test
    void queryAnswersEachState() throws Exception {
        try (Registration p = register(IP_B, server.logAddress(), "pat", Protocol.CSTATE_PROBE, LOCAL_B);
             Registration a = idle(IP_A, "alice", LOCAL_A)) {
            awaitState("pat", Protocol.CSTATE_PROBE);
            assertEquals(Protocol.CSTATE_IDLE, request(IP_C, comm(), msg(Protocol.MSG_QUERY, "alice", null)));
            assertEquals(Protocol.CSTATE_PROBE, request(IP_C, comm(), msg(Protocol.MSG_QUERY, "pat", null)));
            assertEquals(-1, request(IP_C, comm(), msg(Protocol.MSG_QUERY, "nobody", null)));
        }
    }

    @Test
    void deregisterByTheHoldersIpOnly() throws Exception {
        try (Registration a = idle(IP_A, "alice", LOCAL_A)) {
            assertNull(request(IP_B, comm(), msg(Protocol.MSG_DEREGISTER, "alice", null)), "no answer");
            await("DEREGISTER_DENIED counted", () -> server.rejected(Rejection.DEREGISTER_DENIED) == 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("alice"));

            assertNull(request(IP_A, comm(), msg(Protocol.MSG_DEREGISTER, "alice", null)));
            assertClosedByServer(a.log());
            assertEquals(OptionalInt.empty(), server.stateOf("alice"));
        }
        awaitNoLeaks(0);
    }

    @Test
    void sessionTimesOutWhenASideNeverConnects() throws Exception {
        start(b -> b.sessionTimeout(Duration.ofSeconds(1)));
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration b = idle(IP_B, "bob", LOCAL_B)) {
            awaitNoLeaks(2);
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            int port = uint16(read(a.log(), ECHO), 4);
            read(b.log(), ECHO);
            try (Socket ca = connect(IP_A, new InetSocketAddress("127.0.0.1", port))) {
                assertClosedByServer(ca);
            }
            awaitState("alice", Protocol.CSTATE_IDLE);
            awaitState("bob", Protocol.CSTATE_IDLE);
            assertEquals(1, server.rejected(Rejection.SESSION_TIMEOUT));
            awaitNoLeaks(2);
            assertThrows(ConnectException.class, () -> connect(IP_B, new InetSocketAddress("127.0.0.1", port)).close(),
                    "the control listener is gone");
            // what an operator sees of it
            ServerCounters counted = server.counters();
            await("the timed-out session counted", () -> counted.sessions(SessionSummary.Path.UNREPORTED,
                    ServerCounters.Outcome.TIMED_OUT) == 1);
            assertEquals(0, counted.sessions(SessionSummary.Path.UNREPORTED, ServerCounters.Outcome.ENDED));
            assertEquals(1, counted.handshakes(ServerCounters.NatClass.UNKNOWN, ServerCounters.NatClass.UNKNOWN),
                    "original clients say nothing of their NAT");
            assertEquals(1, counted.connectAnswers(ServerCounters.ConnectAnswer.OK));
            assertEquals(2, counted.registrations());
        }
        awaitNoLeaks(0);
    }

    @Test
    void aClientThatLeavesAbortsItsSession() throws Exception {
        try (Registration b = idle(IP_B, "bob", LOCAL_B)) {
            Registration a = idle(IP_A, "alice", LOCAL_A);
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            int port = uint16(read(a.log(), ECHO), 4);
            read(b.log(), ECHO);
            try (Socket cb = connect(IP_B, new InetSocketAddress("127.0.0.1", port))) {
                a.close(); // alice's log connection goes away before she joins the control channel
                assertClosedByServer(cb);
            }
            awaitGone("alice");
            awaitState("bob", Protocol.CSTATE_IDLE);
            awaitNoLeaks(1);
        }
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void aFloodBeforeThePeerJoinsEndsTheSession() throws Exception {
        start(b -> b.maxRelayBacklog(1024));
        try (Registration a = idle(IP_A, "alice", LOCAL_A);
             Registration b = idle(IP_B, "bob", LOCAL_B)) {
            assertEquals(0, request(IP_A, comm(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            int port = uint16(read(a.log(), ECHO), 4);
            read(b.log(), ECHO);
            try (Socket ca = connect(IP_A, new InetSocketAddress("127.0.0.1", port))) {
                write(ca, new byte[2048]);
                assertClosedByServer(ca);
            }
            await("RELAY_OVERFLOW counted", () -> server.rejected(Rejection.RELAY_OVERFLOW) == 1);
            awaitState("alice", Protocol.CSTATE_IDLE);
            awaitState("bob", Protocol.CSTATE_IDLE);
            awaitNoLeaks(2);
        }
    }

    @Test
    void garbageOnEachPortClosesJustThatConnection() throws Exception {
        try (Registration keep = idle(IP_B, "bob", LOCAL_B)) {
            // log: an ID field, then an impossible state byte
            try (Socket s = connect(IP_A, server.logAddress())) {
                read(s, 12);
                write(s, idField("mallory"));
                read(s, OriginalClient.SERVER_INFO);
                write(s, new byte[] {9, 9, 9, 9, 9});
                assertClosedByServer(s);
            }
            // log: an ID field without a NUL: an empty ServerInfo, then closed
            try (Socket s = connect(IP_A, server.logAddress())) {
                read(s, 12);
                byte[] junk = new byte[OriginalClient.ID_FIELD];
                java.util.Arrays.fill(junk, (byte) 0x41);
                write(s, junk);
                assertEquals("", idAt(read(s, OriginalClient.SERVER_INFO), 0));
                assertClosedByServer(s);
            }
            // comm: an unknown message type
            assertNull(request(IP_A, comm(), msg(4242, "x", null)));
            // echo: writing to it (the reply and the close may already be on their way: either
            // the reply then EOF, or a reset because the server closed with the bytes unread)
            try (Socket s = connect(IP_A, new InetSocketAddress("127.0.0.2", server.echoPorts()[1]))) {
                write(s, new byte[] {1, 2, 3});
                try {
                    read(s, ECHO);
                } catch (java.net.SocketException reset) {
                    // closed by the server as well
                }
                assertClosedByServer(s);
            }
            await("bad bytes counted", () -> server.rejected(Rejection.BAD_BYTES) == 2
                    && server.rejected(Rejection.INVALID_ID) == 1);
            // meanwhile another client registers fine, and the first one is untouched
            try (Registration a = idle(IP_A, "alice", LOCAL_A)) {
                assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), server.stateOf("bob"));
                assertEquals(2, server.registeredCount());
            }
            awaitGone("mallory");
            awaitNoLeaks(1);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Test
    void closeReleasesEveryPortAndClient() throws Exception {
        Registration a = idle(IP_A, "alice", LOCAL_A);
        InetSocketAddress log = server.logAddress();
        server.close();
        assertClosedByServer(a.log());
        a.close();
        assertEquals(0, server.openConnections());
        assertEquals(0, onLoop(loop::pendingTimers));
        await("every key released", () -> onLoop(loop::registeredKeys) == 0);
        assertThrows(ConnectException.class, () -> connect(IP_A, log).close());
        server.close(); // idempotent
    }

    @Test
    void startFailsCleanlyWhenAPortIsTaken() throws Exception {
        ServerConfig clash = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
                .logPort(0).commPort(server.logAddress().getPort()).echoPort1(0).echoPort2(0).build();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> StuntServer.start(loop, clash).get(WAIT.toSeconds(), TimeUnit.SECONDS));
        Failure x = (Failure) e.getCause();
        assertEquals(ErrorStat.ERR_BIND, x.code());
        assertTrue(x.getMessage().contains("comm"), x.getMessage());
        await("the log listener it bound is released again", () -> onLoop(loop::registeredKeys) == baseKeys);
    }

    @Test
    void echoPortsAreTheSameOnBothIps() throws Exception {
        int[] p = server.echoPorts();
        for (String ip : new String[] {"127.0.0.1", "127.0.0.2"}) {
            for (int port : p) {
                try (Socket s = connect(IP_A, new InetSocketAddress(ip, port))) {
                    assertArrayEquals(new byte[] {127, 0, 0, 11}, java.util.Arrays.copyOf(read(s, ECHO), 4));
                }
            }
        }
    }
}
