/**
 * The xstunt engine: wire codecs, the event loop, the network seam and its NIO implementation, the
 * sans-IO procedures of client and server and their drivers, the registry. Applications use the
 * {@code io.xstunt.api} module; of the engine they see only the event loop, for a host that drives
 * it from its own loop (a game server's tick). The rest is exported to the modules built on it
 * alone: the API, the benchmarks (which measure the server's paths without sockets) and a shared
 * registry backend.
 */
module io.xstunt.engine {
    requires org.slf4j;

    exports io.xstunt.engine.loop;

    exports io.xstunt.engine to io.xstunt.api, io.xstunt.bench;
    exports io.xstunt.engine.client to io.xstunt.api, io.xstunt.bench;
    exports io.xstunt.engine.server to io.xstunt.api, io.xstunt.bench;
    exports io.xstunt.engine.wire to io.xstunt.api, io.xstunt.bench, io.xstunt.registry.redis;
    exports io.xstunt.engine.registry to io.xstunt.api, io.xstunt.registry.redis;
    exports io.xstunt.engine.nat to io.xstunt.api;
    exports io.xstunt.engine.net to io.xstunt.api, io.xstunt.bench, io.xstunt.registry.redis;
    exports io.xstunt.engine.tcp to io.xstunt.bench;

    // a shared registry's backend (registry-redis) provides it; the engine names none
    uses io.xstunt.engine.registry.RegistryProvider;
}
