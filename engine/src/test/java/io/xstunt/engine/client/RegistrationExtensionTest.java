package io.xstunt.engine.client;

import static io.xstunt.engine.client.Registration.FIRST;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.Registration.Action;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RegistrationProof;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The registration's xstunt extensions: asking for a token, the shared-secret proof, the acknowledgement. */
class RegistrationExtensionTest {
    private static final byte[] SECRET = "the secret".getBytes(StandardCharsets.US_ASCII);
    private static final int ACKED = Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK;

    private Registration r;
    private ByHand<Action> hand;

    /** A registration asking for the extensions, with a reusable fingerprint, that has read the greeting; @return the ID field it wrote */
    private byte[] atServerInfo(String id, byte[] secret) {
        Fingerprint cached = RegistrationTest.fingerprint(1, RegistrationTest.PUBLIC, id, true);
        r = new Registration(id, WireVariant.ID32, cached, RegistrationTest.TIMEOUT, true, secret);
        hand = RegistrationTest.connected(r);
        Outputs<Action> o = hand.bytes(FIRST, RegistrationTest.hello(Protocol.BUILD_VERSION, 1, RegistrationTest.PUBLIC));
        assertTrue(o.actions().isEmpty(), o.toString());
        return o.sentBytes(FIRST);
    }

    private static ServerInfo info(int flags) {
        return new ServerInfo("alice", 1, 2, 8124, 8125, flags, 20, 0x55L);
    }

    @Test
    void asksWithTheByteAfterTheNulExceptForA32ByteId() {
        byte[] expected = RegistrationTest.idField("alice");
        expected[WireVariant.ID32.extensionRequestOffset()] = 'X';
        assertArrayEquals(expected, atServerInfo("alice", null));
        String longId = "y".repeat(32);
        assertArrayEquals(RegistrationTest.idField(longId), atServerInfo(longId, null), "no room to ask");
    }

    @Test
    void provesTheSecretRightAfterLogState() {
        atServerInfo("alice", SECRET);
        Outputs<Action> o = hand.bytes(FIRST, RegistrationTest.info(info(Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_PROOF)));
        ByteBuffer expected = ByteBuffer.allocate(5 + Protocol.PROOF_LEN)
                .put(RegistrationTest.logState(Protocol.CSTATE_IDLE, RegistrationTest.LOCAL))
                .put(RegistrationProof.compute(SECRET, 0x55L, "alice"));
        assertArrayEquals(expected.array(), o.sentBytes(FIRST));
        assertEquals(1, o.sent(FIRST).size(), "LogState and the proof in one write");
        o.only(Action.Registered.class);
        assertEquals(Registration.State.REGISTERED, r.state());
    }

    @Test
    void withoutASecretAProofRequestIsAClearRefusal() {
        atServerInfo("alice", null);
        Outputs<Action> o = hand.bytes(FIRST, RegistrationTest.info(info(Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_PROOF)));
        assertEquals(ErrorStat.ERR_DUPLICATE_ID, RegistrationTest.failure(o).code());
        assertEquals(0, o.sent(FIRST).size(), "nothing is written to a server that will refuse it");
    }

    /** A registration that has written LogState(IDLE) to a server with the given flags; @return that input's outputs */
    private Outputs<Action> afterIdleState(int flags) {
        atServerInfo("alice", null);
        Outputs<Action> o = hand.bytes(FIRST, RegistrationTest.info(info(flags)));
        assertArrayEquals(RegistrationTest.logState(Protocol.CSTATE_IDLE, RegistrationTest.LOCAL), o.sentBytes(FIRST));
        return o;
    }

    @Test
    void anAcknowledgingServerCompletesXInitOnlyAtItsAllZeroRecord() {
        Outputs<Action> o = afterIdleState(ACKED);
        assertTrue(o.actions().isEmpty(), "LogState only, not registered yet: " + o);
        assertEquals(Registration.State.AWAIT_ACK, r.state());
        assertEquals(hand.now() + RegistrationTest.TIMEOUT.toNanos(), hand.deadline().orElseThrow());

        ByteBuffer in = ByteBuffer.allocate(WireVariant.ID32.echoSize() + 3);
        in.limit(WireVariant.ID32.echoSize() - 1);
        hand.advance(1);
        assertTrue(hand.bytes(FIRST, in).quiet(), "a partial record waits");
        assertEquals(0, in.position());
        in.limit(WireVariant.ID32.echoSize() + 3);
        hand.advance(1);
        Action.Registered done = hand.bytes(FIRST, in).only(Action.Registered.class);
        assertEquals(ACKED, done.outcome().serverInfo().extFlags());
        assertEquals(Registration.State.REGISTERED, r.state());
        assertEquals(3, in.remaining(), "bytes after the acknowledgement are left for the registered client");
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void noAcknowledgementWithinTheReplyTimeoutIsErrTimeout() {
        afterIdleState(ACKED);
        assertTrue(hand.justBeforeDeadline().quiet(), "not yet");
        assertEquals(ErrorStat.ERR_TIMEOUT, RegistrationTest.failure(hand.atDeadline()).code());
        assertEquals(Registration.State.FAILED, r.state());
    }

    @Test
    void aCloseOrAnotherRecordInsteadOfTheAcknowledgementIsErrReceive() {
        afterIdleState(ACKED);
        assertEquals(ErrorStat.ERR_RECEIVE, RegistrationTest.failure(hand.closed(FIRST, "reset")).code());

        afterIdleState(ACKED);
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        new Echo(1, 2, 3, "bob", 4, Protocol.ROLE_LISTENER).write(b, WireVariant.ID32);
        assertEquals(ErrorStat.ERR_RECEIVE, RegistrationTest.failure(hand.bytes(FIRST, b.flip())).code());
    }

    @Test
    void withoutTheAcknowledgementFlagXInitCompletesAtOnceAsBefore() {
        for (int flags : new int[] {0, Protocol.EXT_FLAG_TOKEN}) { // an original server; an xstunt server without it
            Outputs<Action> o = afterIdleState(flags);
            assertEquals(flags, o.only(Action.Registered.class).outcome().serverInfo().extFlags());
            assertEquals(Registration.State.REGISTERED, r.state());
        }
    }
}
