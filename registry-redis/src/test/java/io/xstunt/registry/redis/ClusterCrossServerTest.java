package io.xstunt.registry.redis;

import java.nio.file.Path;

/**
 * {@link CrossServerTest} on a Redis Cluster of three primaries ({@code redis-cluster://}): the
 * servers' messages on sharded pub/sub (each server's channel on its slot's node), rendezvous and
 * relays across servers, a server's death, and the whole Cluster dying and coming back empty.
 */
class ClusterCrossServerTest extends CrossServerTest {
    @Override
    TestStore store(Path dir) throws Exception {
        return TestStore.cluster(dir);
    }
}
