package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.api.XstuntClient;
import io.xstunt.engine.server.SessionSummary;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica failover loses the primary's last writes. The one that hurt: a session's end, which
 * left both clients BUSY (every MSG_CONNECT to them refused) until they registered again. Each
 * server now writes its recent session ends again after an outage. Here the lost end is made by
 * hand (the record set back to BUSY in the ended session, as the promoted replica would have it),
 * and the failover's effect on the servers by Sentinel's own move: {@code CLIENT KILL TYPE normal}
 * and {@code pubsub}, which closes every client's connection.
 */
class SessionRepairTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void aSessionEndLostInAFailoverIsWrittenAgainByTheSessionsServer() throws Exception {
        try (RedisServer redis = RedisProcess.start(dir);
             TwoServers t = new TwoServers(redis.uri(30_000), dir)) {
            List<SessionSummary> on1 = new CopyOnWriteArrayList<>();
            t.s1.onSessionFinished(on1::add);
            XstuntClient alice = t.register(TwoServers.S1, "alice", 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            Await.until("the session finished on server 1", BOUND, () -> on1.size() == 1);
            Await.until("bob IDLE", BOUND, () -> t.s2.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));

            // what a promoted replica has if the end never reached it: BUSY in server 1's ended session
            String server1 = redis.command("HGET", "xstunt:id:alice", "srv");
            String ended = server1 + "|" + on1.get(0).sessionId();
            for (String id : List.of("alice", "bob")) {
                assertEquals("0", redis.command("HSET", "xstunt:id:" + id, "st", String.valueOf(Protocol.CSTATE_BUSY),
                        "ses", ended));
            }
            assertEquals(OptionalInt.of(Protocol.CSTATE_BUSY), t.s2.stateOf("bob"), "the lost end, as seen");
            long outages1 = t.s1.registryHealth().outages();
            long outages2 = t.s2.registryHealth().outages();

            redis.command("CLIENT", "KILL", "TYPE", "normal");
            redis.command("CLIENT", "KILL", "TYPE", "pubsub");
            Await.until("both servers back after their connections were closed", BOUND,
                    () -> t.s1.registryHealth().outages() > outages1 && t.s1.registryHealth().reachable()
                            && t.s2.registryHealth().outages() > outages2 && t.s2.registryHealth().reachable());
            Await.until("bob and alice IDLE again", BOUND,
                    () -> t.s2.stateOf("bob").equals(OptionalInt.of(Protocol.CSTATE_IDLE))
                            && t.s1.stateOf("alice").equals(OptionalInt.of(Protocol.CSTATE_IDLE)));
            CrossServerTest.connectAndTalk(alice, bob, "bob"); // and reachable again, without registering anew
        }
    }
}
