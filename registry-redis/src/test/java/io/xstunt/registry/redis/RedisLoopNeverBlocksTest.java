package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.xstunt.api.XstuntClient;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;

/**
 * Nothing of the shared registry blocks a server's loop: BlockHound watches both servers' loop
 * threads (every park, sleep and blocking socket call) while clients register, meet across the
 * servers, Redis dies, a client registers meanwhile, and Redis returns. A canary first proves that
 * a park on such a loop is reported.
 */
class RedisLoopNeverBlocksTest {
    private static final String PREFIX = "never-blocks-";
    private static final List<String> VIOLATIONS = new CopyOnWriteArrayList<>();
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeAll
    static void installBlockHound() {
        BlockHound.builder()
                .nonBlockingThreadPredicate(p -> p.or(t -> t.getName().startsWith(PREFIX)))
                // the loop's one legitimate wait: select() until the next deadline or command
                .allowBlockingCallsInside("io.xstunt.engine.loop.EventLoop", "awaitWork")
                .blockingMethodCallback(m -> VIOLATIONS.add(m + " on " + Thread.currentThread().getName() + " at "
                        + stackOf(new Throwable())))
                .install();
    }

    private static String stackOf(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n    ").append(e);
        }
        return b.toString();
    }

    @Test
    void theServersLoopsNeverBlockOnTheRegistry() throws Exception {
        try (RedisServer redis = RedisProcess.start(dir);
             TwoServers t = new TwoServers(redis.uri(30_000), dir, b -> b, PREFIX)) {
            CompletableFuture<Void> ran = new CompletableFuture<>();
            t.loop1.execute(() -> {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // the canary
                ran.complete(null);
            });
            ran.get(10, TimeUnit.SECONDS);
            assertFalse(VIOLATIONS.isEmpty(), "BlockHound did not report the canary's park");
            VIOLATIONS.clear();

            XstuntClient alice = t.register(TwoServers.S1, "alice", 11);
            XstuntClient bob = t.register(TwoServers.S2, "bob", 12);
            CrossServerTest.connectAndTalk(alice, bob, "bob");
            redis.stop();
            Await.until("Redis unreachable", BOUND, () -> !t.s1.registryHealth().reachable());
            XstuntClient carol = t.register(TwoServers.S1, "carol", 13);
            CrossServerTest.connectAndTalk(alice, carol, "carol");
            redis.start();
            Await.until("Redis back", BOUND, () -> t.s1.registryHealth().reachable() && t.s2.registryHealth().reachable());
            CrossServerTest.connectAndTalk(bob, carol, "carol");
            assertEquals(List.of(), VIOLATIONS, "blocking calls on a server's loop");
        }
    }
}
