package io.xstunt.registry.redis;

import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.RegistryProvider;
import io.xstunt.engine.registry.RegistrySettings;
import java.net.URI;

/**
 * Opens a {@link RedisRegistry} for {@code redis://HOST:PORT[/DB]}, {@code redis-sentinel://HOST:PORT,...#MASTER}
 * or {@code redis-cluster://HOST:PORT,...}, each with {@code ?lease-ms=N&timeout-ms=N&prefix=P} ({@link RedisSettings}).
 */
public final class RedisRegistryProvider implements RegistryProvider {
    @Override
    public String scheme() {
        return "redis";
    }

    @Override
    public boolean serves(String scheme) {
        return RedisSettings.Topology.of(scheme) != null;
    }

    @Override
    public void check(URI uri) {
        RedisSettings.parse(uri);
    }

    @Override
    public Registry open(URI uri, RegistrySettings settings, Network network) {
        return new RedisRegistry(RedisSettings.parse(uri), settings, network);
    }
}
