package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.ClaimOutcome;
import io.xstunt.engine.registry.ConnectDecision;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Registries;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.RegistrySettings;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.tcp.NioNetwork;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.testkit.Await;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared registry against a real Redis, two registries standing for two servers: IDs unique
 * under concurrent claims, and a dead server's IDs free again after one lease.
 */
class SharedRegistryTest {
    private static final Duration BOUND = Duration.ofSeconds(15);
    private static final long LEASE_MS = 1500;
    private static final RegistrySettings LIMITS = new RegistrySettings(10_000, false, Duration.ofSeconds(90));

    @TempDir
    Path dir;
    private TestStore redis;
    private final List<EventLoop> loops = new ArrayList<>();
    private final List<Server> servers = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        redis = store(dir);
    }

    /** The Redis the servers share: one redis-server here, a Cluster in {@link ClusterSharedRegistryTest}. */
    TestStore store(Path dir) throws Exception {
        return TestStore.single(dir);
    }

    @AfterEach
    void stop() throws Exception {
        for (Server s : servers) {
            try {
                s.net.execute(s.registry::close);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // its loop died in the test: its registry went with it
            }
        }
        for (EventLoop l : loops) {
            l.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** A registry for server {@code name} on a loop of its own, once it reached Redis. */
    private Server server(String name) {
        EventLoop loop = EventLoop.open(name).start();
        loops.add(loop);
        Network net = new NioNetwork(loop);
        Registry r = Registries.open(URI.create(redis.uri(LEASE_MS)), LIMITS, net);
        Server s = new Server(name, net, r);
        servers.add(s);
        net.execute(() -> r.attach(name, s.effects));
        Await.until(name + "'s registry reaching Redis", BOUND, () -> r.health().reachable());
        return s;
    }

    private record Server(String name, Network net, Registry registry, NoEffects effects) {
        Server(String name, Network net, Registry registry) {
            this(name, net, registry, new NoEffects());
        }

        CompletableFuture<ClaimOutcome> claim(String id, int ip, long registration) {
            CompletableFuture<ClaimOutcome> f = new CompletableFuture<>();
            net.execute(() -> registry.claim(id, ip, 0, new Holder(name, registration), f::complete));
            return f;
        }

        /** LogState(IDLE) of {@code id}; returns once the registry stored it (every server reads it). */
        void idle(String id, long registration) throws Exception {
            CompletableFuture<Void> stored = new CompletableFuture<>();
            net.execute(() -> registry.reportState(id, new Holder(name, registration), Protocol.CSTATE_IDLE, 0x0A000001,
                    () -> stored.complete(null)));
            stored.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }

        String deregister(String id, int sourceIp, long token) {
            CompletableFuture<String> f = new CompletableFuture<>();
            net.execute(() -> registry.deregister(id, sourceIp, token, why -> f.complete(why == null ? "" : why)));
            try {
                String why = f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
                return why.isEmpty() ? null : why;
            } catch (Exception e) {
                throw new AssertionError("no answer to MSG_DEREGISTER " + id, e);
            }
        }

        int query(String id) {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            net.execute(() -> registry.query(id, f::complete));
            try {
                return f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("no answer to MSG_QUERY " + id, e);
            }
        }

        ClaimOutcome check(String id, int ip) throws Exception {
            CompletableFuture<ClaimOutcome> f = new CompletableFuture<>();
            net.execute(() -> registry.checkClaim(id, ip, f::complete));
            return f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The effects a bare registry has no server for: counted, nothing else. */
    static final class NoEffects implements Registry.Effects {
        final Map<Holder, String> disconnected = new ConcurrentHashMap<>();

        @Override
        public void disconnect(Holder holder, String reason) {
            disconnected.put(holder, reason);
        }

        @Override
        public void abortSession(SessionRef session, String reason) {
        }

        @Override
        public void announce(Holder holder, Echo announcement, int relayFlags) {
        }

        @Override
        public void relayEnded(Holder holder, RelayNotice notice) {
        }

        @Override
        public boolean admitAnnouncement(Holder holder) {
            return true;
        }
    }

    @Test
    void anIdIsHeldByOneRegistrationWhenTwoServersClaimItAtOnce() throws Exception {
        Server a = server("10.0.0.1:8123");
        Server b = server("10.0.0.2:8123");
        int ids = 200;
        List<CompletableFuture<ClaimOutcome>> atA = new ArrayList<>();
        List<CompletableFuture<ClaimOutcome>> atB = new ArrayList<>();
        for (int i = 0; i < ids; i++) {
            // different public IPs, so that no claim may replace the other's PROBE registration
            atA.add(a.claim("id" + i, 0x0A000101, i + 1));
            atB.add(b.claim("id" + i, 0x0A000102, i + 1));
        }
        int wonA = 0;
        int wonB = 0;
        for (int i = 0; i < ids; i++) {
            ClaimOutcome x = atA.get(i).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            ClaimOutcome y = atB.get(i).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertTrue(x.taken() != y.taken(), "id" + i + ": " + x + " on a, " + y + " on b");
            assertTrue(x == ClaimOutcome.DUPLICATE || y == ClaimOutcome.DUPLICATE, "id" + i + ": " + x + ", " + y);
            wonA += x.taken() ? 1 : 0;
            wonB += y.taken() ? 1 : 0;
        }
        assertEquals(ids, wonA + wonB);
        assertEquals(ids, redis.keys("xstunt:id:*").size());
        for (int i = 0; i < ids; i++) {
            String home = redis.hget("xstunt:id:id" + i, "srv");
            String expected = atA.get(i).get().taken() ? a.name : b.name;
            assertTrue(home != null && home.startsWith(expected + "/"), "id" + i + " home " + home + ", claimed by "
                    + expected);
        }
        System.err.printf("claims: %d IDs claimed by two servers at once: %d won on one, %d on the other%n", ids, wonA,
                wonB);
    }

    @Test
    void aClientLeftBusyByASessionOfADeadServerIsIdleAgainAfterOneLease() throws Exception {
        Server a = server("10.0.0.1:8123");
        Server b = server("10.0.0.2:8123");
        assertEquals(ClaimOutcome.ACCEPTED, a.claim("alice", 0x0A000101, 1).get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(ClaimOutcome.ACCEPTED, b.claim("bob", 0x0A000102, 1).get(BOUND.toSeconds(), TimeUnit.SECONDS));
        a.idle("alice", 1);
        b.idle("bob", 1);
        // a accepts alice's MSG_CONNECT to bob and runs the session: bob (b's client) is BUSY in it
        CompletableFuture<ConnectDecision> d = new CompletableFuture<>();
        a.net.execute(() -> a.registry.checkConnect("alice", "bob", 0x0A000101, 0, d::complete));
        ConnectDecision accepted = d.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertEquals(ConnectDecision.Verdict.ACCEPTED, accepted.verdict(), accepted.reason());
        a.net.execute(() -> a.registry.beginSession(accepted.source(), accepted.destination(),
                new SessionRef(a.name, 7)));
        Await.until("bob BUSY on b", BOUND, () -> b.query("bob") == Protocol.CSTATE_BUSY);
        loops.get(0).close(); // a dies with the session: its end never comes
        Await.until("bob IDLE again on b", Duration.ofMillis(LEASE_MS * 4), () -> b.query("bob") == Protocol.CSTATE_IDLE);
    }

    @Test
    void onlyTheHolderDeregistersAnIdOfAnotherServerAndItsServerClosesTheConnection() throws Exception {
        Server a = server("10.0.0.1:8123");
        Server b = server("10.0.0.2:8123");
        long token = 0x1122334455667788L;
        CompletableFuture<ClaimOutcome> claimed = new CompletableFuture<>();
        a.net.execute(() -> a.registry.claim("alice", 0x0A000101, token, new Holder(a.name, 1), claimed::complete));
        assertEquals(ClaimOutcome.ACCEPTED, claimed.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        a.idle("alice", 1);
        // on b: a stranger behind alice's NAT without the token, then with a wrong one, then the holder
        assertTrue(b.deregister("alice", 0x0A000101, 0).contains("no holder token"));
        assertTrue(b.deregister("alice", 0x0A000101, token + 1).contains("wrong holder token"));
        assertTrue(b.deregister("alice", 0x0A000199, token).contains("is registered from"));
        assertEquals(Protocol.CSTATE_IDLE, b.query("alice"), "still alice's");
        assertNull(b.deregister("alice", 0x0A000101, token), "the holder's token, from its public IP");
        assertEquals(-1, b.query("alice"));
        Await.until("a told to close alice's log connection", BOUND,
                () -> a.effects.disconnected.containsKey(new Holder(a.name, 1)));
    }

    @Test
    void aDeadServersIdsAreFreeAfterOneLease() throws Exception {
        Server a = server("10.0.0.1:8123");
        Server b = server("10.0.0.2:8123");
        assertEquals(ClaimOutcome.ACCEPTED, a.claim("ghost", 0x0A000101, 1).get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertEquals(ClaimOutcome.DUPLICATE, b.check("ghost", 0x0A000102));
        // a's loop stops: no refresh and no goodbye, as when its process is killed
        loops.get(0).close();
        long died = System.nanoTime();
        assertEquals(ClaimOutcome.DUPLICATE, b.check("ghost", 0x0A000102), "free at once after the death");
        Await.until("ghost free after a's death", Duration.ofMillis(LEASE_MS * 3), () -> {
            try {
                return b.check("ghost", 0x0A000102) == ClaimOutcome.ACCEPTED;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        long freeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died);
        assertTrue(freeMs <= LEASE_MS + 1000, "free after " + freeMs + " ms, the lease is " + LEASE_MS + " ms");
        assertEquals(ClaimOutcome.ACCEPTED, b.claim("ghost", 0x0A000102, 1).get(BOUND.toSeconds(), TimeUnit.SECONDS));
        System.err.printf("expiry: a dead server's ID was free after %d ms (lease %d ms)%n", freeMs, LEASE_MS);
    }
}
