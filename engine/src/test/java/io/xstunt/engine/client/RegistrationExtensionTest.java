package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.xstunt.engine.ErrorCode;
import io.xstunt.engine.client.Registration.Action;
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
        assertEquals(ErrorCode.ERR_DUPLICATE_ID, RegistrationTest.failure(r.drainActions()).code());
    }
}
