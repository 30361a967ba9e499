package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xstunt.engine.registry.DeferredRegistry;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.RecordingEffects;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The communication service's decisions without sockets: what it answers, and what it asks of the
 * registry ("begin the session", "announce to both") and of the server ("open a session"), in
 * which order its limits apply.
 */
class CommServiceTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int MAX_SESSIONS = 3;

    private final CommRequests comm = new CommRequests(1_000_000_000L, MAX_SESSIONS, 5);
    private final ScriptedServer server = comm.server;
    private Holder a;
    private Holder b;

    private CommService.Answer decide(Msg m, int sourceIp) {
        List<CommService.Answer> answers = new ArrayList<>();
        comm.service.handle(m, sourceIp, answers::add);
        assertEquals(1, answers.size(), "one answer, at once from the in-memory registry");
        return answers.get(0);
    }

    private void idlePair() {
        a = comm.clients.idle("a", IP_A, 11);
        b = comm.clients.idle("b", IP_B, 12);
    }

    private void assertNothingStarted() {
        assertEquals(List.of(), server.opened);
        assertEquals(List.of(), comm.effects.all(), "nothing announced");
        assertEquals(Protocol.CSTATE_IDLE, comm.clients.query("a"));
        assertEquals(Protocol.CSTATE_IDLE, comm.clients.query("b"));
    }

    @Test
    void anAcceptedConnectOpensTheSessionBeginsItAndAnnouncesToTheInitiatorThenTheListener() {
        idlePair();
        CommService.Answer answer = decide(Msg.connect("a", "b"), IP_A);
        assertEquals(new CommService.Answer(true, Protocol.COMM_ACCEPTED, null, null), answer);
        assertEquals(List.of(new SessionRef(DirectClients.SERVER, 1)), server.opened);
        assertEquals(List.of(b), server.announcementsTaken, "the listener's budget pays for it");
        int port = ScriptedServer.controlPort(1);
        assertEquals(List.of(
                new RecordingEffects.Announce(a, new Echo(CommRequests.CONTROL_IP, port, 1, "b", IP_B,
                        Protocol.ROLE_INITIATOR)),
                new RecordingEffects.Announce(b, new Echo(CommRequests.CONTROL_IP, port, 1, "a", IP_A,
                        Protocol.ROLE_LISTENER))), comm.effects.all());
        assertEquals(Protocol.CSTATE_BUSY, comm.clients.query("a"));
        assertEquals(Protocol.CSTATE_BUSY, comm.clients.query("b"));
    }

    @Test
    void aSideWithTooManyUnreadAnnouncementsRefusesTheSession() {
        idlePair();
        server.backlogged.add(a);
        assertEquals(Rejection.ANNOUNCEMENT_BACKLOG, decide(Msg.connect("a", "b"), IP_A).rejection(), "initiator");
        server.backlogged.clear();
        server.backlogged.add(b);
        CommService.Answer answer = decide(Msg.connect("a", "b"), IP_A);
        assertEquals(Rejection.ANNOUNCEMENT_BACKLOG, answer.rejection(), "listener");
        assertEquals(Protocol.COMM_NO_MATCH, answer.reply());
        assertNothingStarted();
    }

    @Test
    void theSessionLimitComesAfterTheBacklogAndBeforeTheBudget() {
        idlePair();
        server.inFlight = MAX_SESSIONS;
        server.spent.add(b);
        assertEquals(Rejection.SESSION_LIMIT, decide(Msg.connect("a", "b"), IP_A).rejection());
        server.backlogged.add(a);
        assertEquals(Rejection.ANNOUNCEMENT_BACKLOG, decide(Msg.connect("a", "b"), IP_A).rejection());
        server.backlogged.clear();
        server.inFlight = MAX_SESSIONS - 1;
        CommService.Answer answer = decide(Msg.connect("a", "b"), IP_A);
        assertEquals(Rejection.ANNOUNCEMENT_RATE, answer.rejection(), "the listener's budget is spent");
        assertEquals(Protocol.COMM_NO_MATCH, answer.reply());
        assertNothingStarted();
        server.spent.clear();
        assertEquals(Protocol.COMM_ACCEPTED, decide(Msg.connect("a", "b"), IP_A).reply());
    }

    @Test
    void noControlListenerIsNoMatchAndStartsNothing() {
        idlePair();
        server.noListener = true;
        CommService.Answer answer = decide(Msg.connect("a", "b"), IP_A);
        assertEquals(Rejection.NO_MATCH, answer.rejection());
        assertEquals(Protocol.COMM_NO_MATCH, answer.reply());
        assertNothingStarted();
        server.noListener = false;
        assertEquals(Protocol.COMM_ACCEPTED, decide(Msg.connect("a", "b"), IP_A).reply());
        assertEquals(2, server.opened.get(0).id(), "the failed attempt used its id");
    }

    @Test
    void aSameNatConnectIsAnsweredWithTheLocalIpBeforeTheBacklogIsChecked() {
        // changed on purpose: the registry answers SAME_NAT without asking about the log connections
        comm.clients.idle("a", IP_A, 11);
        Holder same = comm.clients.idle("s", IP_A, Ipv4.toInt(Ipv4.parse("10.1.2.3")));
        server.backlogged.add(same);
        CommService.Answer answer = decide(Msg.connect("a", "s"), IP_A);
        assertEquals(Ipv4.toInt(Ipv4.parse("10.1.2.3")), answer.reply());
        assertNull(answer.rejection());
        assertEquals(List.of(), server.opened);
        assertEquals(List.of(), comm.effects.all());
    }

    @Test
    void refusalsAreCountedByTheirKind() {
        comm.clients.idle("t", IP_A, 11, 7L);
        comm.clients.idle("b", IP_B, 12);
        comm.clients.pending("p", IP_B);
        assertEquals(Rejection.NOT_HOLDER, decide(Msg.connect("t", "b"), IP_A).rejection());
        assertEquals(Rejection.REGISTRATION_PENDING, decide(Msg.connect("t", "p").withToken(7L), IP_A).rejection());
        assertEquals(Rejection.NO_MATCH, decide(Msg.connect("t", "nobody").withToken(7L), IP_A).rejection());
        for (Msg m : List.of(Msg.connect("t", "b"), Msg.connect("t", "p").withToken(7L))) {
            CommService.Answer answer = decide(m, IP_A);
            assertEquals(Protocol.COMM_NO_MATCH, answer.reply());
            assertFalse(answer.detail().isEmpty());
        }
    }

    @Test
    void queryAndDeregisterAnswers() {
        Holder t = comm.clients.idle("t", IP_A, 11);
        assertEquals(new CommService.Answer(true, Protocol.CSTATE_IDLE, null, null), decide(Msg.query("t"), IP_B));
        CommService.Answer denied = decide(Msg.deregister("t"), IP_B);
        assertFalse(denied.hasReply());
        assertEquals(Rejection.DEREGISTER_DENIED, denied.rejection());
        assertEquals(new CommService.Answer(false, 0, null, null), decide(Msg.deregister("t"), IP_A));
        assertEquals(List.of(new RecordingEffects.Disconnect(t, "t deregistered")), comm.effects.all());
        assertEquals(-1, decide(Msg.query("t"), IP_B).reply());
        assertThrows(IllegalArgumentException.class, () -> decide(new Msg(4242, "t", null), IP_A));
    }

    @Test
    void aDecisionOfARemoteRegistryComesLaterAndIsTheSame() {
        InMemoryRegistry store = new InMemoryRegistry(100, false);
        RecordingEffects effects = new RecordingEffects();
        DeferredRegistry registry = new DeferredRegistry(store);
        registry.attach(DirectClients.SERVER, effects);
        DirectClients clients = new DirectClients(store);
        Holder x = clients.idle("a", IP_A, 11);
        clients.idle("b", IP_B, 12);
        ScriptedServer later = new ScriptedServer();
        CommService service = new CommService(DirectClients.SERVER, registry, later, CommRequests.CONTROL_IP, 10, 5,
                CommRequests.FAST_TIMEOUT);
        List<CommService.Answer> answers = new ArrayList<>();
        service.handle(Msg.connect("a", "b"), IP_A, answers::add);
        assertEquals(List.of(), answers, "nothing before the store answers");
        registry.deliver();
        assertEquals(List.of(new CommService.Answer(true, Protocol.COMM_ACCEPTED, null, null)), answers);
        assertEquals(Protocol.CSTATE_BUSY, clients.query("a"), "the session began in the store");
        assertEquals(1, effects.announcementsTo(x).size());
        assertEquals(List.of(1), later.openedIds());
    }
}
