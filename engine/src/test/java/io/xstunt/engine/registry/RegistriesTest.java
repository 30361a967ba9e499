package io.xstunt.engine.registry;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The registry a server is configured with: in memory without a URI, a clear refusal for a scheme nobody serves. */
class RegistriesTest {
    private static final RegistrySettings SETTINGS = new RegistrySettings(10, false, Duration.ofSeconds(60));

    @Test
    void withoutAUriTheRegistryIsInMemory() {
        assertInstanceOf(InMemoryRegistry.class, Registries.open(null, SETTINGS, null));
    }

    @Test
    void aSchemeWithoutABackendOnTheClassPathIsRefusedByName() {
        // the engine's tests have no backend on their class path: not even redis is served here
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Registries.check(URI.create("redis://127.0.0.1:6379")));
        assertTrue(e.getMessage().contains("\"redis\"") && e.getMessage().contains("xstunt-registry-redis"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Registries.open(URI.create("etcd://h:1"), SETTINGS, null));
    }
}
