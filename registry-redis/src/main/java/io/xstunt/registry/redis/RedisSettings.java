package io.xstunt.registry.redis;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the shared registry's Redis is and how the registry uses it, from its URI, one of
 * <ul>
 *   <li>{@code redis://[PASSWORD@]HOST[:PORT][/DB]}: one Redis (port 6379 by default);</li>
 *   <li>{@code redis-sentinel://[PASSWORD@]HOST[:PORT][,HOST[:PORT]...][/DB]#MASTER}: the primary that
 *       the Sentinels (port 26379 by default) name for {@code MASTER}, followed through failovers
 *       (Lettuce's own syntax for a Sentinel URI);</li>
 *   <li>{@code redis-cluster://[PASSWORD@]HOST[:PORT][,HOST[:PORT]...]}: a Redis Cluster, any of its nodes as
 *       seeds (port 6379 by default);</li>
 * </ul>
 * each with the registry's own parameters {@code ?lease-ms=N&timeout-ms=N&prefix=P} after the path.
 *
 * @param topology which of the three
 * @param redisUri how logs and errors name the store (the URI without the registry's parameters)
 * @param nodes what Lettuce connects to: the one Redis, the Sentinel URI (its Sentinels and master
 *     name), or the Cluster's seed nodes
 * @param lease how long a record lives without its home server refreshing it: a dead server's IDs
 *     are free again after at most this long (the server refreshes every third of it)
 * @param commandTimeout how long one store command may take before the store counts as unreachable
 * @param prefix the prefix of every key and channel (several deployments may share one Redis)
 */
record RedisSettings(Topology topology, String redisUri, List<RedisURI> nodes, Duration lease, Duration commandTimeout,
        String prefix) {
    /** The default {@link #lease()}: a dead server's IDs are free within 30 s. */
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The default {@link #commandTimeout()}. */
    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    static final String DEFAULT_PREFIX = "xstunt";

    /** How the store's Redis is deployed, by its URI scheme. */
    enum Topology {
        STANDALONE("redis", 6379),
        SENTINEL("redis-sentinel", 26379),
        CLUSTER("redis-cluster", 6379);

        final String scheme;
        final int defaultPort;

        Topology(String scheme, int defaultPort) {
            this.scheme = scheme;
            this.defaultPort = defaultPort;
        }

        /** @return the topology of {@code scheme}, or null if it is none of them */
        static Topology of(String scheme) {
            for (Topology t : values()) {
                if (t.scheme.equalsIgnoreCase(scheme)) {
                    return t;
                }
            }
            return null;
        }
    }

    RedisSettings {
        nodes = List.copyOf(nodes);
        if (lease.toMillis() < 300) {
            throw new IllegalArgumentException("lease-ms must be at least 300 (it is refreshed every third of it)");
        }
        if (commandTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeout-ms must be positive");
        }
        if (prefix.isEmpty() || prefix.contains(":")) {
            throw new IllegalArgumentException("prefix must be non-empty and without ':'");
        }
    }

    /** @return how often the home server refreshes its records' lease */
    Duration refreshEvery() {
        return lease.dividedBy(3);
    }

    /**
     * Parses it by hand, not with {@link URI}'s host and port: a Sentinel or Cluster URI names several
     * hosts, which {@link URI} keeps as one opaque authority.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code uri}
     */
    static RedisSettings parse(URI uri) {
        Topology topology = Topology.of(uri.getScheme() == null ? "" : uri.getScheme());
        String authority = uri.getRawAuthority();
        if (topology == null || authority == null || authority.isEmpty()) {
            throw new IllegalArgumentException("not a redis://HOST:PORT, redis-sentinel://HOST:PORT,...#MASTER or"
                    + " redis-cluster://HOST:PORT,... URI: " + uri);
        }
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            password = URLDecoder.decode(authority.substring(0, at), StandardCharsets.UTF_8);
            authority = authority.substring(at + 1);
        }
        List<String[]> hosts = new ArrayList<>();
        for (String hp : authority.split(",", -1)) {
            hosts.add(hostPort(hp, topology, uri));
        }
        if (topology == Topology.STANDALONE && hosts.size() > 1) {
            throw new IllegalArgumentException("redis:// names one Redis; several nodes need redis-sentinel:// or"
                    + " redis-cluster://: " + uri);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        int db = 0;
        if (!path.isEmpty() && !path.equals("/")) {
            if (topology == Topology.CLUSTER) {
                throw new IllegalArgumentException("a Redis Cluster has only database 0: " + uri);
            }
            try {
                db = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("the path of a registry URI is a database number: " + uri);
            }
        }
        String master = uri.getFragment();
        if (topology == Topology.SENTINEL && (master == null || master.isEmpty())) {
            throw new IllegalArgumentException("a redis-sentinel:// URI names the master after '#'"
                    + " (redis-sentinel://HOST:26379#mymaster): " + uri);
        }
        if (topology != Topology.SENTINEL && master != null) {
            throw new IllegalArgumentException("only a redis-sentinel:// URI has a '#MASTER': " + uri);
        }
        Map<String, String> q = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("registry URI parameter without a value: " + kv);
                }
                q.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        Duration lease = millis(q.remove("lease-ms"), DEFAULT_LEASE, "lease-ms");
        Duration timeout = millis(q.remove("timeout-ms"), DEFAULT_COMMAND_TIMEOUT, "timeout-ms");
        String prefix = q.getOrDefault("prefix", DEFAULT_PREFIX);
        q.remove("prefix");
        if (!q.isEmpty()) {
            throw new IllegalArgumentException("unknown registry URI parameters " + q.keySet()
                    + " (known: lease-ms, timeout-ms, prefix)");
        }
        List<RedisURI> nodes = new ArrayList<>();
        StringBuilder name = new StringBuilder(topology.scheme).append("://");
        name.append(uri.getRawAuthority(), 0, at + 1); // the password as given (at is -1 without one)
        for (int i = 0; i < hosts.size(); i++) {
            name.append(i == 0 ? "" : ",").append(hosts.get(i)[0]).append(':').append(hosts.get(i)[1]);
        }
        name.append(db == 0 && (path.isEmpty() || path.equals("/")) ? "" : "/" + db);
        switch (topology) {
            case STANDALONE, CLUSTER -> {
                for (String[] h : hosts) {
                    RedisURI.Builder b = RedisURI.Builder.redis(h[0], Integer.parseInt(h[1])).withDatabase(db);
                    if (password != null) {
                        b.withPassword(password.toCharArray());
                    }
                    nodes.add(b.build());
                }
            }
            case SENTINEL -> {
                RedisURI.Builder b = RedisURI.Builder.sentinel(hosts.get(0)[0], Integer.parseInt(hosts.get(0)[1]),
                        master);
                for (String[] h : hosts.subList(1, hosts.size())) {
                    b.withSentinel(h[0], Integer.parseInt(h[1]));
                }
                b.withDatabase(db);
                if (password != null) {
                    b.withPassword(password.toCharArray()); // the master's; the Sentinels here need none
                }
                nodes.add(b.build());
                name.append('#').append(master);
            }
            default -> throw new AssertionError(topology);
        }
        return new RedisSettings(topology, name.toString(), nodes, lease, timeout, prefix);
    }

    /** @return {host, port} of one {@code HOST[:PORT]} */
    private static String[] hostPort(String hp, Topology topology, URI uri) {
        if (hp.isEmpty()) {
            throw new IllegalArgumentException("an empty host in " + uri);
        }
        String host = hp;
        int port = topology.defaultPort;
        int colon = hp.lastIndexOf(':');
        if (colon >= 0 && hp.indexOf(']') < colon) {
            host = hp.substring(0, colon);
            try {
                port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a port: '" + hp.substring(colon + 1) + "' in " + uri);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port + " in " + uri);
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("an empty host in " + uri);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new String[] {host.toLowerCase(Locale.ROOT), String.valueOf(port)};
    }

    private static Duration millis(String v, Duration dflt, String name) {
        if (v == null) {
            return dflt;
        }
        try {
            return Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is not a number of milliseconds: " + v);
        }
    }
}
