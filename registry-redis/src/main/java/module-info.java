/**
 * A registry shared by several STUNT servers, on Redis: {@code server --registry redis://HOST:PORT}.
 * It implements the engine's {@code io.xstunt.engine.registry.Registry} (the engine exports that
 * package, and what the registry needs of its network, to this module alone) and is found by the
 * engine through {@link java.util.ServiceLoader}; nothing of it is public API.
 */
module io.xstunt.registry.redis {
    requires io.xstunt.engine;
    requires lettuce.core;
    requires reactor.core; // Lettuce's event bus (the Cluster's topology changes) is a Flux
    requires org.slf4j;

    provides io.xstunt.engine.registry.RegistryProvider with io.xstunt.registry.redis.RedisRegistryProvider;
}
