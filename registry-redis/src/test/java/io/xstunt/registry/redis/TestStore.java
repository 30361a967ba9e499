package io.xstunt.registry.redis;

import io.xstunt.testkit.RedisCluster;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The Redis a test's servers share: one redis-server, or a Redis Cluster of three primaries. The
 * tests read what is in it through redis-server's own protocol ({@link RedisServer#command}), on
 * every node, so that they check the data wherever the Cluster put it.
 */
interface TestStore extends AutoCloseable {
    /** @return the registry URI, with a lease of {@code leaseMs} */
    String uri(long leaseMs);

    /** Kills every node (Redis dies, as a crashed host's would). */
    void stop() throws Exception;

    /** Starts every node again on its port, empty. */
    void start() throws Exception;

    /** @return every key matching {@code pattern}, on every node */
    Set<String> keys(String pattern) throws Exception;

    /** @return {@code field} of hash {@code key}, or null */
    String hget(String key, String field) throws Exception;

    @Override
    void close() throws Exception;

    /** One redis-server (skipped without one, failing under CI: {@link RedisProcess}). */
    static TestStore single(Path dir) throws Exception {
        return new Nodes(RedisProcess.start(dir), null);
    }

    /** A Redis Cluster of three primaries (the same skip rule). */
    static TestStore cluster(Path dir) throws Exception {
        RedisProcess.requireInstalled();
        return new Nodes(null, RedisCluster.start(dir, 3));
    }

    /** Either: one server, or a cluster. */
    final class Nodes implements TestStore {
        private final RedisServer single;
        private final RedisCluster cluster;

        Nodes(RedisServer single, RedisCluster cluster) {
            this.single = single;
            this.cluster = cluster;
        }

        List<RedisServer> all() {
            return single != null ? List.of(single) : cluster.nodes();
        }

        @Override
        public String uri(long leaseMs) {
            return single != null ? single.uri(leaseMs) : cluster.uri(leaseMs);
        }

        @Override
        public void stop() throws Exception {
            for (RedisServer n : all()) {
                n.stop();
            }
        }

        @Override
        public void start() throws Exception {
            for (RedisServer n : all()) {
                n.start(); // a Cluster node finds its cluster again in its nodes.conf
            }
            if (cluster != null) {
                io.xstunt.testkit.Await.until("the restarted Cluster saying cluster_state:ok",
                        java.time.Duration.ofSeconds(30), () -> all().stream()
                                .allMatch(n -> n.answers("CLUSTER", "INFO").contains("cluster_state:ok")));
            }
        }

        @Override
        public Set<String> keys(String pattern) throws Exception {
            Set<String> keys = new TreeSet<>();
            for (RedisServer n : all()) {
                String r = n.command("KEYS", pattern);
                if (!r.isEmpty()) {
                    keys.addAll(Arrays.asList(r.split("\n")));
                }
            }
            return keys;
        }

        @Override
        public String hget(String key, String field) throws Exception {
            for (RedisServer n : all()) {
                String r = n.command("HGET", key, field);
                if (!r.startsWith("-MOVED") && !r.equals("(nil)")) {
                    return r;
                }
            }
            return null;
        }

        @Override
        public void close() throws Exception {
            if (single != null) {
                single.close();
            } else {
                cluster.close();
            }
        }
    }
}
