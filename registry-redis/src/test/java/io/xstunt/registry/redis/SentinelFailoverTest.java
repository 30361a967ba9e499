package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.XstuntClient;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers on {@code redis-sentinel://} (one primary, one replica, one Sentinel, real
 * redis-server processes): the primary is killed mid-run, the Sentinel promotes the replica, and
 * the servers follow it: registrations go on, the clients registered before are still there, and
 * clients of the two servers meet again. Prints how long the registry was unreachable.
 */
class SentinelFailoverTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    /** Sentinel's down-after-milliseconds here (30 s by default): how long a silent primary may be silent. */
    private static final int DOWN_AFTER_MS = 1000;

    @TempDir
    Path dir;
    private final List<RedisServer> started = new java.util.ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (RedisServer r : started) {
            r.stop();
        }
    }

    private RedisServer start(String name, List<String> args) throws Exception {
        RedisServer r = RedisServer.start(dir.resolve(name), RedisServer.freePort(), args);
        started.add(r);
        return r;
    }

    @Test
    void thePromotedReplicaServesTheRegistryAndRegistrationsGoOn() throws Exception {
        RedisProcess.requireInstalled();
        RedisServer primary = start("primary", List.of());
        RedisServer replica = start("replica", List.of("--replicaof", "127.0.0.1", String.valueOf(primary.port())));
        Path sentinelDir = dir.resolve("sentinel");
        Files.createDirectories(sentinelDir);
        Files.writeString(sentinelDir.resolve("sentinel.conf"), String.join("\n",
                "sentinel monitor main 127.0.0.1 " + primary.port() + " 1",
                "sentinel down-after-milliseconds main " + DOWN_AFTER_MS,
                "sentinel failover-timeout main 10000",
                ""));
        RedisServer sentinel = start("sentinel", List.of("--sentinel"));
        Await.until("the replica in sync and known to the Sentinel", BOUND,
                () -> replica.answers("INFO", "replication").contains("master_link_status:up")
                        && sentinel.answers("SENTINEL", "REPLICAS", "main").contains(String.valueOf(replica.port())));

        String uri = "redis-sentinel://127.0.0.1:" + sentinel.port() + "?lease-ms=30000&timeout-ms=1000#main";
        try (TwoServers t = new TwoServers(uri, dir)) {
            XstuntClient alice = t.register(TwoServers.S1, "alice", 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            Await.until("bob IDLE", BOUND, () -> t.s2.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            Await.until("the replica has both records", BOUND,
                    () -> replica.answers("EXISTS", "xstunt:id:alice", "xstunt:id:bob").equals("2"));

            long killed = System.nanoTime();
            primary.stop();
            Await.until("both servers noticed the primary's death", BOUND,
                    () -> !t.s1.registryHealth().reachable() && !t.s2.registryHealth().reachable());
            Await.until("the Sentinel promoted the replica", BOUND,
                    () -> replica.answers("ROLE").startsWith("master"));
            long promotedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            Await.until("both servers on the new primary", BOUND,
                    () -> t.s1.registryHealth().reachable() && t.s2.registryHealth().reachable());
            long backMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);

            assertEquals("2", replica.command("EXISTS", "xstunt:id:alice", "xstunt:id:bob"),
                    "the clients registered before are in the new primary");
            XstuntClient carol = t.register(TwoServers.S1, "carol", 13); // registrations go on
            assertEquals("1", replica.command("EXISTS", "xstunt:id:carol"));
            CrossServerTest.connectAndTalk(bob, carol, "carol");
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            assertTrue(t.s1.registryHealth().outages() >= 1);
            System.err.printf("sentinel failover: primary killed; replica promoted after %d ms (down-after %d ms);"
                    + " both servers on the new primary after %d ms%n", promotedMs, DOWN_AFTER_MS, backMs);
        }
    }
}
