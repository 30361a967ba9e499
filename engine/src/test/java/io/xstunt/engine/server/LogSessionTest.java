package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogSessionTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final int LOCAL_IP = Ipv4.toInt(Ipv4.parse("192.168.1.20"));
    private static final ServerConfig CONFIG = ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"))
            .serverVersion(7).handshakeTimeout(Duration.ofSeconds(2)).probeTimeout(Duration.ofSeconds(20))
            .maxLogLine(100).build();
    private static final ServerInfo TEMPLATE = new ServerInfo("", Ipv4.toInt(CONFIG.ip1()), Ipv4.toInt(CONFIG.ip2()),
            5001, 5002);
    private static final long SEC = 1_000_000_000L;

    private final Registry registry = new Registry();
    private final List<String> lines = new ArrayList<>();
    private long now = 123 * SEC;

    private LogSession open(int clientIp) {
        LogSession s = new LogSession(registry, CONFIG, TEMPLATE, clientIp, (id, line) -> lines.add(id + "|" + line));
        s.onOpen(now);
        return s;
    }

    static byte[] sent(LogSession s) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteBuffer b;
        while ((b = s.output().pollTransmit()) != null) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            o.writeBytes(a);
        }
        return o.toByteArray();
    }

    private static ByteBuffer idField(String id) {
        ByteBuffer b = ByteBuffer.allocate(Protocol.ID_FIELD_LEN);
        ClientId.write(b, id);
        return b.flip();
    }

    private static ByteBuffer state(int st) {
        ByteBuffer b = ByteBuffer.allocate(LogState.SIZE);
        new LogState(st, LOCAL_IP).write(b);
        return b.flip();
    }

    private LogSession registered(String id, int st) {
        LogSession s = open(CLIENT_IP);
        sent(s);
        s.onBytes(idField(id), now);
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(sent(s)));
        assertEquals(id, info.id());
        s.onBytes(state(st), now);
        return s;
    }

    @Test
    void greetingIsRequiredBuildServerVersionAndClientIp() {
        LogSession s = open(CLIENT_IP);
        assertArrayEquals(new byte[] {0, 0, 0, 10, 0, 0, 0, 7, (byte) 203, 0, 113, 5}, sent(s));
        assertEquals(LogSession.State.AWAIT_ID, s.state());
        assertEquals(now + 2 * SEC, s.output().deadlineNs());
    }

    @Test
    void registersIdleByteByByte() {
        LogSession s = open(CLIENT_IP);
        sent(s);
        ByteBuffer id = idField("alice");
        ByteBuffer in = ByteBuffer.allocate(64);
        while (id.hasRemaining()) {
            in.put(id.get()).flip();
            s.onBytes(in, now);
            in.compact();
        }
        assertEquals(0, in.position(), "the whole ID field is consumed once complete");
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(sent(s)));
        assertEquals(new ServerInfo("alice", TEMPLATE.ip1(), TEMPLATE.ip2(), 5001, 5002), info);
        assertEquals(Protocol.CSTATE_PROBE, registry.query("alice"), "held, but not reachable before its state");
        s.onBytes(state(Protocol.CSTATE_IDLE), now);
        assertEquals(LogSession.State.IDLE, s.state());
        assertEquals(Protocol.CSTATE_IDLE, registry.query("alice"));
        assertFalse(s.output().hasDeadline(), "an IDLE log connection has no deadline");
        assertEquals(ProcedureOutput.Closing.OPEN, s.output().closing());
    }

    @Test
    void logLinesAreRecordedOneEachAndCapped() {
        LogSession s = registered("bob", Protocol.CSTATE_IDLE);
        ByteBuffer in = ByteBuffer.wrap("1700000000.123:probe.c:42:hello\r\nsecond\u0007line\npart"
                .getBytes(StandardCharsets.UTF_8));
        s.onBytes(in, now);
        assertEquals(List.of("bob|1700000000.123:probe.c:42:hello", "bob|second?line"), lines);
        assertEquals(4, in.remaining(), "a partial line waits");
        assertEquals(ProcedureOutput.Closing.OPEN, s.output().closing());

        ByteBuffer longLine = ByteBuffer.wrap("x".repeat(101).getBytes(StandardCharsets.US_ASCII));
        s.onBytes(longLine, now);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.OVERSIZE, s.output().pollRejection());
        assertEquals(2, lines.size());
    }

    @Test
    void aSinkThatRecordsNothingIsNeverHandedALineButTheLinesStillCount() {
        boolean[] recording = {false};
        List<String> seen = new ArrayList<>();
        ClientLogSink toggled = new ClientLogSink() {
            @Override
            public void line(String id, String line) {
                seen.add(line);
            }

            @Override
            public boolean enabled() {
                return recording[0];
            }
        };
        LogSession s = new LogSession(registry, CONFIG, TEMPLATE, CLIENT_IP, toggled);
        s.onOpen(now);
        sent(s);
        s.onBytes(idField("carol"), now);
        sent(s);
        s.onBytes(state(Protocol.CSTATE_IDLE), now);
        ByteBuffer in = ByteBuffer.wrap("skipped one\nskipped two\npart".getBytes(StandardCharsets.UTF_8));
        s.onBytes(in, now);
        assertEquals(List.of(), seen, "a disabled sink gets no line");
        assertEquals(4, in.remaining(), "whole lines consumed all the same, the partial one waits");
        ByteBuffer longLine = ByteBuffer.wrap("y".repeat(101).getBytes(StandardCharsets.US_ASCII));
        s.onBytes(longLine, now);
        assertEquals(Rejection.OVERSIZE, s.output().pollRejection(), "the length cap holds without decoding");

        recording[0] = true;
        LogSession u = new LogSession(registry, CONFIG, TEMPLATE, CLIENT_IP + 1, toggled);
        u.onOpen(now);
        sent(u);
        u.onBytes(idField("erin"), now);
        sent(u);
        u.onBytes(state(Protocol.CSTATE_IDLE), now);
        u.onBytes(ByteBuffer.wrap("recorded\n".getBytes(StandardCharsets.UTF_8)), now);
        assertEquals(List.of("recorded"), seen, "an enabled sink gets the decoded line");
    }

    @Test
    void stateAndLinesInOneSegment() {
        LogSession s = open(CLIENT_IP);
        sent(s);
        ByteBuffer all = ByteBuffer.allocate(200);
        all.put(idField("carol"));
        new LogState(Protocol.CSTATE_PROBE, LOCAL_IP).write(all);
        all.put("1.000:a.c:1:x\n".getBytes(StandardCharsets.US_ASCII)).flip();
        s.onBytes(all, now);
        assertEquals(LogSession.State.PROBE, s.state());
        assertEquals(List.of("carol|1.000:a.c:1:x"), lines);
        assertFalse(all.hasRemaining());
        assertEquals(now + 20 * SEC, s.output().deadlineNs(), "a PROBE registration is bounded");
    }

    @Test
    void duplicateIdGetsEmptyServerInfoThenClose() {
        registered("dave", Protocol.CSTATE_IDLE);
        LogSession other = open(Ipv4.toInt(Ipv4.parse("203.0.113.99")));
        sent(other);
        other.onBytes(idField("dave"), now);
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(sent(other))).id());
        assertEquals(ProcedureOutput.Closing.AFTER_FLUSH, other.output().closing());
        assertEquals(Rejection.DUPLICATE_ID, other.output().pollRejection());
        other.onClosed(now);
        assertEquals(Protocol.CSTATE_IDLE, registry.query("dave"), "the refused connection frees nothing");
    }

    @Test
    void invalidIdGetsEmptyServerInfo() {
        LogSession s = open(CLIENT_IP);
        sent(s);
        byte[] field = new byte[Protocol.ID_FIELD_LEN];
        java.util.Arrays.fill(field, (byte) 'z'); // no NUL terminator
        s.onBytes(ByteBuffer.wrap(field), now);
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(sent(s))).id());
        assertEquals(Rejection.INVALID_ID, s.output().pollRejection());
        assertEquals(LogSession.State.REFUSED, s.state());
        assertEquals(0, registry.size());

        LogSession empty = open(CLIENT_IP);
        sent(empty);
        empty.onBytes(idField(""), now);
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(sent(empty))).id());
        assertEquals(Rejection.INVALID_ID, empty.output().pollRejection());
    }

    @Test
    void badStateByteClosesAndFreesTheId() {
        LogSession s = open(CLIENT_IP);
        sent(s);
        s.onBytes(idField("erin"), now);
        sent(s);
        s.onBytes(ByteBuffer.wrap(new byte[] {5, 10, 0, 0, 1}), now);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.BAD_BYTES, s.output().pollRejection());
        s.onClosed(now);
        assertEquals(-1, registry.query("erin"));
    }

    @Test
    void handshakeTimeoutOnFakeClock() {
        LogSession s = open(CLIENT_IP);
        sent(s);
        s.onTimeout(now + 2 * SEC - 1);
        assertEquals(ProcedureOutput.Closing.OPEN, s.output().closing(), "an early wake-up changes nothing");
        s.onTimeout(now + 2 * SEC);
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        assertEquals(Rejection.HANDSHAKE_TIMEOUT, s.output().pollRejection());
    }

    @Test
    void probeTimeoutReleasesTheId() {
        LogSession s = registered("frank", Protocol.CSTATE_PROBE);
        s.onTimeout(now + 20 * SEC);
        assertEquals(Rejection.PROBE_TIMEOUT, s.output().pollRejection());
        assertEquals(ProcedureOutput.Closing.NOW, s.output().closing());
        s.onClosed(now + 20 * SEC);
        assertEquals(-1, registry.query("frank"));
    }

    @Test
    void announcementsOnlyToIdleAndWakeTheBinding() {
        LogSession s = registered("gina", Protocol.CSTATE_IDLE);
        int[] wakes = {0};
        s.output().onWake(() -> wakes[0]++);
        Echo e = new Echo(1, 2, 3, "hank", 4, Protocol.ROLE_LISTENER);
        s.announce(e);
        assertEquals(1, wakes[0]);
        assertEquals(e, Echo.read(ByteBuffer.wrap(sent(s))));

        LogSession probing = registered("ivan", Protocol.CSTATE_PROBE);
        probing.announce(e);
        assertFalse(probing.output().hasTransmit());
        assertNull(probing.output().pollRejection());
    }

    @Test
    void closedConnectionFreesItsId() {
        LogSession s = registered("jack", Protocol.CSTATE_IDLE);
        s.onClosed(now);
        assertEquals(LogSession.State.CLOSED, s.state());
        assertEquals(-1, registry.query("jack"));
        assertTrue(lines.isEmpty());
    }
}
