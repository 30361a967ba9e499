package io.xstunt.engine.server;

import static io.xstunt.engine.server.RegistrationBytes.idField;
import static io.xstunt.engine.server.RegistrationBytes.state;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.proc.FakeConnection;
import io.xstunt.engine.proc.FakeIncoming;
import io.xstunt.engine.proc.FakeNetwork;
import io.xstunt.engine.registry.DeferredRegistry;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log service on a network turned by hand: its registrars driven on real (fake) connections,
 * the registry's effects reaching them, and what the comm service asks of it (the unwritten
 * announcements, the announcement budget).
 */
class LogServiceTest {
    private static final String IP_A = "203.0.113.5";
    private static final String IP_B = "203.0.113.6";
    private static final InetSocketAddress LOG_PORT = new InetSocketAddress("127.0.0.1", 4000);
    private static final long SEC = 1_000_000_000L;
    private static final Echo ANNOUNCEMENT = new Echo(1, 4000, 1, "bob", 3, Protocol.ROLE_LISTENER);

    private final FakeNetwork net = new FakeNetwork(7 * SEC);
    private final ServerConfig config = ServerConfig.builder(Ipv4.parse("127.0.0.1"), Ipv4.parse("127.0.0.2"))
            .maxPendingAnnouncements(2).maxAnnouncementsPerSecond(2).build();
    private final InMemoryRegistry store = new InMemoryRegistry(10, false);
    private final DirectClients clients = new DirectClients(store);
    private final ServerStats stats = new ServerStats();
    private final Admission admission = new Admission(8, stats);
    private Registry registry = store;
    private LogService log;
    private int arrivals;

