package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntException;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisCluster;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers on a Redis Cluster with replicas (three primaries, one replica each, real
 * redis-server processes, {@code cluster-node-timeout} 2 s): the primary that holds one server's
 * sharded channel and a registered client's record is killed, its replica promotes itself, and
 * the registry goes on: the record is on the new primary, lookups and claims (a duplicate refused,
 * a new ID on the promoted node's slots taken) work, the server's channel is subscribed on the new
 * primary, and clients of the two servers meet in both directions. Prints how long it took.
 */
class ClusterFailoverTest {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final String PREFIX = "xstunt";

    @TempDir
    Path dir;
    private RedisCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aReplicaPromotedAfterItsPrimaryDiedServesTheRegistryAndTheServersChannels() throws Exception {
        RedisProcess.requireInstalled();
        cluster = RedisCluster.start(dir, 3, 1);
        try (TwoServers t = new TwoServers(cluster.uri(30_000), dir)) {
            // the victim: a primary on which a server's channel lives (each server SSUBSCRIBEs its own)
            RedisServer[] victim = new RedisServer[1];
            Await.until("a primary with a server's sharded channel", BOUND, () -> {
                victim[0] = cluster.nodes().stream().filter(n -> n.answers("ROLE").startsWith("master"))
                        .filter(n -> n.answers("PUBSUB", "SHARDCHANNELS").contains(PREFIX + ":srv:"))
                        .findFirst().orElse(null);
                return victim[0] != null;
            });
            RedisServer dying = victim[0];
            String channelsBefore = dying.command("PUBSUB", "SHARDCHANNELS");
            RedisServer replica = cluster.replicasOf(dying).get(0);
            // IDs whose records live on the victim's slots (the owner answers EXISTS, the others MOVED)
            String aliceId = idOnNode(dying, "alice");
            XstuntClient alice = t.register(TwoServers.S1, aliceId, 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            Await.until("alice and bob IDLE", BOUND,
                    () -> t.s1.stateOf(aliceId).equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                            && t.s2.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            assertEquals("1", dying.command("EXISTS", PREFIX + ":id:" + aliceId));
            Await.until("the replica caught up with its primary", BOUND, () -> offset(dying, "master_repl_offset")
                    .equals(offset(replica, "slave_repl_offset")));

            long killed = System.nanoTime();
            dying.stop();
            Await.until("the replica promoted itself", BOUND, () -> replica.answers("ROLE").startsWith("master"));
            long promotedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            Await.until("every running node saying cluster_state:ok", BOUND, () -> cluster.nodes().stream()
                    .filter(RedisServer::running).allMatch(n -> n.answers("CLUSTER", "INFO").contains("cluster_state:ok")));
            Await.until("both servers reaching the registry, and s2 seeing alice there", BOUND,
                    () -> t.s1.registryHealth().reachable() && t.s2.registryHealth().reachable()
                            && t.s2.stateOf(aliceId).equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            long lookupMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            try {
                Await.until("the dead primary's channels subscribed on the promoted replica", BOUND,
                        () -> channelsBefore.lines().allMatch(c -> replica.answers("PUBSUB", "SHARDCHANNELS").contains(c)));
            } catch (AssertionError e) {
                StringBuilder where = new StringBuilder();
                for (RedisServer n : cluster.nodes()) {
                    where.append("\n  ").append(n.port()).append(n == replica ? " (promoted)" : "").append(": ")
                            .append(n.running() ? n.answers("PUBSUB", "SHARDCHANNELS").replace('\n', ' ') : "dead");
                }
                throw new AssertionError(e.getMessage() + "; on the dead primary before: "
                        + channelsBefore.replace('\n', ' ') + "; s1 " + t.s1.registryHealth() + ", s2 "
                        + t.s2.registryHealth() + "; shard channels now:" + where, e);
            }
            long channelsMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);

            assertEquals("1", replica.command("EXISTS", PREFIX + ":id:" + aliceId),
                    "the record the old primary had replicated is on the new one");
            XstuntException dup = assertThrows(XstuntException.class, () -> t.register(TwoServers.S2, aliceId, 15));
            assertEquals(ErrorCode.ERR_DUPLICATE_ID, dup.code(), "a claim of a held ID is refused on the promoted slots");
            String carolId = idOnNode(replica, "carol");
            XstuntClient carol = t.register(TwoServers.S2, carolId, 13);
            assertEquals("1", replica.command("EXISTS", PREFIX + ":id:" + carolId), "a new claim lands on the new primary");
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            // both IDLE in the records, as the other server reads them: a session's end reaches the
            // record a little after the calls return, and a connect to a BUSY peer is ERR_MATCH
            Await.until("alice and bob IDLE, each as the other's server sees it", BOUND,
                    () -> t.s1.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                            && t.s2.stateOf(aliceId).equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            CrossServerTest.connectAndTalk(bob, alice, aliceId);
            Await.until("alice IDLE again", BOUND, () -> t.s2.stateOf(aliceId).equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            CrossServerTest.connectAndTalk(alice, carol, carolId);
            System.err.printf("cluster failover: primary killed; replica promoted after %d ms (cluster-node-timeout"
                    + " 2000 ms); lookups across servers after %d ms; the channels on the new primary after %d ms%n",
                    promotedMs, lookupMs, channelsMs);
        }
    }

    /** @return the first of base, base-1, base-2... whose record key lives on {@code node}'s slots */
    private static String idOnNode(RedisServer node, String base) throws Exception {
        for (int i = 0; i < 1000; i++) {
            String id = i == 0 ? base : base + "-" + i;
            String answer = node.command("EXISTS", PREFIX + ":id:" + id);
            if (!answer.startsWith("-")) {
                return id;
            }
        }
        throw new AssertionError("no ID of the form " + base + "-N among 1000 hashes to " + node.port() + "'s slots");
    }

    private static String offset(RedisServer node, String field) {
        List<String> v = node.answers("INFO", "replication").lines().filter(l -> l.startsWith(field + ":"))
                .map(l -> l.substring(field.length() + 1).strip()).toList();
        return v.isEmpty() ? "?" + node.port() : v.get(0);
    }
}
