package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.Registration.Action;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The registration's xstunt extensions: asking for a token, and the shared-secret proof. */
class RegistrationExtensionTest {
    private static final byte[] SECRET = "the secret".getBytes(StandardCharsets.US_ASCII);
    private long now = 1_000_000_000L;

    private Registration atServerInfo(String id, byte[] secret, List<byte[]> sent) {
        Fingerprint cached = RegistrationTest.fingerprint(1, RegistrationTest.PUBLIC, id, true);
        Registration r = new Registration(id, cached, RegistrationTest.TIMEOUT, true, secret);
        r.start(now);
        r.drainActions();
        r.onConnected(RegistrationTest.LOCAL, now);
        r.onBytes(RegistrationTest.hello(Protocol.BUILD_VERSION, 1, RegistrationTest.PUBLIC), now);
        for (Action a : r.drainActions()) {
            sent.add(assertInstanceOf(Action.Send.class, a).bytes());
        }
        return r;
    }

    @Test
    void asksWithTheByteAfterTheNulExceptForA32ByteId() {
        List<byte[]> sent = new java.util.ArrayList<>();
        atServerInfo("alice", null, sent);
        byte[] expected = RegistrationTest.idField("alice");
        expected[32] = 'X';
        assertArrayEquals(expected, sent.get(0));
        sent.clear();
        String longId = "y".repeat(32);
        atServerInfo(longId, null, sent);
        assertArrayEquals(RegistrationTest.idField(longId), sent.get(0), "no room to ask");
    }

    @Test
    void provesTheSecretRightAfterLogState() {
        List<byte[]> sent = new java.util.ArrayList<>();
        Registration r = atServerInfo("alice", SECRET, sent);
        ServerInfo info = new ServerInfo("alice", 1, 2, 8124, 8125, Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_PROOF,
                20, 0x55L);
        r.onBytes(RegistrationTest.info(info), now);
        byte[] state = assertInstanceOf(Action.Send.class, r.drainActions().get(0)).bytes();
        ByteBuffer expected = ByteBuffer.allocate(5 + Protocol.PROOF_LEN)
                .put(RegistrationTest.logState(Protocol.CSTATE_IDLE, RegistrationTest.LOCAL))
                .put(RegistrationProof.compute(SECRET, 0x55L, "alice"));
        assertArrayEquals(expected.array(), state);
        assertEquals(Registration.State.REGISTERED, r.state());
    }

    @Test
    void withoutASecretAProofRequestIsAClearRefusal() {
        Registration r = atServerInfo("alice", null, new java.util.ArrayList<>());
        r.onBytes(RegistrationTest.info(new ServerInfo("alice", 1, 2, 8124, 8125,
                Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_PROOF, 20, 0x55L)), now);
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, RegistrationTest.failure(r.drainActions()).code());
    }

    private static final int ACKED = Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK;

    /** A registration that has written LogState(IDLE) to a server with the given flags. */
    private Registration afterIdleState(int flags, List<Action> actions) {
        Registration r = atServerInfo("alice", null, new java.util.ArrayList<>());
        r.onBytes(RegistrationTest.info(new ServerInfo("alice", 1, 2, 8124, 8125, flags, 20, 0x55L)), now);
        actions.addAll(r.drainActions());
        assertArrayEquals(RegistrationTest.logState(Protocol.CSTATE_IDLE, RegistrationTest.LOCAL),
                assertInstanceOf(Action.Send.class, actions.get(0)).bytes());
        return r;
    }

    @Test
    void anAcknowledgingServerCompletesXInitOnlyAtItsAllZeroRecord() {
        List<Action> actions = new java.util.ArrayList<>();
        Registration r = afterIdleState(ACKED, actions);
        assertEquals(1, actions.size(), "LogState only, not registered yet: " + actions);
        assertEquals(Registration.State.AWAIT_ACK, r.state());
        assertEquals(now + RegistrationTest.TIMEOUT.toNanos(), r.deadlineNs().getAsLong());

        ByteBuffer in = ByteBuffer.allocate(Echo.SIZE + 3);
        in.limit(Echo.SIZE - 1);
        r.onBytes(in, now + 1);
        assertEquals(List.of(), r.drainActions(), "a partial record waits");
        in.limit(Echo.SIZE + 3);
        r.onBytes(in, now + 2);
        Action.Registered done = assertInstanceOf(Action.Registered.class, r.drainActions().get(0));
        assertEquals(ACKED, done.outcome().serverInfo().extFlags());
        assertEquals(Registration.State.REGISTERED, r.state());
        assertEquals(3, in.remaining(), "bytes after the acknowledgement are left for the registered client");
        assertTrue(r.deadlineNs().isEmpty());
    }

    @Test
    void noAcknowledgementWithinTheReplyTimeoutIsErrTimeout() {
        Registration r = afterIdleState(ACKED, new java.util.ArrayList<>());
        r.onTimeout(now + RegistrationTest.TIMEOUT.toNanos() - 1);
        assertEquals(List.of(), r.drainActions(), "not yet");
        r.onTimeout(now + RegistrationTest.TIMEOUT.toNanos());
        assertEquals(ErrorStat.ERR_TIMEOUT, RegistrationTest.failure(r.drainActions()).code());
        assertEquals(Registration.State.FAILED, r.state());
    }

    @Test
    void aCloseOrAnotherRecordInsteadOfTheAcknowledgementIsErrReceive() {
        Registration closed = afterIdleState(ACKED, new java.util.ArrayList<>());
        closed.onClosed("reset");
        assertEquals(ErrorStat.ERR_RECEIVE, RegistrationTest.failure(closed.drainActions()).code());

        Registration other = afterIdleState(ACKED, new java.util.ArrayList<>());
        ByteBuffer b = ByteBuffer.allocate(Echo.SIZE);
        new Echo(1, 2, 3, "bob", 4, Protocol.ROLE_LISTENER).write(b);
        other.onBytes(b.flip(), now);
        assertEquals(ErrorStat.ERR_RECEIVE, RegistrationTest.failure(other.drainActions()).code());
    }

    @Test
    void withoutTheAcknowledgementFlagXInitCompletesAtOnceAsBefore() {
        for (int flags : new int[] {0, Protocol.EXT_FLAG_TOKEN}) { // an original server; an xstunt server without it
            List<Action> actions = new java.util.ArrayList<>();
            Registration r = afterIdleState(flags, actions);
            assertEquals(2, actions.size(), actions.toString());
            assertInstanceOf(Action.Registered.class, actions.get(1));
            assertEquals(Registration.State.REGISTERED, r.state());
        }
    }
}
