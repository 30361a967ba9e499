package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.server.Registrations.Answers;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log procedure's side of FAST (docs/PROTOCOL.md "FAST"): the extension lines' one dispatch,
 * the capability written with LogState, the round-trip samples; bad lines are counted and the
 * registration goes on.
 */
class RegistrarFastTest {
    private static final int CLIENT_IP = Ipv4.toInt(Ipv4.parse("203.0.113.5"));
    private static final long MS = 1_000_000L;

    private final Registrations regs = new Registrations(ServerConfig.builder(Ipv4.parse("192.0.2.1"),
            Ipv4.parse("192.0.2.2")).handshakeTimeout(Duration.ofSeconds(2)).idleTimeout(Duration.ofSeconds(30))
            .build(), Answers.AT_ONCE, 50_000 * MS).template(new ServerInfo("", 1, 2, 5001, 5002))
            .tokens(() -> 42);

    private static ByteBuffer concat(ByteBuffer a, byte[] b) {
        ByteBuffer all = ByteBuffer.allocate(a.remaining() + b.length);
        return all.put(a).put(b).flip();
    }

    /** ID field written, ServerInfo read {@code rttMs} later: LogState(IDLE) and {@code extra} in one write. */
    private Registrar idleWith(byte[] extra, long rttMs) {
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, idField("alice", true));
        regs.now += rttMs * MS;
        regs.feed(r, concat(state(Protocol.CSTATE_IDLE, 0x0A000001), extra));
        assertEquals(Registrar.State.IDLE, r.state());
        return r;
    }

    @Test
    void theCapabilityWithLogStateMakesTheRegistrationFastCapableAtOnceWithItsRoundTrip() {
        Registrar r = idleWith(new FastLine.Capability(40000, true, 0).encode(), 30);
        assertEquals(new FastLine.Capability(40000, true, 0), r.fast());
        assertEquals(List.of(new Registrar.Action.Fast("alice", new FastLine.Capability(40000, true, 0))),
                regs.fastLines);
        assertEquals(30 * MS, r.rttNs(), "ServerInfo written to LogState read");
        assertEquals(List.of(), regs.refusals(r));
    }

    @Test
    void aKeepaliveAnsweredAtOnceIsASampleAndTheLeastIsKept() {
        Registrar r = idleWith(new FastLine.Capability(40000, true, 0).encode(), 30);
        regs.timeout(r, regs.now + 10_000 * MS); // the keepalive beat: a third of the idle timeout
        regs.now += 12 * MS;
        regs.feed(r, ByteBuffer.wrap(new byte[] {'\n'}));
        assertEquals(12 * MS, r.rttNs(), "the least of 30 and 12 ms");
        regs.now += 5 * MS;
        regs.feed(r, ByteBuffer.wrap(new byte[] {'\n'}));
        assertEquals(12 * MS, r.rttNs(), "a line without a keepalive before it is no sample");
    }

    @Test
    void requestsAndFailOversGoToTheServerAndAreNotRecorded() {
        Registrar r = idleWith(new FastLine.Capability(40000, true, 0).encode(), 1);
        regs.feed(r, ByteBuffer.wrap(new FastLine.Connect("bob", 40001).encode()));
        regs.feed(r, ByteBuffer.wrap(new FastLine.FailOver(7, "no connection").encode()));
        assertEquals(List.of(new FastLine.Capability(40000, true, 0), new FastLine.Connect("bob", 40001),
                new FastLine.FailOver(7, "no connection")), regs.fastLines.stream().map(Registrar.Action.Fast::line)
                .toList());
        assertEquals(List.of(), regs.refusals(r));
    }

    @Test
    void aBadOrUnknownExtensionLineIsCountedAndTheRegistrationGoesOn() {
        Registrar r = idleWith(new byte[0], 1);
        regs.feed(r, ByteBuffer.wrap("\u0001F1 nonsense\n".getBytes(StandardCharsets.UTF_8)));
        regs.feed(r, ByteBuffer.wrap("\u0001Z9 what\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(Rejection.BAD_BYTES, Rejection.BAD_BYTES), regs.refusals(r));
        assertEquals(Registrar.State.IDLE, r.state(), "still registered");
        assertNull(r.fast());
        assertTrue(regs.fastLines.isEmpty());
    }

    @Test
    void aClientWithoutTheExtensionsSendsNoExtensionLines() {
        Registrar r = regs.greeted(CLIENT_IP);
        regs.feed(r, idField("alice", false));
        regs.feed(r, concat(state(Protocol.CSTATE_IDLE, 0x0A000001), new FastLine.Capability(40000, true, 0).encode()));
        assertEquals(List.of(Rejection.BAD_BYTES), regs.refusals(r));
        assertNull(r.fast());
    }
}
