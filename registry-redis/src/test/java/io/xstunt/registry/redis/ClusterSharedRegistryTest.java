package io.xstunt.registry.redis;

import java.nio.file.Path;

/**
 * {@link SharedRegistryTest} on a Redis Cluster of three primaries ({@code redis-cluster://}):
 * every script on one key, so IDs unique under concurrent claims, leases and ownership hold
 * wherever the Cluster puts each ID.
 */
class ClusterSharedRegistryTest extends SharedRegistryTest {
    @Override
    TestStore store(Path dir) throws Exception {
        return TestStore.cluster(dir);
    }
}
