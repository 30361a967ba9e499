package io.xstunt.engine.simlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.sim.NatLab;
import io.xstunt.engine.sim.NatMapping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's {@code --fingerprint FILE} on the simulated lab: XInit probes and writes the file,
 * the next XInit of the same ID reads it instead of probing. The file's read and write are the
 * engine's only blocking work ({@code Network.executeBlocking}); the simulation runs them on its
 * own thread, so registration is deterministic and completes in virtual time.
 */
@Timeout(30)
class FingerprintCacheTest {
    @TempDir
    Path dir;

    @Test
    void theSecondRegistrationReadsTheFingerprintTheFirstProbed() {
        NatLab lab = NatLab.builder().seed(1).nat(NatMapping.OFFSET).delay(Duration.ofMillis(10)).build();
        StuntLab stunt = StuntLab.start(lab, 1);
        Path file = dir.resolve("bob.fp");
        ClientConfig config = StuntLab.clientConfig(PunchStrategy.RACE, Scenario.RACE_TIMEOUT).toBuilder()
                .fingerprintFile(file).build();

        StuntClient first = register(stunt, config);
        assertFalse(first.fingerprintCached(), "nothing to read yet: probed");
        assertTrue(first.registrationPhases().containsKey("probe"), first.registrationPhases().toString());
        assertTrue(Files.exists(file), "XInit returned once the fingerprint was in its file");
        stunt.deregister(first);
        stunt.net().runUntil("the server to forget bob", () -> stunt.server().registeredCount() == 0,
                Duration.ofSeconds(5));

        StuntClient second = register(stunt, config);
        assertTrue(second.fingerprintCached(), "read from the file: " + second.registrationPhases());
        assertFalse(second.registrationPhases().containsKey("probe"), second.registrationPhases().toString());
        assertEquals(first.fingerprint(), second.fingerprint());
        assertEquals("TCP NOT-PORT-PRESERVING CONE", second.fingerprint().describe());
    }

    private static StuntClient register(StuntLab stunt, ClientConfig config) {
        return stunt.net().await("XInit of bob with " + config.fingerprintFile(),
                StuntClient.register(stunt.lab().h1().network(), config, "bob"), StuntLab.REGISTRATION);
    }
}
