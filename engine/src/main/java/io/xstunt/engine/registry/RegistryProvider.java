package io.xstunt.engine.registry;

import io.xstunt.engine.net.Network;
import java.net.URI;

/**
 * A registry backend, found through {@link java.util.ServiceLoader} by the scheme of the
 * registry's URI ({@code redis://HOST:PORT}): the engine names no backend, a module on the class
 * or module path provides it ({@code registry-redis}).
 */
public interface RegistryProvider {
    /** @return the URI scheme it serves ({@code "redis"}) */
    String scheme();

    /**
     * @param scheme a registry URI's scheme, in lower case
     * @return whether it serves URIs of that scheme (by default: {@link #scheme()} alone; a backend
     *     with several, such as {@code redis}, {@code redis-sentinel} and {@code redis-cluster}, says so)
     */
    default boolean serves(String scheme) {
        return scheme().equals(scheme);
    }

    /**
     * Checks {@code uri} without opening anything (a server's options are checked before it starts).
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    void check(URI uri);

    /**
     * Opens a registry on {@code uri} for one server. Must not block the loop: connecting to the
     * store happens in the background, and the registry answers from the server's own records
     * until the store is reachable.
     *
     * @param network the server's network: answers and effects are handed back on its thread
     * @throws IllegalArgumentException if {@code uri} is not one it can open (says why)
     */
    Registry open(URI uri, RegistrySettings settings, Network network);
}
