package io.xstunt.engine.registry;

import io.xstunt.engine.net.Network;
import java.net.URI;
import java.util.Locale;
import java.util.ServiceLoader;

/** Opens the registry a server is configured with: in memory by default, else the backend of its URI's scheme. */
public final class Registries {
    private Registries() {
    }

    /**
     * @param uri the shared registry's URI, or null for the in-memory one
     * @throws IllegalArgumentException if no backend serves the URI's scheme, or the backend refuses it
     */
    public static Registry open(URI uri, RegistrySettings settings, Network network) {
        if (uri == null) {
            return new InMemoryRegistry(settings.maxClients(), settings.requireTokens());
        }
        return provider(uri).open(uri, settings, network);
    }

    /**
     * Checks that a backend serves {@code uri} and takes it, opening nothing.
     *
     * @throws IllegalArgumentException saying why not
     */
    public static void check(URI uri) {
        provider(uri).check(uri);
    }

    private static RegistryProvider provider(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        for (RegistryProvider p : ServiceLoader.load(RegistryProvider.class, Registries.class.getClassLoader())) {
            if (p.serves(scheme)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no registry backend for \"" + uri + "\": the scheme \"" + scheme
                + "\" needs its module on the class path (redis://HOST:PORT: xstunt-registry-redis)");
    }
}
