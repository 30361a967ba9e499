package io.xstunt.engine.server;

import static io.xstunt.engine.server.ExtendedClient.msgWithToken;
import static io.xstunt.engine.server.OriginalClient.ECHO;
import static io.xstunt.engine.server.OriginalClient.assertClosedByServer;
import static io.xstunt.engine.server.OriginalClient.msg;
import static io.xstunt.engine.server.OriginalClient.read;
import static io.xstunt.engine.server.OriginalClient.register;
import static io.xstunt.engine.server.OriginalClient.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.server.ExtendedClient.Registration;
import io.xstunt.engine.wire.Protocol;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Who may do what (docs/PROTOCOL.md, "Authentication and ownership"), on loopback: holder tokens
 * against a stranger behind the same public IP, strict mode, and the shared secret.
 */
@SuppressWarnings("try")
class OwnershipLoopbackTest {
    private static final String NAT = "127.0.0.41"; // the holder and the stranger share it
    private static final String IP_B = "127.0.0.42";
    private static final byte[] SECRET = "operator's secret".getBytes(StandardCharsets.UTF_8);

    private static Registration extended(ServerFixture f, String ip, String id, byte[] secret) throws Exception {
        Registration r = ExtendedClient.register(ip, f.server.logAddress(), id, Protocol.CSTATE_IDLE, "10.0.0.1",
                secret, null);
        assertEquals(id, r.acceptedId());
        // the server acknowledges the IDLE registration (EXT_FLAG_REG_ACK) once it has applied it
        assertArrayEquals(new byte[ECHO], read(r.log(), ECHO));
        assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf(id), "IDLE when acknowledged");
        return r;
    }

    @Test
    void aTokenHolderCannotBeDeregisteredOrImpersonatedFromItsOwnPublicIp() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.idleTimeout(Duration.ofSeconds(60)));
             Registration alice = extended(f, NAT, "alice", null);
             OriginalClient.Registration bob = register(IP_B, f.server.logAddress(), "bob", Protocol.CSTATE_IDLE,
                     "10.0.0.2")) {
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            assertEquals(Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK | Protocol.EXT_FLAG_FAST, alice.flags());
            assertEquals(20, alice.keepaliveSec(), "a third of the idle timeout");
            assertNotEquals(0L, alice.token());
            // the stranger behind alice's NAT: original form, then a guessed token
            assertNull(request(NAT, f.server.commAddress(), msg(Protocol.MSG_DEREGISTER, "alice", null)));
            assertNull(request(NAT, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_DEREGISTER, "alice", null, alice.token() ^ 1)));
            assertEquals(-1, request(NAT, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            assertEquals(-1, request(NAT, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_CONNECT, "alice", "bob", 12345)));
            f.awaitCount(Rejection.DEREGISTER_DENIED, 2);
            f.awaitCount(Rejection.NOT_HOLDER, 2);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("alice"));
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("bob"), "bob was never announced to");
            // the holder itself
            assertEquals(0, request(NAT, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_CONNECT, "alice", "bob", alice.token())));
            assertEquals('C', (char) read(alice.log(), ECHO)[52]);
            assertEquals('S', (char) read(bob.log(), ECHO)[52]);
            // the token is no use from another address
            assertNull(request(IP_B, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_DEREGISTER, "alice", null, alice.token())));
            f.awaitCount(Rejection.DEREGISTER_DENIED, 3);
            assertNull(request(NAT, f.server.commAddress(),
                    msgWithToken(Protocol.MSG_DEREGISTER, "alice", null, alice.token())));
            assertClosedByServer(alice.log());
            f.awaitGone("alice");
        }
    }

    @Test
    void withoutTokensTheOriginalRuleHoldsAndStrictModeClosesIt() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b)) {
            OriginalClient.Registration a = register(NAT, f.server.logAddress(), "alice", Protocol.CSTATE_IDLE, "10.0.0.1");
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            assertNull(request(NAT, f.server.commAddress(), msg(Protocol.MSG_DEREGISTER, "alice", null)),
                    "an original holder is known by its public IP only");
            assertClosedByServer(a.log());
            a.close();
            f.awaitGone("alice");
        }
        try (ServerFixture f = new ServerFixture(b -> b.requireTokens(true));
             OriginalClient.Registration a = register(NAT, f.server.logAddress(), "alice", Protocol.CSTATE_IDLE,
                     "10.0.0.1");
             OriginalClient.Registration b = register(IP_B, f.server.logAddress(), "bob", Protocol.CSTATE_IDLE,
                     "10.0.0.2")) {
            f.awaitState("alice", Protocol.CSTATE_IDLE);
            f.awaitState("bob", Protocol.CSTATE_IDLE);
            assertNull(request(NAT, f.server.commAddress(), msg(Protocol.MSG_DEREGISTER, "alice", null)));
            assertEquals(-1, request(NAT, f.server.commAddress(), msg(Protocol.MSG_CONNECT, "alice", "bob")));
            f.awaitCount(Rejection.DEREGISTER_DENIED, 1);
            f.awaitCount(Rejection.NOT_HOLDER, 1);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), f.server.stateOf("alice"));
            assertEquals(Protocol.CSTATE_IDLE, request(IP_B, f.server.commAddress(),
                    msg(Protocol.MSG_QUERY, "alice", null)), "queries need no token");
        }
    }

    @Test
    void theSharedSecretAdmitsOnlyClientsThatProveIt() throws Exception {
        try (ServerFixture f = new ServerFixture(b -> b.sharedSecret(SECRET))) {
            try (OriginalClient.Registration orig = register(IP_B, f.server.logAddress(), "orig",
                    Protocol.CSTATE_IDLE, "10.0.0.2")) {
                assertEquals("", orig.acceptedId(), "an original client is refused like a taken ID");
                assertClosedByServer(orig.log());
            }
            f.awaitCount(Rejection.AUTH_FAILED, 1);
            try (Registration wrong = ExtendedClient.register(IP_B, f.server.logAddress(), "alice",
                    Protocol.CSTATE_IDLE, "10.0.0.2", "not the secret".getBytes(StandardCharsets.UTF_8), null)) {
                assertEquals(Protocol.EXT_FLAG_TOKEN | Protocol.EXT_FLAG_REG_ACK | Protocol.EXT_FLAG_PROOF | Protocol.EXT_FLAG_FAST, wrong.flags());
                assertClosedByServer(wrong.log());
            }
            f.awaitCount(Rejection.AUTH_FAILED, 2);
            assertEquals(OptionalInt.empty(), f.server.stateOf("alice"), "an unproven client never held the ID");
            try (Registration alice = extended(f, NAT, "alice", SECRET)) {
                assertEquals(1, f.server.registeredCount());
            }
            f.awaitGone("alice");
            f.awaitNoLeaks(0);
        }
    }
}
