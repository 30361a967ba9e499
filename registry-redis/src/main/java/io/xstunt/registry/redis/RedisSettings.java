package io.xstunt.registry.redis;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the shared registry's Redis is and how the registry uses it, from its URI:
 * {@code redis://[PASSWORD@]HOST:PORT[/DB][?lease-ms=N&timeout-ms=N&prefix=P]}.
 *
 * @param redisUri the URI Lettuce connects to (without this registry's own parameters)
 * @param lease how long a record lives without its home server refreshing it: a dead server's IDs
 *     are free again after at most this long (the server refreshes every third of it)
 * @param commandTimeout how long one store command may take before the store counts as unreachable
 * @param prefix the prefix of every key and channel (several deployments may share one Redis)
 */
record RedisSettings(String redisUri, Duration lease, Duration commandTimeout, String prefix) {
    /** The default {@link #lease()}: a dead server's IDs are free within 30 s. */
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The default {@link #commandTimeout()}. */
    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    static final String DEFAULT_PREFIX = "xstunt";

    RedisSettings {
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
     * @throws IllegalArgumentException naming what is wrong with {@code uri}
     */
    static RedisSettings parse(URI uri) {
        if (!"redis".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("not a redis://HOST:PORT URI: " + uri);
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
        String auth = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        return new RedisSettings("redis://" + auth + uri.getHost() + ":" + port + path, lease, timeout, prefix);
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
