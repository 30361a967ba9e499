package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.ErrorStat;
import io.xstunt.engine.Failure;
import io.xstunt.engine.client.ByHand.Outputs;
import io.xstunt.engine.client.ClientEndpoint.Action;
import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A registered client's logic on its own ({@link ClientEndpoint} driven by hand, a fake clock):
 * XConnect's stages, the announcements on the log connection, XListen's waiters, the keepalive,
 * losing the server and registering again, XDeRegister and close. The owner's part (running the
 * comm requests, rendezvous and registrations the actions ask for) is played by the test.
 */
class ClientEndpointTest {
    static final long SEC = 1_000_000_000L;
    static final long MS = 1_000_000L;
    static final long START = 100 * SEC;
    static final int SERVER_IP = Ipv4.toInt(Ipv4.parse("203.0.113.1"));
    static final long TOKEN = 0x77L;
    static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(12);
    static final long CONNECT_TIMEOUT_NS = 5 * SEC;

    ClientEndpoint endpoint;
    ByHand<Action> hand;

    /** The server's greeting of an xstunt server with a holder token and {@code keepaliveSec}. */
    static ServerInfo info(int keepaliveSec, long token) {
        return new ServerInfo("alice", SERVER_IP, Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125,
                Protocol.EXT_FLAG_TOKEN, keepaliveSec, token);
    }

    static Registration.Outcome registered(ServerInfo info) {
        Fingerprint f = new Fingerprint(Protocol.BUILD_VERSION, 1, "alice", true,
                Ipv4.toInt(Ipv4.parse("198.51.100.4")), 2, false);
        return new Registration.Outcome(info, f, true, f.publicIp(), Ipv4.toInt(Ipv4.parse("192.168.1.20")), Map.of(),
                null);
    }

    static ClientConfig config(boolean autoReRegister) {
        return ClientConfig.builder(Ipv4.parse("203.0.113.1"), Ipv4.parse("203.0.113.2")).fingerprintFile(null)
                .listenTimeout(LISTEN_TIMEOUT).autoReRegister(autoReRegister).build();
    }

    /** A started endpoint of client 'alice' on a server with {@code keepaliveSec} (0: none). */
    static ByHand<Action> started(ClientEndpoint e) {
        ByHand<Action> h = new ByHand<>(e, START);
        assertTrue(h.feed(e::start).quiet());
        return h;
    }

    void start(int keepaliveSec, boolean autoReRegister) {
        endpoint = new ClientEndpoint("alice", config(autoReRegister), registered(info(keepaliveSec, TOKEN)));
        hand = started(endpoint);
    }

    /** A session announcement of the server's, as it arrives on the log connection. */
    static byte[] announcement(byte role, String peerId, int controlPort) {
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        new Echo(SERVER_IP, controlPort, 7, peerId, Ipv4.toInt(Ipv4.parse("198.51.100.9")), role).write(b,
                WireVariant.ID32);
        return b.array();
    }

    /** @return {@code record} (an announcement) with its role byte replaced by one that does not exist */
    static byte[] withUnknownRole(byte[] record) {
        byte[] b = record.clone();
        int role = WireVariant.ID32.echoSize() - 1;
        while (b[role] != Protocol.ROLE_INITIATOR && b[role] != Protocol.ROLE_LISTENER) {
            role--; // the role byte comes last but for the union's padding
        }
        b[role] = 'Z';
        return b;
    }

    /** The server's all-zero record: its keepalive. */
    static byte[] keepaliveRecord() {
        return new byte[WireVariant.ID32.echoSize()];
    }

    static InetSocketAddress control(int port) {
        return new InetSocketAddress(Ipv4.toAddress(SERVER_IP), port);
    }

