package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.registry.RecordingEffects;
import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The log service's procedure of an original client, driven by hand on a fake clock against a
 * real registry; every test that involves the registry runs with its answers at once and later
 * (a remote store), with the same outcome.
 */
class RegistrarTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final int LOCAL_IP = Ipv4.toInt(Ipv4.parse("192.168.1.20"));
    private static final ServerConfig CONFIG = ServerConfig.builder(Ipv4.parse("192.0.2.1"), Ipv4.parse("192.0.2.2"))
            .serverVersion(7).handshakeTimeout(Duration.ofSeconds(2)).probeTimeout(Duration.ofSeconds(20))
            .maxLogLine(100).build();
    private static final ServerInfo TEMPLATE = new ServerInfo("", Ipv4.toInt(CONFIG.ip1()), Ipv4.toInt(CONFIG.ip2()),
            5001, 5002);
    private static final long SEC = 1_000_000_000L;

    private final List<String> lines = new ArrayList<>();

    private Registrations registrations(Answers answers) {
        return new Registrations(CONFIG, answers, 123 * SEC).template(TEMPLATE)
                .sink((id, line) -> lines.add(id + "|" + line));
    }

    private static Registrar registered(Registrations regs, String id, int st) {
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, idField(id));
        assertEquals(id, ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32).id());
        regs.feed(r, state(st, LOCAL_IP));
        return r;
    }

    @Test
    void greetingIsRequiredBuildServerVersionAndClientIp() {
        Registrations regs = registrations(Answers.AT_ONCE);
        Registrar r = regs.open(CLIENT_IP);
        assertArrayEquals(new byte[] {0, 0, 0, 10, 0, 0, 0, 7, (byte) 203, 0, 113, 5}, regs.sent(r));
        assertEquals(Registrar.State.AWAIT_ID, r.state());
        assertTrue(r.hasDeadline());
        assertEquals(regs.now + 2 * SEC, r.deadlineNs());
        assertEquals(List.of(), regs.refusals(r));
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void registersIdleByteByByte(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar r = regs.greeted(CLIENT_IP);
        ByteBuffer id = idField("alice");
        ByteBuffer in = ByteBuffer.allocate(64);
        while (id.hasRemaining()) {
            in.put(id.get()).flip();
            regs.feed(r, in);
            in.compact();
        }
        assertEquals(0, in.position(), "the whole ID field is consumed once complete");
        ServerInfo info = ServerInfo.read(ByteBuffer.wrap(regs.sent(r)), WireVariant.ID32);
        assertEquals(new ServerInfo("alice", TEMPLATE.ip1(), TEMPLATE.ip2(), 5001, 5002), info);
        assertEquals(Protocol.CSTATE_PROBE, regs.query("alice"), "held, but not reachable before its state");
        regs.feed(r, state(Protocol.CSTATE_IDLE, LOCAL_IP));
        assertEquals(Registrar.State.IDLE, r.state());
        assertEquals(Protocol.CSTATE_IDLE, regs.query("alice"));
        assertFalse(r.hasDeadline(), "an IDLE log connection has no deadline");
        assertEquals(Closing.OPEN, r.outbound(0).closing());
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void logLinesAreRecordedOneEachAndCapped(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar r = registered(regs, "bob", Protocol.CSTATE_IDLE);
        ByteBuffer in = ByteBuffer.wrap("1700000000.123:probe.c:42:hello\r\nsecond\u0007line\npart"
                .getBytes(StandardCharsets.UTF_8));
        regs.feed(r, in);
        assertEquals(List.of("bob|1700000000.123:probe.c:42:hello", "bob|second?line"), lines);
        assertEquals(4, in.remaining(), "a partial line waits");
        assertEquals(Closing.OPEN, r.outbound(0).closing());

        regs.feed(r, "x".repeat(101).getBytes(StandardCharsets.US_ASCII));
        assertEquals(Closing.NOW, r.outbound(0).closing());
        assertEquals(List.of(Rejection.OVERSIZE), regs.refusals(r));
        assertEquals(2, lines.size());
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void aSinkThatRecordsNothingIsNeverHandedALineButTheLinesStillCount(Answers answers) {
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
        Registrations regs = registrations(answers).sink(toggled);
        Registrar s = registered(regs, "carol", Protocol.CSTATE_IDLE);
        ByteBuffer in = ByteBuffer.wrap("skipped one\nskipped two\npart".getBytes(StandardCharsets.UTF_8));
        regs.feed(s, in);
        assertEquals(List.of(), seen, "a disabled sink gets no line");
        assertEquals(4, in.remaining(), "whole lines consumed all the same, the partial one waits");
        regs.feed(s, "y".repeat(101).getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of(Rejection.OVERSIZE), regs.refusals(s), "the length cap holds without decoding");

        recording[0] = true;
        Registrar u = registered(regs, "erin", Protocol.CSTATE_IDLE);
        regs.feed(u, "recorded\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("recorded"), seen, "an enabled sink gets the decoded line");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void stateAndLinesInOneSegment(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar r = regs.greeted(CLIENT_IP);
        ByteBuffer all = ByteBuffer.allocate(200);
        all.put(idField("carol"));
        new LogState(Protocol.CSTATE_PROBE, LOCAL_IP).write(all);
        all.put("1.000:a.c:1:x\n".getBytes(StandardCharsets.US_ASCII)).flip();
        regs.feed(r, all);
        assertEquals(Registrar.State.PROBE, r.state());
        assertEquals(List.of("carol|1.000:a.c:1:x"), lines);
        assertFalse(all.hasRemaining());
        assertEquals(regs.now + 20 * SEC, r.deadlineNs(), "a PROBE registration is bounded");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void duplicateIdGetsEmptyServerInfoThenClose(Answers answers) {
        Registrations regs = registrations(answers);
        registered(regs, "dave", Protocol.CSTATE_IDLE);
        Registrar other = regs.greeted(Ipv4.toInt(Ipv4.parse("203.0.113.99")));
        regs.feed(other, idField("dave"));
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(regs.sent(other)), WireVariant.ID32).id());
        assertEquals(Closing.AFTER_FLUSH, other.outbound(0).closing());
        assertEquals(List.of(Rejection.DUPLICATE_ID), regs.refusals(other));
        regs.close(other);
        assertEquals(Protocol.CSTATE_IDLE, regs.query("dave"), "the refused connection frees nothing");
        assertEquals(List.of(), regs.refusals(other), "its close is no refusal of its own");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void invalidIdGetsEmptyServerInfo(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar s = regs.greeted(CLIENT_IP);
        byte[] field = new byte[WireVariant.ID32.idFieldSize()];
        Arrays.fill(field, (byte) 'z'); // no NUL terminator
        regs.feed(s, field);
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(regs.sent(s)), WireVariant.ID32).id());
        assertEquals(List.of(Rejection.INVALID_ID), regs.refusals(s));
        assertEquals(Registrar.State.REFUSED, s.state());
        assertEquals(0, regs.registered());

        Registrar empty = regs.greeted(CLIENT_IP);
        regs.feed(empty, idField(""));
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(regs.sent(empty)), WireVariant.ID32).id());
        assertEquals(List.of(Rejection.INVALID_ID), regs.refusals(empty));
        assertEquals(0, regs.registered());
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void badStateByteClosesAndFreesTheId(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar s = regs.greeted(CLIENT_IP);
        regs.feed(s, idField("erin"));
        regs.sent(s);
        regs.feed(s, new byte[] {5, 10, 0, 0, 1});
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertEquals(List.of(Rejection.BAD_BYTES), regs.refusals(s));
        regs.close(s);
        assertEquals(-1, regs.query("erin"));
        // changed on purpose: a refusal that closes counts only itself, no TRUNCATED besides
        assertEquals(List.of(), regs.refusals(s));
    }

    @Test
    void handshakeTimeoutOnFakeClock() {
        Registrations regs = registrations(Answers.AT_ONCE);
        Registrar s = regs.greeted(CLIENT_IP);
        long start = regs.now;
        regs.timeout(s, start + 2 * SEC - 1);
        assertEquals(Closing.OPEN, s.outbound(0).closing(), "an early wake-up changes nothing");
        assertEquals(List.of(), regs.refusals(s));
        regs.timeout(s, start + 2 * SEC);
        assertEquals(Closing.NOW, s.outbound(0).closing());
        assertEquals(List.of(Rejection.HANDSHAKE_TIMEOUT), regs.refusals(s));
        regs.close(s);
        assertEquals(List.of(), regs.refusals(s), "no TRUNCATED besides");
        assertFalse(s.hasDeadline());
    }

    @Test
    void aPeerThatClosesDuringTheRegistrationIsTruncated() {
        Registrations regs = registrations(Answers.AT_ONCE);
        Registrar s = regs.open(CLIENT_IP);
        regs.feed(s, idField("fay"));
        regs.close(s);
        assertEquals(List.of(Rejection.TRUNCATED), regs.refusals(s));
        assertEquals(Registrar.State.CLOSED, s.state());
        assertEquals(-1, regs.query("fay"), "the ID it held is freed");
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void probeTimeoutReleasesTheId(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar s = registered(regs, "frank", Protocol.CSTATE_PROBE);
        assertEquals(Protocol.CSTATE_PROBE, regs.query("frank"));
        regs.timeout(s, regs.now + 20 * SEC);
        assertEquals(List.of(Rejection.PROBE_TIMEOUT), regs.refusals(s));
        assertEquals(Closing.NOW, s.outbound(0).closing());
        regs.close(s);
        assertEquals(-1, regs.query("frank"));
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void theRegistrysAnnouncementsReachOnlyAnIdleRegistration(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar s = registered(regs, "gina", Protocol.CSTATE_IDLE);
        Echo e = new Echo(1, 2, 3, "hank", 4, Protocol.ROLE_LISTENER);
        regs.announce(s, e);
        assertEquals(List.of(new RecordingEffects.Announce(regs.holder(s), e)), regs.effects.all(),
                "through the registry's announce effect");
        assertEquals(e, Echo.read(ByteBuffer.wrap(regs.sent(s)), WireVariant.ID32));

        Registrar probing = registered(regs, "ivan", Protocol.CSTATE_PROBE);
        regs.announce(probing, e);
        assertEquals(List.of(e), regs.effects.announcementsTo(regs.holder(probing)));
        assertFalse(probing.outbound(0).hasTransmit(), "a PROBE registration is not announced to");
        assertEquals(List.of(), regs.refusals(probing));
    }

    @ParameterizedTest
    @EnumSource(Answers.class)
    void closedConnectionFreesItsId(Answers answers) {
        Registrations regs = registrations(answers);
        Registrar s = registered(regs, "jack", Protocol.CSTATE_IDLE);
        regs.close(s);
        assertEquals(Registrar.State.CLOSED, s.state());
        assertEquals(-1, regs.query("jack"));
        assertTrue(lines.isEmpty());
        assertEquals(List.of(), regs.refusals(s));
    }
}
