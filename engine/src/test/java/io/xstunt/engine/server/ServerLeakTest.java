package io.xstunt.engine.server;

import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.connect;
import static io.xstunt.engine.server.OriginalClient.msg;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.register;
import static io.xstunt.engine.server.OriginalClient.request;
import static io.xstunt.engine.server.OriginalClient.uint16;
import static io.xstunt.engine.server.OriginalClient.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.server.OriginalClient.Registration;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * 10,000 aborted or failed rendezvous sessions and 10,000 register/deregister cycles against one
 * server: afterwards its descriptors (of this process), selection keys, timers, connections,
 * per-source counts and registry are back at their starting counts.
 */
@SuppressWarnings("try")
class ServerLeakTest {
    private static final int CYCLES = 10_000;
    private static final int WARM_UP = 200;
    private static final String IP_A = "127.0.0.51";
    private static final String IP_B = "127.0.0.52";
    private static final String IP_C = "127.0.0.53";

    private record Counts(long fds, int keys, int timers, int connections, int sources, int registered, int sessions) {
    }

    private static Counts counts(ServerFixture f) throws IOException {
        long fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = s.count();
        }
        return new Counts(fds, f.onLoop(f.loop::registeredKeys), f.onLoop(f.loop::pendingTimers),
                f.server.openConnections(), f.server.sourcesTracked(), f.server.registeredCount(),
                f.server.sessionsInFlight());
    }

    @Test
    void abortedSessionsAndRegistrationCyclesLeaveNothingBehind() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.maxAnnouncementsPerSecond(1_000_000));
             Registration a = register(IP_A, f.server.logAddress(), "alice", Protocol.CSTATE_IDLE, "10.0.0.1");
             Registration b = register(IP_B, f.server.logAddress(), "bob", Protocol.CSTATE_IDLE, "10.0.0.2")) {
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            sessions(f, a, b, WARM_UP);
            registrations(f, WARM_UP);
            f.awaitNoLeaks(2);
            Counts start = counts(f);

            sessions(f, a, b, CYCLES);
            registrations(f, CYCLES);

            f.awaitNoLeaks(2);
            ServerFixture.await("every count back at its start", () -> {
                try {
                    return counts(f).equals(start);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(start, counts(f));
        }
    }

    /** Sessions that end in every way short of success, and requests that fail. */
    private static void sessions(ServerFixture f, Registration a, Registration b, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            int kind = i % 4;
            if (kind == 3) {
                assertEquals(-1, request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "nobody")));
                continue;
            }
            assertEquals(0, request(IP_A, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")),
                    "session " + i);
            InetSocketAddress control = new InetSocketAddress("127.0.0.1", uint16(read(a.log(), ECHO), 4));
            read(b.log(), ECHO);
            if (kind == 0) { // the initiator joins and vanishes (RST)
                abort(connect(IP_A, control));
            } else if (kind == 1) { // a stranger knocks, then the listener joins and leaves
                try (Socket stranger = connect(IP_C, control)) {
                    assertClosedByServer(stranger);
                }
                connect(IP_B, control).close();
            } else { // both join, one sends half a frame and vanishes
                try (Socket cb = connect(IP_B, control)) {
                    Socket ca = connect(IP_A, control);
                    write(ca, new byte[] {1, 4, 1});
                    abort(ca);
                    OriginalClient.assertBytes(new byte[] {1, 4, 1}, cb); // relayed as they came
                    assertClosedByServer(cb);
                }
            }
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            f.awaitState("bob", Protocol.CSTATE_IDLE);
        }
    }

    private static void abort(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static void registrations(ServerFixture f, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            try (Registration c = register(IP_C, f.server.logAddress(), "carol", Protocol.CSTATE_IDLE, "10.0.0.3")) {
                assertEquals("carol", c.acceptedId(), "cycle " + i);
                // the comm request may overtake the state: wait until carol is IDLE
                f.awaitState("carol", Protocol.CSTATE_IDLE);
                assertNull(request(IP_C, f.server.commAddress(), msg(Protocol.MSG_DEREGISTER, "carol", null)));
                assertClosedByServer(c.log());
            }
        }
    }
}
