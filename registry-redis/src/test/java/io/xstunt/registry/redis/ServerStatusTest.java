package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.RegistryEvents;
import io.xstunt.api.RegistryStatus;
import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntServer;
import io.xstunt.testkit.Await;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator's health check and metrics read of a server's registry, through the public API. */
class ServerStatusTest {
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    @Test
    void theRegistrysStatusAndEventsSayWhatRedisDoes() throws Exception {
        try (RedisServer redis = RedisProcess.start(dir);
             XstuntServer memory = XstuntServer.start(ServerOptions.of("127.0.0.1", "127.0.0.2").logPort(0)
                     .commPort(0).echoPort1(0).echoPort2(0));
             XstuntServer shared = XstuntServer.start(ServerOptions.of("127.0.0.3", "127.0.0.4").logPort(0)
                     .commPort(0).echoPort1(0).echoPort2(0).registry(redis.uri(30_000)))) {
            RegistryStatus m = memory.registryStatus();
            assertFalse(m.shared());
            assertTrue(m.reachable());
            List<Boolean> changes = new CopyOnWriteArrayList<>();
            AtomicLong commands = new AtomicLong();
            shared.onRegistryEvents(new RegistryEvents() {
                @Override
                public void reachability(boolean reachable, String why) {
                    changes.add(reachable);
                }

                @Override
                public void command(long latencyNs, boolean failed) {
                    commands.incrementAndGet();
                }
            });
            Await.until("the shared registry reachable", BOUND, () -> shared.registryStatus().reachable());
            assertTrue(shared.registryStatus().shared());
            assertTrue(shared.stateOf("nobody").isEmpty(), "MSG_QUERY of nobody: not registered");
            assertTrue(commands.get() >= 1, "the query was a store command, heard by the listener");
            assertTrue(shared.registryStatus().commands() >= 1);
            redis.stop();
            // the status and the listener hear it from the loop one after the other: wait for both
            Await.until("unreachable said, by the status and to the listener", BOUND,
                    () -> !shared.registryStatus().reachable() && !changes.isEmpty()
                            && !changes.get(changes.size() - 1));
            assertEquals(1, shared.registryStatus().outages());
            assertEquals(false, changes.get(changes.size() - 1));
        }
    }
}
