package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.RelayEnd;
import io.xstunt.api.RelayMode;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntException;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.ChannelLines;
import io.xstunt.testkit.Prerequisite;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients on two real servers sharing a real Redis: a rendezvous across servers, IDs and
 * same-NAT detection across them, a server's death and its client's failover, Redis's death and
 * return.
 */
class CrossServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private TestStore redis;

    @BeforeEach
    void startRedis() throws Exception {
        redis = store(dir);
    }

    /** The Redis the servers share: one redis-server here, a Cluster in {@link ClusterCrossServerTest}. */
    TestStore store(Path dir) throws Exception {
        return TestStore.single(dir);
    }

    @AfterEach
    void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    /** Connects {@code from} to {@code to}, which accepts it, and sends a line each way. */
    static void connectAndTalk(XstuntClient from, XstuntClient to, String toId) throws Exception {
        CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
        XstuntAsync.onIncoming(to, incoming::complete, incoming::completeExceptionally);
        XstuntConnection out = XstuntAsync.xConnect(from, toId, TIMEOUT).get(BOUND.toSeconds(), TimeUnit.SECONDS);
        XstuntConnection in = incoming.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        try (SocketChannel a = out.channel(); SocketChannel b = in.channel()) {
            ChannelLines.send(a, "hello " + toId);
            assertEquals("hello " + toId, ChannelLines.read(b));
            ChannelLines.send(b, "hello back");
            assertEquals("hello back", ChannelLines.read(a));
        }
    }

    @Test
    void aClientOfOneServerReachesAClientOfTheOther() throws Exception {
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            List<SessionSummary> on1 = new CopyOnWriteArrayList<>();
            List<SessionSummary> on2 = new CopyOnWriteArrayList<>();
            t.s1.onSessionFinished(on1::add);
            t.s2.onSessionFinished(on2::add);
            XstuntClient alice = t.register(TwoServers.S1, "alice", 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            assertEquals(OptionalInt.of(Protocol.CSTATE_IDLE), t.s1.stateOf("bob"), "MSG_QUERY on s1 sees s2's client");

            connectAndTalk(alice, bob, "bob");
            Await.until("the session finished on server 1", BOUND, () -> on1.size() == 1);
            assertEquals("alice", on1.get(0).initiatorId());
            assertEquals("bob", on1.get(0).listenerId());
            assertTrue(on2.isEmpty(), "the session ran on the initiator's server only: " + on2);
            Await.until("both IDLE again", BOUND, () -> t.s2.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                    && t.s1.stateOf("alice").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            // and the other way round: the session then runs on server 2
            connectAndTalk(bob, alice, "alice");
            Await.until("the session finished on server 2", BOUND, () -> on2.size() == 1);

            // an ID is unique across the servers
            XstuntException dup = assertThrows(XstuntException.class,
                    () -> t.register(TwoServers.S1, "bob", 15));
            assertEquals(ErrorCode.ERR_DUPLICATE_ID, dup.code());

            // same "public" IP, registered on different servers: the same-NAT answer
            XstuntClient carol = t.register(TwoServers.S2, "carol", t.options(11)
                    .fingerprintFile(dir.resolve("fingerprint-carol.dat")).build());
            XstuntException same = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "carol", TIMEOUT));
            assertEquals(ErrorCode.ERR_SAME_NAT, same.code());
            carol.close();
        }
    }

    /**
     * The fingerprint of every xstunt client reaches the shared record (field {@code fp}: its
     * capability line, "punch port, then P or N for port-preserving or not and the increment, or
     * R"), readable by every server, whatever its strategy (capability is not preference); an
     * ORIGINAL client says port 0: the fingerprint only.
     */
    @Test
    void theSharedRecordHoldsEveryXstuntClientsFingerprint() throws Exception {
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            t.register(TwoServers.S1, "alice", t.options(11).punchStrategy(io.xstunt.api.PunchStrategy.FAST).build());
            t.register(TwoServers.S1, "bob", t.options(12).punchStrategy(io.xstunt.api.PunchStrategy.RACE).build());
            t.register(TwoServers.S2, "carol",
                    t.options(13).punchStrategy(io.xstunt.api.PunchStrategy.ORIGINAL).build());
            for (String id : new String[] {"alice", "bob", "carol"}) {
                String fp = fingerprintOf(id);
                assertTrue(fp.matches("\\d{1,5} [PN](-?\\d+|R)"), id + "'s fp field: '" + fp + "'");
                assertTrue(fp.split(" ")[1].startsWith("P"), "loopback keeps ports: " + fp);
                assertEquals(id.equals("carol"), fp.startsWith("0 "), id + ": port 0 for ORIGINAL only: " + fp);
            }
        }
    }

    /** @return {@code id}'s {@code fp} field, once its record has one */
    private String fingerprintOf(String id) {
        String[] fp = new String[1];
        Await.until(id + "'s record has its fingerprint", BOUND, () -> {
            try {
                fp[0] = redis.hget("xstunt:id:" + id, "fp");
            } catch (Exception e) {
                throw new AssertionError("cannot read " + id + "'s record", e);
            }
            return fp[0] != null && !fp[0].isEmpty();
        });
        return fp[0];
    }

    /**
     * Two dual-stack clients on different servers race IPv6 as on one server: each one's A6
     * endpoint reaches its shared record (field {@code v6}), the session's server names it in the
     * announcement to the other server's client, and both ends get the IPv6 peer record, so the
     * simultaneous open over ::1 wins. Needs ::1 (skipped, saying why, without it; fails in CI).
     */
    @Test
    void dualStackClientsOnTwoServersRaceIpv6AndItWins() throws Exception {
        java.net.Inet6Address loopback6 = (java.net.Inet6Address) InetAddress.getByName("::1");
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.bind(new InetSocketAddress(loopback6, 0));
        } catch (IOException e) {
            Prerequisite.missing("no ::1 on this machine (IPv6 disabled in the kernel?): " + e);
        }
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            XstuntClient alice = t.register(TwoServers.S1, "alice", t.options(11).ipv6Address(loopback6).build());
            XstuntClient bob = t.register(TwoServers.S2, "bob", t.options(12).ipv6Address(loopback6).build());
            for (String id : new String[] {"alice", "bob"}) {
                Await.until(id + "'s record has its IPv6 endpoint", BOUND, () -> {
                    try {
                        String v6 = redis.hget("xstunt:id:" + id, "v6");
                        return v6 != null && v6.matches("::1 \\d{1,5}");
                    } catch (Exception e) {
                        throw new AssertionError("cannot read " + id + "'s record", e);
                    }
                });
            }
            for (XstuntClient[] pair : new XstuntClient[][] {{alice, bob}, {bob, alice}}) {
                String toId = pair[1] == bob ? "bob" : "alice";
                CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
                XstuntAsync.onIncoming(pair[1], incoming::complete, incoming::completeExceptionally);
                XstuntConnection out = XstuntAsync.xConnect(pair[0], toId, TIMEOUT).get(BOUND.toSeconds(),
                        TimeUnit.SECONDS);
                XstuntConnection in = incoming.get(BOUND.toSeconds(), TimeUnit.SECONDS);
                try (SocketChannel a = out.channel(); SocketChannel b = in.channel()) {
                    assertEquals(StandardProtocolFamily.INET6, out.family(), "the initiator's end, to " + toId);
                    assertEquals(StandardProtocolFamily.INET6, in.family(), "the listener's end, " + toId);
                    ChannelLines.send(a, "over six to " + toId);
                    assertEquals("over six to " + toId, ChannelLines.read(b));
                }
                Await.until("both IDLE again", BOUND, () -> t.s1.stateOf("bob").equals(OptionalInt.of(
                        Protocol.CSTATE_IDLE)) && t.s1.stateOf("alice").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            }
        }
    }

    @Test
    void theListenersAnnouncementBudgetIsKeptByItsOwnServer() throws Exception {
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir, b -> b.maxAnnouncementsPerSecond(1))) {
            XstuntClient alice = t.register(TwoServers.S1, "alice", 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            connectAndTalk(alice, bob, "bob"); // takes bob's one announcement of this second
            Await.until("both IDLE again", BOUND, () -> t.s1.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                    && t.s1.stateOf("alice").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            XstuntException e = assertThrows(XstuntException.class, () -> Xstunt.xConnect(alice, "bob", TIMEOUT));
            // bob's server refuses the announcement and ends the session on alice's server, which
            // alice had already been announced: her control channel closes or is gone when she
            // comes (ERR_SYN_RECEIVE seen; on one server the answer is -1, ERR_MATCH)
            assertTrue(Set.of(ErrorCode.ERR_SYN_RECEIVE, ErrorCode.ERR_SYN_SEND, ErrorCode.ERR_CONNECT,
                    ErrorCode.ERR_RECEIVE).contains(e.code()), e.code() + ": " + e.getMessage());
            assertEquals(1, t.s2.rejected(io.xstunt.engine.server.Rejection.ANNOUNCEMENT_RATE));
            assertEquals(0, t.s1.rejected(io.xstunt.engine.server.Rejection.ANNOUNCEMENT_RATE));
        }
    }

    @Test
    void aRelayedConnectionAcrossServersRunsOnTheSessionsServerAndBothEndsHearItsEnd() throws Exception {
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            XstuntClient alice = t.register(TwoServers.S1, "alice", t.options(11).relayMode(RelayMode.RELAY_ONLY).build());
            XstuntClient bob = t.register(TwoServers.S2, "bob", t.options(12).relayMode(RelayMode.RELAY_ALLOWED).build());
            CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
            XstuntAsync.onIncoming(bob, incoming::complete, incoming::completeExceptionally);
            XstuntConnection atAlice = XstuntAsync.xConnect(alice, "bob", TIMEOUT).get(BOUND.toSeconds(),
                    TimeUnit.SECONDS);
            XstuntConnection atBob = incoming.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertEquals(ConnectionPath.RELAYED, atAlice.path());
            assertEquals(ConnectionPath.RELAYED, atBob.path(), "bob (server 2) was announced the relay offer");
            assertEquals(1, t.s1.relaysInFlight(), "the relay runs on the session's server");
            assertEquals(0, t.s2.relaysInFlight());
            ChannelLines.send(atAlice.channel(), "through server 1");
            assertEquals("through server 1", ChannelLines.read(atBob.channel()));
            atAlice.close();
            // bob's end notice comes from server 1 through server 2's channel
            RelayEnd atBobEnd = atBob.relayEnd().get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertEquals(RelayEnd.Reason.PEER_CLOSED, atBobEnd.reason());
            assertEquals("through server 1\n".length(), atBobEnd.bytesReceived());
            atBob.close();
        }
    }

    @Test
    void aClientWhoseServerDiesRegistersOnTheOtherAndIsReachedThere() throws Exception {
        // a lease far longer than the bound below: only the holder token's takeover can free the ID in time
        try (TwoServers t = new TwoServers(redis.uri(120_000), dir)) {
            XstuntClient dave = t.register(TwoServers.S1, "dave", t.options(13)
                    .failoverServer(TwoServers.S2[0], TwoServers.S2[1]).build());
            XstuntClient erin = t.register(TwoServers.S2, "erin", 14);
            long t0 = System.nanoTime();
            t.loop1.close(); // server 1 dies: its sockets close, nothing is said to Redis
            // registered there: its record names server 2 as its home (until then it may still be
            // server 1's IDLE record, which a MSG_CONNECT finds but cannot announce to: ERR_MATCH)
            Await.until("dave registered on server 2", BOUND, () -> {
                String home;
                try {
                    home = redis.hget("xstunt:id:dave", "srv");
                } catch (Exception e) {
                    throw new AssertionError("cannot read dave's record", e);
                }
                return home != null && home.startsWith(TwoServers.S2[0] + ":")
                        && t.s2.stateOf("dave").equals(OptionalInt.of(Protocol.CSTATE_IDLE));
            });
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            connectAndTalk(erin, dave, "dave");
            System.err.printf("failover: dave registered on server 2 %d ms after server 1 died, and reached there%n",
                    ms);
        }
    }

    @Test
    void whileRedisIsAwayEachServerServesItsOwnAndRejoinsWithoutLosingOrDuplicating() throws Exception {
        try (TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            XstuntClient a1 = t.register(TwoServers.S1, "a1", 21);
            XstuntClient b1 = t.register(TwoServers.S1, "b1", 22);
            XstuntClient a2 = t.register(TwoServers.S2, "a2", 23);

            List<String> seen = new CopyOnWriteArrayList<>();
            t.s1.onRegistryEvents(new io.xstunt.engine.registry.RegistryListener() {
                @Override
                public void reachability(boolean reachable, String why) {
                    seen.add(reachable ? "reachable" : "unreachable");
                }

                @Override
                public void command(long latencyNs, boolean failed) {
                }
            });
            redis.stop();
            Await.until("both servers say Redis is unreachable", BOUND,
                    () -> !t.s1.registryHealth().reachable() && !t.s2.registryHealth().reachable());
            connectAndTalk(a1, b1, "b1"); // clients of one server still meet
            XstuntClient c1 = t.register(TwoServers.S1, "c1", 24); // and register
            XstuntException unknown = assertThrows(XstuntException.class, () -> Xstunt.xConnect(a2, "c1", TIMEOUT));
            assertEquals(ErrorCode.ERR_MATCH, unknown.code(), "s2 cannot know s1's new client meanwhile");

            redis.start(); // empty, as after a restart without persistence
            Await.until("both servers rejoined", BOUND,
                    () -> t.s1.registryHealth().reachable() && t.s2.registryHealth().reachable());
            assertEquals(new TreeSet<>(List.of("xstunt:id:a1", "xstunt:id:a2", "xstunt:id:b1", "xstunt:id:c1")),
                    redis.keys("xstunt:id:*"), "every registration written back, none twice");
            connectAndTalk(a2, c1, "c1"); // across servers again, to the client registered meanwhile
            XstuntException dup = assertThrows(XstuntException.class, () -> t.register(TwoServers.S2, "c1", 25));
            assertEquals(ErrorCode.ERR_DUPLICATE_ID, dup.code());
            assertTrue(t.s1.registryHealth().outages() >= 1);
            assertEquals(List.of("unreachable", "reachable"), seen, "the listener heard the outage and the return");
        }
    }
}