    /** A connection as a rendezvous hands it over: only its identity matters here. */
    static Rendezvous connection(String peerId) {
        return new Rendezvous(new ByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return -1;
            }

            @Override
            public int write(ByteBuffer src) {
                return 0;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        }, peerId, new InetSocketAddress("198.51.100.9", 41000), false, Map.of());
    }

    // ---- the owner's inputs

    long connect(String peerId) {
        long call = endpoint.nextCall();
        Outputs<Action> o = hand.feed(n -> endpoint.connect(call, peerId, CONNECT_TIMEOUT_NS, n));
        if (endpoint.registered()) {
            assertEquals(new Action.Request(call, Msg.connect("alice", peerId).withToken(endpoint.outcome().serverInfo()
                    .token())), o.only(Action.Request.class), "MSG_CONNECT with the holder token");
        }
        return call;
    }

    Outputs<Action> answered(long call, int value) {
        return hand.feed(n -> endpoint.handleAnswered(call, value, n));
    }

    Outputs<Action> listen(long call, long timeoutNs) {
        return hand.feed(n -> endpoint.listen(call, timeoutNs, n));
    }

    Outputs<Action> announce(byte role, String peerId, int controlPort) {
        return hand.bytes(0, announcement(role, peerId, controlPort));
    }

    /** A 'S' announcement; @return the call number of the incoming rendezvous it starts */
    long incoming(String peerId) {
        return announce(Protocol.ROLE_LISTENER, peerId, 40010).only(Action.StartRendezvous.class).call();
    }

    Outputs<Action> rendezvousDone(long call, Rendezvous r) {
        return hand.feed(n -> endpoint.handleRendezvousDone(call, r, n));
    }

    Outputs<Action> rendezvousFailed(long call, Failure error) {
        return hand.feed(n -> endpoint.handleRendezvousFailed(call, error, n));
    }

    /** An XConnect call driven to its rendezvous; @return its number */
    long connectInRendezvous(String peerId) {
        long call = connect(peerId);
        answered(call, Protocol.COMM_ACCEPTED);
        assertEquals(call, announce(Protocol.ROLE_INITIATOR, peerId, 40001).only(Action.StartRendezvous.class).call());
        return call;
    }

    static Failure failed(Outputs<Action> o, long call) {
        Action.Fail f = o.only(Action.Fail.class);
        assertEquals(call, f.call());
        return f.error();
    }

    // ---- XConnect's stages

    @Test
    void connectAsksTheCommServiceThenTakesItsAnnouncementThenRunsTheRendezvous() {
        start(0, false);
        long call = connect("bob");
        assertEquals(START + CONNECT_TIMEOUT_NS, hand.deadline().orElseThrow(), "the XConnect timeout bounds it");
        hand.advance(3 * MS);
        assertTrue(answered(call, Protocol.COMM_ACCEPTED).quiet(), "accepted: the announcement comes next");
        hand.advance(2 * MS);
        Action.StartRendezvous s = announce(Protocol.ROLE_INITIATOR, "bob", 40001).only(Action.StartRendezvous.class);
        assertEquals(new Action.StartRendezvous(call, true, "bob", control(40001), START + CONNECT_TIMEOUT_NS,
                Map.of("comm", Duration.ofMillis(3), "announce", Duration.ofMillis(2)), 0, s.session(), 0), s);
        assertEquals(List.of("comm", "announce"), List.copyOf(s.priorPhases().keySet()));
        assertTrue(hand.deadline().isEmpty(), "the rendezvous bounds itself by the same deadline");
        Rendezvous r = connection("bob");
        assertEquals(new Action.Complete(call, r), rendezvousDone(call, r).only(Action.Complete.class));
        Rendezvous extra = connection("bob");
        assertEquals(new Action.Discard(extra), rendezvousDone(call, extra).only(Action.Discard.class),
                "a connection for an ended call is closed");
    }

    @Test
    void anAnnouncementThatOvertakesTheCommAnswerIsKept() {
        start(0, false);
        long call = connect("bob");
        assertTrue(announce(Protocol.ROLE_INITIATOR, "bob", 40001).quiet(), "the comm answer comes first");
        hand.advance(3 * MS);
        Action.StartRendezvous s = answered(call, Protocol.COMM_ACCEPTED).only(Action.StartRendezvous.class);
        assertEquals(control(40001), s.control());
        assertEquals(Duration.ZERO, s.priorPhases().get("announce"));
        assertEquals(Duration.ofMillis(3), s.priorPhases().get("comm"));
    }

    @Test
    void twoCallsToOnePeerTakeOneAnnouncementEach() {
        start(0, false);
        long first = connect("bob");
        long second = connect("bob");
        answered(first, Protocol.COMM_ACCEPTED);
        answered(second, Protocol.COMM_ACCEPTED);
        Action.StartRendezvous a = announce(Protocol.ROLE_INITIATOR, "bob", 40001).only(Action.StartRendezvous.class);
        Action.StartRendezvous b = announce(Protocol.ROLE_INITIATOR, "bob", 40002).only(Action.StartRendezvous.class);
        assertEquals(List.of(first, second), List.of(a.call(), b.call()));
        assertEquals(List.of(control(40001), control(40002)), List.of(a.control(), b.control()));
    }

    @Test
    void refusalsAreErrMatchAndErrSameNat() {
        start(0, false);
        long call = connect("bob");
        assertEquals(ErrorStat.ERR_MATCH, failed(answered(call, Protocol.COMM_NO_MATCH), call).code());
        assertTrue(hand.deadline().isEmpty(), "nothing left to time");

        call = connect("bob");
        int lan = Ipv4.toInt(Ipv4.parse("10.1.2.3"));
        Failure same = failed(answered(call, lan), call);
        assertEquals(ErrorStat.ERR_SAME_NAT, same.code());
        assertEquals(Integer.reverseBytes(lan), same.detail(), "as the original (x86) reads the answer");
        assertTrue(announce(Protocol.ROLE_INITIATOR, "bob", 40001).quiet(), "a late announcement matches no call");
        assertTrue(answered(call, Protocol.COMM_ACCEPTED).quiet(), "an ended call hears nothing more");
    }

    @Test
    void aFailedCommRequestFailsTheCallWithItsError() {
        start(0, false);
        for (ErrorStat code : new ErrorStat[] {ErrorStat.ERR_COMM_TIMEOUT, ErrorStat.ERR_CONNECT, ErrorStat.ERR_RECEIVE}) {
            long call = connect("bob");
            Failure failure = new Failure(code, 0, "the request's own failure");
            assertSame(failure, failed(hand.feed(n -> endpoint.handleRequestFailed(call, failure, n)), call));
            assertTrue(hand.deadline().isEmpty(), "nothing left to time");
        }
    }

    @Test
    void noCommAnswerBeforeTheDeadlineIsErrTimeoutAndTheRequestIsGivenUp() {
        start(0, false);
        long call = connect("bob");
        assertTrue(hand.justBeforeDeadline().quiet(), "not before the XConnect timeout");
        Outputs<Action> o = hand.atDeadline();
        assertEquals(2, o.actions().size(), o.toString());
        Action.AbortRequest abort = assertInstanceOf(Action.AbortRequest.class, o.actions().get(0));
        Action.Fail fail = o.last(Action.Fail.class);
        assertEquals(call, abort.call());
        assertEquals(call, fail.call());
        assertEquals(ErrorStat.ERR_TIMEOUT, fail.error().code());
        assertTrue(fail.error().getMessage().contains("MSG_CONNECT"), fail.error().getMessage());
        assertTrue(hand.deadline().isEmpty());
        assertTrue(hand.feed(n -> endpoint.handleRequestFailed(call, abort.error(), n)).quiet(),
                "the given-up request's own failure is no second outcome");
    }

    @Test
    void noAnnouncementBeforeTheDeadlineIsErrTimeout() {
        start(0, false);
        long call = connect("bob");
        answered(call, Protocol.COMM_ACCEPTED);
        assertTrue(hand.justBeforeDeadline().quiet());
        Failure e = failed(hand.atDeadline(), call);
        assertEquals(ErrorStat.ERR_TIMEOUT, e.code());
        assertTrue(e.getMessage().contains("announcement"), e.getMessage());
        assertTrue(hand.deadline().isEmpty());
        assertTrue(announce(Protocol.ROLE_INITIATOR, "bob", 40001).quiet(), "too late");
    }

    @Test
    void aFailedRendezvousFailsTheCall() {
        start(0, false);
        long call = connectInRendezvous("bob");
        Failure punch = new Failure(ErrorStat.ERR_ASYM_TIMEOUT, 0, "no direct connection");
        assertSame(punch, failed(rendezvousFailed(call, punch), call));
    }

    // ---- announcements

    @Test
    void anAnnouncementThatMatchesNoCallIsIgnored() {
        start(0, false);
        long call = connectInRendezvous("bob");
        Outputs<Action> o = announce(Protocol.ROLE_INITIATOR, "bob", 40002);
        assertTrue(o.quiet(), "the only call for bob has its rendezvous already");
        assertTrue(announce(Protocol.ROLE_INITIATOR, "carol", 40003).quiet());
        assertTrue(endpoint.registered());
        Rendezvous r = connection("bob");
        assertEquals(new Action.Complete(call, r), rendezvousDone(call, r).only(Action.Complete.class));
    }

    @Test
    void roleSStartsAnIncomingRendezvousBoundedByTheListenTimeout() {
        start(0, false);
        hand.advance(SEC);
        Action.StartRendezvous s = announce(Protocol.ROLE_LISTENER, "carol", 40010).only(Action.StartRendezvous.class);
        assertEquals(new Action.StartRendezvous(s.call(), false, "carol", control(40010),
                START + SEC + LISTEN_TIMEOUT.toNanos(), Map.of(), 0, s.session(), 0), s);
        long other = announce(Protocol.ROLE_LISTENER, "dave", 40011).only(Action.StartRendezvous.class).call();
        assertTrue(other != s.call(), "each incoming rendezvous has its own number");
    }

    @Test
    void theAllZeroRecordIsTheServersKeepaliveAndAPartialRecordWaits() {
        start(0, false);
        assertTrue(hand.bytes(0, keepaliveRecord()).quiet());
        ByteBuffer in = ByteBuffer.allocate(2 * WireVariant.ID32.echoSize());
        in.put(announcement(Protocol.ROLE_LISTENER, "carol", 40010)).put(keepaliveRecord(), 0,
                WireVariant.ID32.echoSize() / 2).flip();
        hand.bytes(0, in).only(Action.StartRendezvous.class);
        assertEquals(WireVariant.ID32.echoSize() / 2, in.remaining(), "half a record is left for the next read");
        assertTrue(endpoint.registered());
    }

    // ---- announcements as the original reads them: its control address, whatever else it says

    /** An endpoint on a server that did not answer the extensions: its role bytes mean nothing here. */
    void startOnAnOriginalServer() {
        ServerInfo original = new ServerInfo("alice", SERVER_IP, Ipv4.toInt(Ipv4.parse("203.0.113.2")), 8124, 8125);
        endpoint = new ClientEndpoint("alice", config(false), registered(original));
        hand = started(endpoint);
    }

    /** An announcement with any role byte and peer field: the control address is all the original reads. */
    static byte[] record(int role, String peerId, int controlPort) {
        byte[] b = announcement(Protocol.ROLE_LISTENER, peerId, controlPort);
        b[52] = (byte) role;
        return b;
    }

    @Test
    void aRecordWithAnAddressIsAnAnnouncementWhateverItsRoleByte() {
        startOnAnOriginalServer();
        for (int role : new int[] {0, 'x', 0xff, 'C'}) {
            Action.StartRendezvous s = hand.bytes(0, record(role, "carol", 40020 + role))
                    .only(Action.StartRendezvous.class);
            assertFalse(s.initiator(), "no XConnect waits: the listener side, as XListen reads it");
            assertEquals(control(40020 + role), s.control());
            assertEquals("carol", s.peerId());
        }
        assertTrue(endpoint.registered());
        assertTrue(hand.bytes(0, keepaliveRecord()).quiet(), "no address: the keepalive, not an announcement");
    }

    @Test
    void anXConnectTakesTheAnnouncementWhateverItsRoleAndPeer() {
        startOnAnOriginalServer();
        long call = connect("bob");
        answered(call, Protocol.COMM_ACCEPTED);
        Action.StartRendezvous s = hand.bytes(0, record('S', "somebody", 40001)).only(Action.StartRendezvous.class);
        assertEquals(call, s.call(), "accepted, so the server announces nothing else to it: its own");
        assertTrue(s.initiator());
        assertEquals("bob", s.peerId(), "the peer is the one XConnect named");
        long second = connect("carol");
        answered(second, Protocol.COMM_ACCEPTED);
        byte[] noValidPeer = record(0, "x", 40002);
        Arrays.fill(noValidPeer, 12, 45, (byte) 'z');
        assertEquals(second, hand.bytes(0, noValidPeer).only(Action.StartRendezvous.class).call());
    }

    @Test
    void withSeveralXConnectsThePeerTheRecordNamesChoosesThenTheOldestAccepted() {
        startOnAnOriginalServer();
        long toBob = connect("bob");
        long toCarol = connect("carol");
        long toDave = connect("dave");
        answered(toDave, Protocol.COMM_ACCEPTED);
        assertTrue(hand.bytes(0, record(0, "carol", 40001)).quiet(), "carol's, kept until its comm answer");
        assertEquals(toCarol, answered(toCarol, Protocol.COMM_ACCEPTED).only(Action.StartRendezvous.class).call());
        assertEquals(toDave, hand.bytes(0, record(0, "", 40002)).only(Action.StartRendezvous.class).call(),
                "no name: the oldest the server accepted, not the oldest in flight");
        assertTrue(hand.bytes(0, record(0, "", 40003)).quiet(), "bob's comm answer is not in: kept for it");
        assertEquals(toBob, answered(toBob, Protocol.COMM_ACCEPTED).only(Action.StartRendezvous.class).call());
    }

    @Test
    void aRecordMarkedSWhileNoXConnectIsAcceptedIsAnIncomingSessionThatCrossedIt() {
        startOnAnOriginalServer();
        long call = connect("bob");
        Action.StartRendezvous s = hand.bytes(0, record('S', "erin", 40010)).only(Action.StartRendezvous.class);
        assertFalse(s.initiator());
        assertTrue(s.call() != call);
        assertEquals(ErrorStat.ERR_MATCH, failed(answered(call, Protocol.COMM_NO_MATCH), call).code(),
                "the server refused bob: erin's session made alice BUSY");
    }

    @Test
    void anAnnouncementHeldByAnXConnectThatFailsGoesToTheListenerSide() {
        startOnAnOriginalServer();
        long call = connect("bob");
        assertTrue(hand.bytes(0, record(0, "erin", 40010)).quiet(), "kept until the comm answer");
        Outputs<Action> o = answered(call, Protocol.COMM_NO_MATCH);
        assertEquals(ErrorStat.ERR_MATCH, o.all(Action.Fail.class).getFirst().error().code());
        Action.StartRendezvous s = o.all(Action.StartRendezvous.class).getFirst();
        assertEquals(2, o.actions().size(), o.toString());
        assertFalse(s.initiator(), "the original's XConnect leaves it unread, for XListen");
        assertEquals(control(40010), s.control());
    }

    @Test
    void anXstuntServersRolesRouteAnnouncementsAndALateOneForTheInitiatorIsIgnored() {
        start(0, false);
        long call = connect("bob");
        answered(call, Protocol.COMM_ACCEPTED);
        Action.StartRendezvous in = announce(Protocol.ROLE_LISTENER, "bob", 40010).only(Action.StartRendezvous.class);
        assertFalse(in.initiator(), "'S' from an xstunt server is an incoming session");
        assertEquals(call, announce(Protocol.ROLE_INITIATOR, "bob", 40001).only(Action.StartRendezvous.class).call());
        assertTrue(announce(Protocol.ROLE_INITIATOR, "bob", 40002).quiet(), "'C' for no XConnect: a late one");
        Action.StartRendezvous odd = hand.bytes(0, record('x', "carol", 40003)).only(Action.StartRendezvous.class);
        assertFalse(odd.initiator(), "an unknown role: read as the original reads it");
    }

    // ---- XListen

    @Test
    void listenWithoutAPendingRequestFailsAtOnce() {
        start(0, false);
        long call = endpoint.nextCall();
        Failure e = failed(listen(call, 5 * SEC), call);
        assertEquals(ErrorStat.ERR_TIMEOUT, e.code());
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void aListenWaitsForTheIncomingConnectionUnderWay() {
        start(0, false);
        long rendezvous = incoming("carol");
        long call = endpoint.nextCall();
        assertTrue(listen(call, 5 * SEC).quiet());
        assertEquals(START + 5 * SEC, hand.deadline().orElseThrow());
        hand.advance(SEC);
        Rendezvous r = connection("carol");
        assertEquals(new Action.Complete(call, r), rendezvousDone(rendezvous, r).only(Action.Complete.class));
        assertTrue(hand.deadline().isEmpty(), "the waiter's deadline is gone with it");
    }

    @Test
    void aConnectionThatCameUpWaitsForTheNextListen() {
        start(0, false);
        long rendezvous = incoming("carol");
        Rendezvous r = connection("carol");
        assertTrue(rendezvousDone(rendezvous, r).quiet(), "queued: nobody listens yet");
        long call = endpoint.nextCall();
        assertEquals(new Action.Complete(call, r), listen(call, 5 * SEC).only(Action.Complete.class));
        long next = endpoint.nextCall();
        assertEquals(ErrorStat.ERR_TIMEOUT, failed(listen(next, 5 * SEC), next).code(), "taken once");
    }

    @Test
    void waitersAreServedInOrderAndEachTimesOutAtItsOwnDeadline() {
        start(0, false);
        long first = incoming("carol");
        long second = incoming("dave");
        long w1 = endpoint.nextCall();
        long w2 = endpoint.nextCall();
        long w3 = endpoint.nextCall();
        listen(w1, 5 * SEC);
        hand.advance(SEC);
        listen(w2, 5 * SEC);
        listen(w3, 2 * SEC);
        assertEquals(START + 3 * SEC, hand.deadline().orElseThrow(), "the nearest waiter's");
        Rendezvous a = connection("carol");
        assertEquals(new Action.Complete(w1, a), rendezvousDone(first, a).only(Action.Complete.class), "the oldest first");
        assertTrue(hand.justBeforeDeadline().quiet());
        assertEquals(ErrorStat.ERR_TIMEOUT, failed(hand.atDeadline(), w3).code());
        assertEquals(START + 6 * SEC, hand.deadline().orElseThrow());
        assertEquals(ErrorStat.ERR_TIMEOUT, failed(hand.atDeadline(), w2).code());
        Rendezvous b = connection("dave");
        assertTrue(rendezvousDone(second, b).quiet(), "no waiter left: queued");
    }

    @Test
    void aFailedIncomingRendezvousFailsTheOldestWaiterOrGoesToTheCallback() {
        start(0, false);
        long first = incoming("carol");
        long second = incoming("dave");
        long call = endpoint.nextCall();
        listen(call, 5 * SEC);
        Failure aborted = new Failure(ErrorStat.ERR_ASYMSERVER, 0, "the peer aborted");
        assertSame(aborted, failed(rendezvousFailed(first, aborted), call));
        Failure late = new Failure(ErrorStat.ERR_TIMEOUT, 0, "no direct connection");
        assertSame(late, rendezvousFailed(second, late).only(Action.DeliverFailure.class).error());
    }

    @Test
    void theCallbackTakesQueuedConnectionsAtOnceAndEveryLaterOne() {
        start(0, false);
        long first = incoming("carol");
        Rendezvous a = connection("carol");
        rendezvousDone(first, a);
        assertEquals(List.of(new Action.Deliver(a)), hand.feed(n -> endpoint.useCallback(true, n)).actions());
        long second = incoming("dave");
        Rendezvous b = connection("dave");
        assertEquals(new Action.Deliver(b), rendezvousDone(second, b).only(Action.Deliver.class));
        assertTrue(hand.feed(n -> endpoint.useCallback(false, n)).quiet());
        long third = incoming("erin");
        assertTrue(rendezvousDone(third, connection("erin")).quiet(), "without the callback: queued again");
    }

    // ---- keepalive

    @Test
    void withoutAKeepaliveFromTheServerNothingIsTimed() {
        start(0, false);
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void aKeepaliveGoesOutEveryIntervalWhileTheServerIsHeard() {
        start(10, false);
        assertEquals(START + 10 * SEC, hand.deadline().orElseThrow());
        for (int beat = 1; beat <= 5; beat++) {
            assertTrue(hand.justBeforeDeadline().quiet());
            Outputs<Action> o = hand.atDeadline();
            assertArrayEquals(new byte[] {'\n'}, o.sentBytes(0), "an empty log line, beat " + beat);
            assertTrue(o.actions().isEmpty());
            assertEquals(START + (beat + 1) * 10 * SEC, hand.deadline().orElseThrow());
            assertTrue(hand.bytes(0, keepaliveRecord()).quiet(), "the server's record: it is there");
        }
        assertTrue(endpoint.registered());
    }

    @Test
    void aServerSilentForMoreThanThreeIntervalsIsGone() {
        start(10, false);
        long rendezvous = connectInRendezvous("bob");
        for (int beat = 1; beat <= 3; beat++) {
            Outputs<Action> o = hand.atDeadline();
            assertArrayEquals(new byte[] {'\n'}, o.sentBytes(0), "silent for " + beat + " interval(s): not gone");
            assertTrue(o.actions().isEmpty());
        }
        Outputs<Action> o = hand.atDeadline();
        assertEquals(START + 40 * SEC, hand.now());
        assertEquals(0, o.sent(0).size(), "no keepalive to a server that is gone");
        assertEquals(Closing.NOW, o.closing(0));
        Action.AbortRendezvous abort = o.only(Action.AbortRendezvous.class);
        assertEquals(rendezvous, abort.call());
        assertEquals(ErrorStat.ERR_RECEIVE, abort.error().code());
        assertTrue(abort.error().getMessage().contains("silent for 40000 ms"), abort.error().getMessage());
        assertFalse(endpoint.registered());
        assertTrue(hand.deadline().isEmpty(), "no keepalive, no re-registration");
    }

    @Test
    void anyByteFromTheServerCountsAsHeard() {
        start(10, false);
        hand.at(START + 25 * SEC);
        assertTrue(hand.bytes(0, keepaliveRecord()).quiet());
        for (int beat = 1; beat <= 5; beat++) {
            assertArrayEquals(new byte[] {'\n'}, hand.atDeadline().sentBytes(0), "beat " + beat);
        }
        assertEquals(START + 50 * SEC, hand.now());
        assertEquals(Closing.NOW, hand.atDeadline().closing(0), "silent from 25 s to 60 s");
        assertFalse(endpoint.registered());
    }

    // ---- losing the server

    @Test
    void losingTheServerFailsEveryCallAndEveryWaiter() {
        start(10, false);
        long inComm = connect("bob");
        long inAnnounce = connect("carol");
        answered(inAnnounce, Protocol.COMM_ACCEPTED);
        long inRendezvous = connectInRendezvous("dave");
        long incoming = incoming("erin");
        long waiter = endpoint.nextCall();
        listen(waiter, 5 * SEC);

        Outputs<Action> o = hand.closed(0, "java.io.IOException: Connection reset by peer");
        Failure lost = o.last(Action.Fail.class).error();
        assertEquals(ErrorStat.ERR_RECEIVE, lost.code());
        assertTrue(lost.getMessage().contains("Connection reset"), lost.getMessage());
        assertEquals(List.of(new Action.AbortRequest(inComm, lost), new Action.Fail(inComm, lost),
                new Action.Fail(inAnnounce, lost), new Action.AbortRendezvous(inRendezvous, lost),
                new Action.AbortRendezvous(incoming, lost), new Action.Fail(waiter, lost)), o.actions());
        assertFalse(endpoint.registered());
        assertTrue(hand.deadline().isEmpty(), "no keepalive to a server that is gone, no call left to time");

        assertSame(lost, failed(rendezvousFailed(inRendezvous, lost), inRendezvous), "fails through its rendezvous");
        assertSame(lost, rendezvousFailed(incoming, lost).only(Action.DeliverFailure.class).error(),
                "no waiter is left for it");
    }

    @Test
    void whileTheServerIsGoneCallsFailAtOnceAndAnnouncementsAreIgnored() {
        start(0, false);
        hand.closed(0, null);
        long call = endpoint.nextCall();
        assertEquals(ErrorStat.ERR_CONNECT, failed(hand.feed(n -> endpoint.connect(call, "bob", SEC, n)), call).code());
        long listen = endpoint.nextCall();
        assertEquals(ErrorStat.ERR_CONNECT, failed(listen(listen, SEC), listen).code());
        long deregister = endpoint.nextCall();
        assertEquals(ErrorStat.ERR_CONNECT, failed(hand.feed(n -> endpoint.deregister(deregister, n)), deregister).code());
        assertTrue(announce(Protocol.ROLE_LISTENER, "carol", 40010).quiet());
        assertTrue(hand.closed(0, null).quiet(), "lost once");
    }

    @Test
    void connectionsThatCameUpAreClosedWhenTheServerIsLost() {
        start(0, false);
        long first = incoming("carol");
        long second = incoming("dave");
        Rendezvous queued = connection("carol");
        rendezvousDone(first, queued);
        Outputs<Action> o = hand.closed(0, null);
        assertTrue(o.actions().contains(new Action.Discard(queued)), o.toString());
        Rendezvous late = connection("dave");
        assertEquals(new Action.Discard(late), rendezvousDone(second, late).only(Action.Discard.class),
                "it came up before it heard of the abort: nobody is left to take it");
        long call = endpoint.nextCall();
        assertEquals(ErrorStat.ERR_CONNECT, failed(listen(call, SEC), call).code(), "nothing is left to take");
    }

    // ---- registering again

    @Test
    void theIdIsRegisteredAgainWithADelayThatDoublesUpToItsBound() {
        start(0, true);
        hand.closed(0, null);
        long lostAt = hand.now();
        long at = lostAt;
        long delay = ReRegistration.MIN_DELAY_NS;
        for (int attempt = 1; attempt <= 9; attempt++) {
            assertEquals(at + delay, hand.deadline().orElseThrow(), "attempt " + attempt);
            assertTrue(hand.justBeforeDeadline().quiet());
            hand.atDeadline().only(Action.Register.class);
            assertTrue(hand.deadline().isEmpty(), "one registration at a time");
            hand.advance(2 * MS); // the registration takes a while
            at = hand.now();
            hand.feed(n -> endpoint.handleRegisterFailed(new Failure(ErrorStat.ERR_CONNECT, 0, "refused"), n));
            delay = Math.min(2 * delay, ReRegistration.MAX_DELAY_NS);
        }
        assertEquals(ReRegistration.MAX_DELAY_NS, hand.deadline().orElseThrow() - at);
        assertEquals(1, endpoint.registrations());
        assertFalse(endpoint.registered());
    }

    @Test
    void registeredAgainTheClientWorksOnTheNewConnection() {
        start(10, true);
        hand.closed(0, null);
        hand.atDeadline().only(Action.Register.class);
        hand.advance(SEC);
        Registration.Outcome fresh = registered(info(20, 0x99L));
        Outputs<Action> o = hand.feed(n -> endpoint.handleRegistered(fresh, n));
        assertTrue(o.actions().isEmpty());
        assertEquals(Closing.OPEN, o.closing(0), "the new log connection is open");
        assertTrue(endpoint.registered());
        assertEquals(2, endpoint.registrations());
        assertSame(fresh, endpoint.outcome());
        assertEquals(hand.now() + 20 * SEC, hand.deadline().orElseThrow(), "the new server's keepalive");
        assertArrayEquals(new byte[] {'\n'}, hand.atDeadline().sentBytes(0));
        long call = connect("bob"); // asserts the new token
        assertEquals(0x99L, endpoint.outcome().serverInfo().token());
        answered(call, Protocol.COMM_ACCEPTED);
        assertEquals(call, announce(Protocol.ROLE_INITIATOR, "bob", 40001).only(Action.StartRendezvous.class).call());

        long lostAgain = hand.now();
        hand.closed(0, null);
        assertEquals(lostAgain + ReRegistration.MIN_DELAY_NS, hand.deadline().orElseThrow(),
                "the delay starts over");
    }

    @Test
    void withoutAutoReRegisterALostServerStaysLost() {
        start(10, false);
        hand.closed(0, null);
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void aClientClosedWhileRegisteringAgainStaysClosed() {
        start(0, true);
        hand.closed(0, null);
        hand.atDeadline().only(Action.Register.class);
        assertTrue(hand.feed(endpoint::close).actions().isEmpty());
        Outputs<Action> o = hand.feed(n -> endpoint.handleRegistered(registered(info(0, 0x99L)), n));
        assertEquals(Closing.NOW, o.closing(0), "the new connection is closed at once");
        assertFalse(endpoint.registered());
        assertEquals(1, endpoint.registrations());

        start(0, true);
        hand.closed(0, null);
        hand.atDeadline().only(Action.Register.class);
        hand.feed(endpoint::close);
        assertTrue(hand.feed(n -> endpoint.handleRegisterFailed(new Failure(ErrorStat.ERR_CONNECT, 0, "x"), n)).quiet());
        assertTrue(hand.deadline().isEmpty(), "no next try");

        start(0, true);
        hand.closed(0, null);
        hand.feed(endpoint::close);
        assertTrue(hand.deadline().isEmpty(), "the pending try is off");
    }

    // ---- XDeRegister and close

    @Test
    void deregisterSendsMsgDeregisterThenEndsTheClient() {
        start(10, true);
        long pending = connect("bob");
        long call = endpoint.nextCall();
        Outputs<Action> o = hand.feed(n -> endpoint.deregister(call, n));
        assertEquals(new Action.Request(call, Msg.deregister("alice").withToken(TOKEN)), o.only(Action.Request.class));
        assertTrue(endpoint.registered(), "until the message is delivered");
        o = hand.feed(n -> endpoint.handleDelivered(call, n));
        assertEquals(new Action.Deregistered(call), o.last(Action.Deregistered.class));
        Action.Fail f = o.all(Action.Fail.class).get(0);
        assertEquals(pending, f.call());
        assertEquals(ErrorStat.ERR_FAIL, f.error().code());
        assertEquals(Closing.NOW, o.closing(0));
        assertFalse(endpoint.registered());
        assertTrue(hand.closed(0, null).quiet(), "no registering again after a deregistration");
        assertTrue(hand.deadline().isEmpty(), "no keepalive, no call, no re-registration left to time");
    }

    @Test
    void theServerClosingTheLogFirstDoesNotRegisterAgain() {
        start(0, true);
        long call = endpoint.nextCall();
        hand.feed(n -> endpoint.deregister(call, n));
        hand.closed(0, null); // the server forgets the ID before the comm connection's close is reported
        assertTrue(hand.deadline().isEmpty());
        assertEquals(new Action.Deregistered(call), hand.feed(n -> endpoint.handleDelivered(call, n))
                .only(Action.Deregistered.class));
    }

    @Test
    void aFailedDeregisterFailsItsCallAndStillEndsTheClient() {
        start(10, false);
        long call = endpoint.nextCall();
        hand.feed(n -> endpoint.deregister(call, n));
        Failure unreachable = new Failure(ErrorStat.ERR_CONNECT, 0, "refused");
        Outputs<Action> o = hand.feed(n -> endpoint.handleRequestFailed(call, unreachable, n));
        assertSame(unreachable, failed(o, call));
        assertEquals(Closing.NOW, o.closing(0));
        assertFalse(endpoint.registered());
        assertTrue(hand.deadline().isEmpty());
    }

    @Test
    void twoDeregisterCallsEachEnd() {
        start(0, false);
        long first = endpoint.nextCall();
        long second = endpoint.nextCall();
        hand.feed(n -> endpoint.deregister(first, n)).only(Action.Request.class);
        hand.feed(n -> endpoint.deregister(second, n)).only(Action.Request.class);
        assertEquals(new Action.Deregistered(first), hand.feed(n -> endpoint.handleDelivered(first, n))
                .last(Action.Deregistered.class));
        assertEquals(new Action.Deregistered(second), hand.feed(n -> endpoint.handleDelivered(second, n))
                .only(Action.Deregistered.class));
    }

    @Test
    void closeEndsEverythingWithoutRegisteringAgain() {
        start(10, true);
        long inComm = connect("bob");
        long inRendezvous = connectInRendezvous("carol");
        long waiter = endpoint.nextCall();
        long incoming = incoming("dave");
        listen(waiter, 5 * SEC);
        Outputs<Action> o = hand.feed(endpoint::close);
        Failure closed = o.last(Action.Fail.class).error();
        assertEquals(ErrorStat.ERR_FAIL, closed.code());
        assertEquals(List.of(new Action.AbortRequest(inComm, closed), new Action.Fail(inComm, closed),
                new Action.AbortRendezvous(inRendezvous, closed), new Action.AbortRendezvous(incoming, closed),
                new Action.Fail(waiter, closed)), o.actions());
        assertEquals(Closing.NOW, o.closing(0));
        assertTrue(hand.deadline().isEmpty());
        assertTrue(hand.closed(0, null).quiet(), "its own close is no loss of the server");
        assertTrue(hand.deadline().isEmpty());
        assertTrue(hand.feed(endpoint::close).quiet(), "closing twice");
    }
}
