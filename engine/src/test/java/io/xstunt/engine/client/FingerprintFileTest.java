package io.xstunt.engine.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FingerprintFileTest {
    static final Fingerprint F = new Fingerprint(Protocol.BUILD_VERSION, 1, "alice", true, 0xC6336404, 2, false);

    @TempDir
    Path dir;

    @Test
    void writeThenReadGivesTheSameFingerprintInSixtyNetworkOrderBytes() throws IOException {
        Path file = dir.resolve("sub/fingerprint.dat");
        FingerprintFile.write(file, F);
        byte[] b = Files.readAllBytes(file);
        assertEquals(WireVariant.ID32.fingerprintSize(), b.length);
        assertEquals(60, b.length);
        assertEquals(Protocol.BUILD_VERSION, ByteBuffer.wrap(b).getInt(0), "INT32 in network order");
        assertEquals(Optional.of(F), FingerprintFile.read(file));
    }

    @Test
    void rewriteReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("fingerprint.dat");
        FingerprintFile.write(file, F);
        Fingerprint g = new Fingerprint(Protocol.BUILD_VERSION, 2, "alice", true, 1, 0, true);
        FingerprintFile.write(file, g);
        assertEquals(Optional.of(g), FingerprintFile.read(file));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList());
        }
    }

    @Test
    void missingShortOrCorruptFilesMeanProbeAgain() throws IOException {
        assertTrue(FingerprintFile.read(dir.resolve("none.dat")).isEmpty());
        assertTrue(FingerprintFile.read(null).isEmpty());
        Path file = dir.resolve("fingerprint.dat");
        Files.write(file, new byte[] {1, 2, 3});
        assertTrue(FingerprintFile.read(file).isEmpty());
        ByteBuffer b = ByteBuffer.allocate(WireVariant.ID32.fingerprintSize());
        F.write(b, WireVariant.ID32);
        byte[] bad = b.array();
        bad[bad.length - 4] = 7; // bPortPreserving must be 0/1
        Files.write(file, bad);
        assertTrue(FingerprintFile.read(file).isEmpty());
        Files.write(file, new byte[WireVariant.ID32.fingerprintSize() * 2]);
        assertTrue(FingerprintFile.read(file).isEmpty());
        assertTrue(FingerprintFile.read(dir).isEmpty(), "a directory is unreadable, not an error");
    }

    @Test
    void reusableOnlyWhenEveryFieldMatches() {
        int ip = F.publicIp();
        assertTrue(FingerprintFile.reusable(F, Protocol.BUILD_VERSION, 1, ip, "alice"));
        assertFalse(FingerprintFile.reusable(F, Protocol.BUILD_VERSION + 1, 1, ip, "alice"));
        assertFalse(FingerprintFile.reusable(F, Protocol.BUILD_VERSION, 2, ip, "alice"));
        assertFalse(FingerprintFile.reusable(F, Protocol.BUILD_VERSION, 1, ip + 1, "alice"));
        assertFalse(FingerprintFile.reusable(F, Protocol.BUILD_VERSION, 1, ip, "bob"));
        assertFalse(FingerprintFile.reusable(new Fingerprint(Protocol.BUILD_VERSION, 1, "alice", false, ip, 2, false),
                Protocol.BUILD_VERSION, 1, ip, "alice"));
        assertFalse(FingerprintFile.reusable(null, Protocol.BUILD_VERSION, 1, ip, "alice"));
    }
}