    /** The log service on {@code r}, its effects routed as the server routes them. */
    private void serve(Registry r) {
        registry = r;
        log = new LogService(DirectClients.SERVER, net, config, r, admission, stats, ClientLogSink.discard(),
                () -> 42L);
        log.infoTemplate(new ServerInfo("", 1, 2, 3, 4));
        r.attach(DirectClients.SERVER, new Registry.Effects() {
            @Override
            public void disconnect(Holder holder, String reason) {
                log.disconnect(holder);
            }

            @Override
            public void abortSession(SessionRef session, String reason) {
            }

            @Override
            public void announce(Holder holder, Echo announcement, int relayFlags) {
                log.announce(holder, announcement, relayFlags, null);
            }

            @Override
            public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
            }

            @Override
            public boolean admitAnnouncement(Holder holder) {
                return true;
            }
        });
    }

    LogServiceTest() {
        serve(store);
    }

    /** The log service numbers its registrations from 1, in the order the connections arrive. */
    private static Holder holder(int n) {
        return new Holder(DirectClients.SERVER, n);
    }

    private FakeIncoming arrive(String ip) {
        FakeIncoming in = net.incoming("log" + arrivals, LOG_PORT, new InetSocketAddress(ip, 50000 + arrivals));
        arrivals++;
        log.accept(in);
        return in;
    }

    /** A client from {@code ip} registers {@code id} in {@code st}; its greeting and ServerInfo read. */
    private FakeConnection registered(String ip, String id, int st) {
        FakeConnection c = arrive(ip).connection();
        assertEquals(LogHello.SIZE, c.takeRead().length);
        c.receive(idField(id));
        assertEquals(id, ServerInfo.read(ByteBuffer.wrap(c.takeRead()), WireVariant.ID32).id());
        c.receive(state(st, 11));
        return c;
    }

    @Test
    void theVariantOfASourcesRegistrationsIsKnownWhileTheyAreHeld() {
        assertEquals(null, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_A))), "nothing held from there");
        FakeConnection published = arrive(IP_A).connection();
        published.takeRead();
        published.receive(idField("pub", false, WireVariant.ID31));
        net.advance(config.variantWait().toNanos());
        assertEquals("pub", ServerInfo.read(ByteBuffer.wrap(published.takeRead()), WireVariant.ID31).id());
        assertEquals(WireVariant.ID31, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_A))));
        FakeConnection reference = registered(IP_A, "ref", Protocol.CSTATE_IDLE);
        assertEquals(null, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_A))), "both variants from there");
        registered(IP_B, "other", Protocol.CSTATE_IDLE);
        assertEquals(WireVariant.ID32, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_B))));
        published.peerCloses();
        assertEquals(WireVariant.ID32, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_A))));
        reference.peerCloses();
        assertEquals(null, log.variantFrom(Ipv4.toInt(Ipv4.parse(IP_A))));
    }

    @Test
    void aLogConnectionIsAdoptedWithASmallSendBuffer() {
        FakeIncoming in = arrive(IP_A);
        assertEquals(4096, in.options().sendBuffer(), "a client that does not read shows at once");
        assertEquals(1, log.size());
        assertEquals(1, admission.connections());
    }

    @Test
    void announcementsStopAtTheUnwrittenLimit() {
        FakeConnection c = registered(IP_A, "alice", Protocol.CSTATE_IDLE);
        c.peerReads(false);
        assertTrue(log.canAnnounce(holder(1)));
        registry.announce(holder(1), ANNOUNCEMENT);
        assertTrue(log.canAnnounce(holder(1)), "one unwritten");
        registry.announce(holder(1), ANNOUNCEMENT);
        assertFalse(log.canAnnounce(holder(1)), "two unwritten: the limit");
        c.peerReads(true);
        assertTrue(log.canAnnounce(holder(1)), "written once the client reads");
        assertEquals(2 * WireVariant.ID32.echoSize(), c.takeRead().length);

        registered(IP_B, "pat", Protocol.CSTATE_PROBE);
        assertFalse(log.canAnnounce(holder(2)), "a PROBE registration is not announced to");
        assertFalse(log.canAnnounce(holder(9)), "nor one this server does not hold");
    }

    @Test
    void theRegistrysAnnouncementIsWrittenAtOnce() {
        FakeConnection c = registered(IP_A, "alice", Protocol.CSTATE_IDLE);
        registry.announce(holder(1), ANNOUNCEMENT);
        assertEquals(ANNOUNCEMENT, Echo.read(ByteBuffer.wrap(c.takeRead()), WireVariant.ID32),
                "no input of the client needed");
    }

    @Test
    void aDeregistrationDisconnectsTheHolderAndForgetsIt() {
        FakeConnection c = registered(IP_A, "alice", Protocol.CSTATE_IDLE);
        List<String> denials = new ArrayList<>();
        registry.deregister("alice", Ipv4.toInt(Ipv4.parse(IP_A)), 0L, denials::add);
        assertEquals(Collections.singletonList(null), denials, "honoured");
        assertTrue(c.isClosed(), "the registry's disconnect effect closed it");
        assertEquals(0, log.size());
        assertEquals(0, admission.connections());
        assertEquals(0, clients.count());
        assertEquals(0, net.pendingTimers());
    }

    @Test
    void aReplacedProbeRegistrationIsDisconnectedAndItsCloseFreesNothing() {
        FakeConnection probe = registered(IP_A, "alice", Protocol.CSTATE_PROBE);
        FakeConnection again = registered(IP_A, "alice", Protocol.CSTATE_IDLE);
        assertTrue(probe.isClosed());
        assertFalse(again.isClosed());
        assertEquals(Protocol.CSTATE_IDLE, clients.query("alice"));
        assertEquals(1, log.size());
    }

    @Test
    void aClaimAnsweredAfterTheCloseIsReleased() {
        DeferredRegistry later = new DeferredRegistry(store);
        serve(later);
        FakeConnection c = arrive(IP_A).connection();
        c.receive(idField("alice"));
        assertEquals(1, later.queued(), "the claim is on its way");
        c.peerCloses();
        assertEquals(1, stats.count(Rejection.TRUNCATED));
        later.deliver();
        assertEquals(0, clients.count(), "claimed, then released by the closed registrar");
        assertEquals(0, later.queued());
        assertEquals(0, log.size());
    }

    @Test
    void theAnnouncementBudgetRefillsAtItsRateUpToOneSecondsWorth() {
        registered(IP_A, "alice", Protocol.CSTATE_IDLE);
        Holder h = holder(1);
        assertTrue(log.takeAnnouncement(h), "a fresh registration starts full");
        assertTrue(log.takeAnnouncement(h));
        assertFalse(log.takeAnnouncement(h), "2 a second");
        net.advance(SEC / 2);
        assertTrue(log.takeAnnouncement(h), "one more after half a second");
        assertFalse(log.takeAnnouncement(h));
        net.advance(10 * SEC);
        assertTrue(log.takeAnnouncement(h));
        assertTrue(log.takeAnnouncement(h));
        assertFalse(log.takeAnnouncement(h), "never more than one second's worth");
        assertFalse(log.takeAnnouncement(holder(5)), "a registration this server does not hold");
    }

    @Test
    void refusalsAreCountedAndTheConnectionsForgotten() {
        FakeConnection c = arrive(IP_A).connection();
        c.takeRead();
        c.receive(idField(""));
        assertEquals("", ServerInfo.read(ByteBuffer.wrap(c.takeRead()), WireVariant.ID32).id());
        assertTrue(c.isClosed(), "the empty ServerInfo flushed, then closed");
        assertEquals(1, stats.count(Rejection.INVALID_ID));
        assertEquals(1, stats.total());
        assertEquals(0, log.size());
        assertEquals(0, net.pendingTimers(), "its handshake deadline is gone with it");
        assertArrayEquals(new byte[0], c.takeRead(), "nothing after the close");
    }
}
