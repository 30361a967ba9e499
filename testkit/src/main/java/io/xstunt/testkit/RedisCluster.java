package io.xstunt.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster on free loopback ports (redis-server with {@code cluster-enabled yes},
 * joined by {@code redis-cli --cluster create}), of primaries only or with replicas, for the
 * shared registry's tests: stopped (every node killed) by its user.
 */
public final class RedisCluster implements AutoCloseable {
    private static final Duration CREATE_BOUND = Duration.ofSeconds(30);
    private static final Duration OK_BOUND = Duration.ofSeconds(30);

    private final List<RedisServer> nodes;

    private RedisCluster(List<RedisServer> nodes) {
        this.nodes = nodes;
    }

    /** @return the installed redis-cli, or null (Debian's redis-tools, which redis-server depends on) */
    public static Path cli() {
        return java.util.stream.Stream.of("/usr/bin/redis-cli", "/usr/local/bin/redis-cli").map(Path::of)
                .filter(java.nio.file.Files::isExecutable).findFirst().orElse(null);
    }

    /**
     * Starts {@code primaries} nodes in sub-directories of {@code dir}, creates the cluster (the
     * 16384 slots spread over them, no replicas) and waits, bounded, until every node says
     * {@code cluster_state:ok}.
     *
     * @throws IOException if a node does not start, redis-cli fails, or the cluster is not ok in time
     */
    public static RedisCluster start(Path dir, int primaries) throws IOException, InterruptedException {
        return start(dir, primaries, 0);
    }

    /**
     * {@link #start(Path, int)} with {@code replicasPerPrimary} replicas of each primary
     * ({@code --cluster-replicas}; redis-cli needs at least three primaries), and waits, bounded,
     * until every replica's link to its primary is up as well.
     */
    public static RedisCluster start(Path dir, int primaries, int replicasPerPrimary)
            throws IOException, InterruptedException {
        Path cli = cli();
        if (RedisServer.binary() == null || cli == null) {
            throw new IOException("redis-server and redis-cli are not installed (apt-get install redis-server)");
        }
        List<RedisServer> nodes = new ArrayList<>();
        RedisCluster cluster = new RedisCluster(nodes);
        try {
            for (int i = 0; i < primaries * (1 + replicasPerPrimary); i++) {
                nodes.add(RedisServer.start(dir.resolve("node-" + i), RedisServer.freePort(), List.of(
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "2000")));
            }
            List<String> create = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
            for (RedisServer n : nodes) {
                create.add("127.0.0.1:" + n.port());
            }
            if (replicasPerPrimary > 0) {
                create.addAll(List.of("--cluster-replicas", String.valueOf(replicasPerPrimary)));
            }
            create.add("--cluster-yes");
            Path log = dir.resolve("cluster-create.log");
            Process p = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(CREATE_BOUND.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("redis-cli --cluster create did not finish within " + CREATE_BOUND);
            }
            if (p.exitValue() != 0) {
                throw new IOException("redis-cli --cluster create exited with " + p.exitValue() + ": "
                        + java.nio.file.Files.readString(log));
            }
            Await.until("every node of the Redis Cluster saying cluster_state:ok", OK_BOUND, () -> {
                for (RedisServer n : nodes) {
                    if (!n.answers("CLUSTER", "INFO").contains("cluster_state:ok")) {
                        return false;
                    }
                }
                return true;
            });
            Await.until("every replica of the Redis Cluster linked to its primary", OK_BOUND,
                    () -> nodes.stream().map(n -> n.answers("INFO", "replication"))
                            .filter(info -> info.contains("role:slave"))
                            .filter(info -> info.contains("master_link_status:up"))
                            .count() == (long) primaries * replicasPerPrimary);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** @return its nodes */
    public List<RedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /**
     * @return the primary that holds {@code key} (the node that answers EXISTS with 1; every
     *     other node answers with a MOVED redirection), or null if none holds it
     */
    public RedisServer holderOf(String key) {
        return nodes.stream().filter(n -> n.running() && n.answers("EXISTS", key).equals("1")).findFirst()
                .orElse(null);
    }

    /** @return the running replicas of {@code primary} (by the primary's port in their INFO replication) */
    public List<RedisServer> replicasOf(RedisServer primary) {
        return nodes.stream().filter(n -> n != primary && n.running()
                && n.answers("INFO", "replication").lines()
                        .anyMatch(l -> l.strip().equals("master_port:" + primary.port())))
                .toList();
    }

    /** @return the registry URI naming every node as a seed, with a lease of {@code leaseMs} */
    public String uri(long leaseMs) {
        StringBuilder b = new StringBuilder("redis-cluster://");
        for (int i = 0; i < nodes.size(); i++) {
            b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(nodes.get(i).port());
        }
        return b.append("?lease-ms=").append(leaseMs).append("&timeout-ms=1000").toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisServer n : nodes) {
            n.stop();
        }
    }
}
