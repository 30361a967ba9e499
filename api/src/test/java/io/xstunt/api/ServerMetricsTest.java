package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.LoopbackServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operators' counts through the public API: the server's ({@link ServerMetrics}, bound to
 * Micrometer by {@link ServerMeterBinder}) and the client's ({@link ClientMeterBinder}, JFR
 * events of each call and phase) after real rendezvous on loopback: a direct one, a relayed one,
 * and one refused. The client's counts are the process's: the test reads what its own calls added.
 */
class ServerMetricsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(8);
    private static final long BOUND_S = 20;

    @TempDir
    Path dir;
    private XstuntServer server;
    private final CompletableFuture<SessionReport> finished = new CompletableFuture<>();

    @BeforeEach
    void startServer() throws Exception {
        server = XstuntServer.start(ServerOptions.of(LoopbackServer.IP1, LoopbackServer.IP2).logPort(0).commPort(0)
                .echoPort1(0).echoPort2(0));
        server.onSessionFinished(finished::complete);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private XstuntClient register(String id, int octet, RelayMode mode) throws Exception {
        return register(id, octet, mode, PunchStrategy.FAST);
    }

    private XstuntClient register(String id, int octet, RelayMode mode, PunchStrategy strategy) throws Exception {
        return Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, id, XstuntOptions.builder().punchStrategy(strategy)
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .localAddress(LoopbackServer.peerAddress(octet))
                .fingerprintFile(dir.resolve("fingerprint-" + octet + ".dat"))
                .relayMode(mode).build());
    }

    private static long client(String call, ErrorCode code, String path) {
        return ClientOutcomes.PROCESS.get(call, code.name(), path);
    }

    @Test
    void directRendezvousIsCountedOnBothSidesAndInMicrometerAndJfr() throws Exception {
        MeterRegistry meters = new SimpleMeterRegistry();
        new ServerMeterBinder(server).bindTo(meters);
        new ClientMeterBinder().bindTo(meters);
        long initsBefore = client(CallRecorder.XINIT, ErrorCode.ERR_NONE, ClientOutcomes.NO_PATH);
        long connectsBefore = client(CallRecorder.XCONNECT, ErrorCode.ERR_NONE, "direct");
        long listensBefore = client(CallRecorder.XLISTEN, ErrorCode.ERR_NONE, "direct");
        Path jfr = dir.resolve("calls.jfr");
        XstuntConnection atAlice;
        try (Recording recording = new Recording()) {
            recording.enable("io.xstunt.Handshake");
            recording.enable("io.xstunt.HandshakePhase");
            recording.start();
            // RACE: a session the server opens and sees end (a FAST session has no end on the server)
            try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ALLOWED, PunchStrategy.RACE);
                 XstuntClient bob = register("bob", 12, RelayMode.RELAY_ALLOWED, PunchStrategy.RACE)) {
                CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
                try (XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, Duration.ofSeconds(BOUND_S))) {
                    atAlice = connecting.get(BOUND_S, TimeUnit.SECONDS);
                    atAlice.close();
                    assertEquals(ConnectionPath.DIRECT, atBob.path());
                }
                assertEquals("direct", finished.get(BOUND_S, TimeUnit.SECONDS).path());
            }
            recording.stop();
            recording.dump(jfr);
        }
        ServerMetrics m = server.metrics();
        assertEquals(2, m.registrations());
        assertEquals(1, m.connectRequests(ErrorCode.ERR_NONE));
        assertEquals(0, m.connectRequests(ErrorCode.ERR_MATCH));
        assertEquals(1, m.sessions("direct", "ended"));
        assertEquals(0, m.sessions("unreported", "ended"));
        assertEquals(1, m.handshakes("predictable", "predictable"));
        assertEquals(0, m.relayedBytes());
        assertEquals(1.0, counter(meters, "xstunt.server.sessions", "path", "direct", "outcome", "ended"));
        assertEquals(1.0, counter(meters, "xstunt.server.connect.requests", "code", "ERR_NONE"));
        assertEquals(2.0, meters.get("xstunt.server.registrations").functionCounter().count());
        assertEquals(1.0, meters.get("xstunt.server.registry.up").gauge().value());
        // the in-memory registry has no store: its store meters exist and stay 0
        assertEquals(0.0, meters.get("xstunt.server.registry.commands").functionCounter().count());
        assertEquals(0.0, meters.get("xstunt.server.registry.errors").functionCounter().count());
        assertEquals(0.0, meters.get("xstunt.server.registry.outages").functionCounter().count());
        assertEquals(0.0, meters.get("xstunt.server.registry.latency").gauge().value());

        assertEquals(initsBefore + 2, client(CallRecorder.XINIT, ErrorCode.ERR_NONE, ClientOutcomes.NO_PATH));
        assertEquals(connectsBefore + 1, client(CallRecorder.XCONNECT, ErrorCode.ERR_NONE, "direct"));
        assertEquals(listensBefore + 1, client(CallRecorder.XLISTEN, ErrorCode.ERR_NONE, "direct"));
        assertEquals((double) connectsBefore + 1,
                counter(meters, "xstunt.client.calls", "call", "xconnect", "code", "ERR_NONE", "path", "direct"));

        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        List<RecordedEvent> phases = events.stream().filter(e -> e.getEventType().getName()
                .equals("io.xstunt.HandshakePhase") && "xconnect".equals(e.getString("call"))
                && "alice".equals(e.getString("id"))).toList();
        Map<String, Duration> measured = atAlice.phases();
        assertEquals(List.copyOf(measured.keySet()), phases.stream().map(e -> e.getString("phase")).toList());
        for (RecordedEvent e : phases) {
            assertEquals(measured.get(e.getString("phase")).toNanos(), e.getLong("phaseDuration"));
            assertEquals("bob", e.getString("peer"));
        }
        assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("io.xstunt.Handshake")
                && "xinit".equals(e.getString("call")) && "ERR_NONE".equals(e.getString("code"))));
    }

    @Test
    void relayedBytesAreCounted() throws Exception {
        try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ONLY);
             XstuntClient bob = register("bob", 12, RelayMode.RELAY_ALLOWED)) {
            CompletableFuture<XstuntConnection> connecting = PeerIo.connectOnVirtualThread(alice, "bob", TIMEOUT);
            try (XstuntConnection atBob = PeerIo.listenUntilConnected(bob, TIMEOUT, Duration.ofSeconds(BOUND_S));
                 XstuntConnection atAlice = connecting.get(BOUND_S, TimeUnit.SECONDS)) {
                PeerIo.sendLine(atAlice.channel(), "through the server");
                assertEquals("through the server", PeerIo.readLine(atBob.channel()));
                PeerIo.sendLine(atBob.channel(), "back");
                assertEquals("back", PeerIo.readLine(atAlice.channel()));
            }
            SessionReport r = finished.get(BOUND_S, TimeUnit.SECONDS);
            assertEquals("relayed", r.path());
            ServerMetrics m = server.metrics();
            assertEquals(r.relayedFromInitiator() + r.relayedFromListener(), m.relayedBytes());
            assertTrue(m.relayedBytes() >= "through the server\nback\n".length(), "bytes: " + m.relayedBytes());
            assertEquals(1, m.sessions("relayed", "ended"));
        }
    }

    @Test
    void refusedConnectIsCountedByItsCode() throws Exception {
        long before = client(CallRecorder.XCONNECT, ErrorCode.ERR_MATCH, ClientOutcomes.NO_PATH);
        try (XstuntClient alice = register("alice", 11, RelayMode.RELAY_ALLOWED)) {
            XstuntException e = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "nobody", TIMEOUT));
            assertEquals(ErrorCode.ERR_MATCH, e.code());
        }
        ServerMetrics m = server.metrics();
        assertEquals(1, m.connectRequests(ErrorCode.ERR_MATCH), "counted before the answer is written");
        // the refusal is counted in the same loop pass, after the answer's bytes went out
        Await.until("the refusal counted", Duration.ofSeconds(BOUND_S), () -> m.refusals("NO_MATCH") > 0);
        assertEquals(1, m.refusals("NO_MATCH"));
        assertEquals(0, m.sessionsInFlight());
        assertEquals(before + 1, client(CallRecorder.XCONNECT, ErrorCode.ERR_MATCH, ClientOutcomes.NO_PATH));
        assertThrows(IllegalArgumentException.class, () -> m.sessions("nowhere", "ended"));
    }

    @Test
    void peersBehindOneAddressAreCountedOnTheLanPath() throws Exception {
        long before = client(CallRecorder.XCONNECT, ErrorCode.ERR_SAME_NAT, ClientOutcomes.NO_PATH);
        // two clients on one address: to the server, two hosts behind one NAT
        try (XstuntClient carol = register("carol", 13, RelayMode.RELAY_ALLOWED);
             XstuntClient dave = Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "dave", XstuntOptions.builder()
                     .logPort(server.logAddress().getPort()).commPort(server.commAddress().getPort())
                     .localAddress(LoopbackServer.peerAddress(13)).fingerprintFile(dir.resolve("dave.dat")).build())) {
            XstuntException e = assertThrows(XstuntException.class, () -> Xstunt.xConnect(carol, "dave", TIMEOUT));
            assertEquals(ErrorCode.ERR_SAME_NAT, e.code());
        }
        ServerMetrics m = server.metrics();
        assertEquals(1, m.connectRequests(ErrorCode.ERR_SAME_NAT));
        assertEquals(1, m.sessions("lan", "ended"));
        assertEquals(0, m.sessions("lan", "timed_out"));
        assertEquals(0, m.connectRequests(ErrorCode.ERR_NONE), "no session was opened");
        assertEquals(before + 1, client(CallRecorder.XCONNECT, ErrorCode.ERR_SAME_NAT, ClientOutcomes.NO_PATH));
    }

    private static double counter(MeterRegistry meters, String name, String... tags) {
        FunctionCounter c = meters.get(name).tags(tags).functionCounter();
        return c.count();
    }
}
