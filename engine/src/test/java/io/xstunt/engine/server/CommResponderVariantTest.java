package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The comm procedure tells the two wire variants apart by the Msg's length (docs/PROTOCOL.md, "Wire
 * variants"), on a fake clock: more than 68 bytes are the reference's Msg; 68 and nothing more
 * within the variant wait, the published client's, which waits for the answer before it writes
 * anything else.
 */
class CommResponderVariantTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final long HANDSHAKE_NS = 1_000_000_000L;
    private static final long WAIT_NS = ServerConfig.DEFAULT_VARIANT_WAIT.toNanos();

    private final CommRequests comm = new CommRequests(HANDSHAKE_NS, 100, 5);

    private static ByteBuffer published(Msg m) {
        ByteBuffer b = ByteBuffer.allocate(m.encodedSize(WireVariant.ID31));
        m.write(b, WireVariant.ID31);
        return b.flip();
    }

    @Test
    void sixtyEightBytesAndNothingMoreAreThePublishedClientsMsg() {
        Holder a = comm.clients.idle("alice", IP_A, 11);
        Holder b = comm.clients.idle("bob", IP_B, 12);
        CommResponder s = comm.open(IP_A);
        long start = comm.now;
        ByteBuffer m = published(Msg.connect("alice", "bob"));
        comm.feed(s, m);
        assertEquals(0, m.remaining(), "held, so that the decision can read it");
        assertEquals(CommResponder.State.AWAIT_MSG, s.state());
        assertEquals(start + WAIT_NS, s.deadlineNs());
        comm.timeout(s, start + WAIT_NS - 1);
        assertEquals(CommResponder.State.AWAIT_MSG, s.state(), "an early wake-up changes nothing");
        comm.timeout(s, start + WAIT_NS);
        assertEquals(WireVariant.ID31, s.variant());
        assertEquals(0, CommRequests.reply(s).getInt(), "accepted");
        assertEquals(Closing.AFTER_FLUSH, s.outbound(0).closing());
        Echo toBob = comm.effects.announcementsTo(b).getFirst();
        assertEquals("alice", toBob.peerId());
        assertEquals(Protocol.ROLE_LISTENER, toBob.role());
        assertEquals(1, comm.effects.announcementsTo(a).size());
    }

    @Test
    void aSixtyNinthByteWithinTheWaitMakesItTheReferencesMsg() {
        comm.clients.idle("a", IP_A, 11);
        CommResponder s = comm.open(IP_B);
        ByteBuffer whole = CommRequests.bytes(Msg.query("a"));
        comm.feed(s, whole.slice(0, 68));
        comm.now += WAIT_NS - 1;
        ByteBuffer rest = whole.slice(68, 4);
        comm.feed(s, rest.slice(0, 1));
        assertEquals(CommResponder.State.AWAIT_MSG, s.state(), "the reference's Msg is 72 bytes: 3 to come");
        assertEquals(HANDSHAKE_NS + comm.now - (WAIT_NS - 1), s.deadlineNs(), "the handshake timeout again");
        comm.feed(s, rest);
        assertEquals(WireVariant.ID32, s.variant());
        assertEquals(Protocol.CSTATE_IDLE, CommRequests.reply(s).getInt());
        assertEquals(List.of(), comm.refusals(s));
    }

    @Test
    void seventyTwoBytesAtOnceAreDecidedAtOnce() {
        comm.clients.idle("a", IP_A, 11);
        CommResponder s = comm.open(IP_B);
        comm.feed(s, Msg.query("a"));
        assertEquals(WireVariant.ID32, s.variant());
        assertEquals(Protocol.CSTATE_IDLE, CommRequests.reply(s).getInt());
    }

    @Test
    void fromASourceOfPublishedClientsSixtyEightBytesAreDecidedAtOnce() {
        comm.clients.idle("alice", IP_A, 11);
        comm.clients.idle("bob", IP_B, 12);
        CommResponder s = comm.open(IP_A, WireVariant.ID31);
        comm.feed(s, published(Msg.connect("alice", "bob")));
        assertEquals(WireVariant.ID31, s.variant());
        assertEquals(0, CommRequests.reply(s).getInt(), "no variant wait");
        CommResponder fromReference = comm.open(IP_B, WireVariant.ID32);
        long start = comm.now;
        comm.feed(fromReference, published(Msg.query("alice")));
        assertEquals(start + WAIT_NS, fromReference.deadlineNs(), "68 bytes from there: still the wait");
    }

    @Test
    void thePublishedClientsDeregisterIsDecidedAfterTheWait() {
        comm.clients.idle("alice", IP_A, 11);
        CommResponder s = comm.open(IP_A);
        long start = comm.now;
        comm.feed(s, published(Msg.deregister("alice")));
        comm.timeout(s, start + WAIT_NS);
        assertEquals(null, CommRequests.reply(s), "no answer to MSG_DEREGISTER");
        assertEquals(Closing.AFTER_FLUSH, s.outbound(0).closing());
        assertEquals(-1, comm.clients.query("alice"), "forgotten");
    }
}
