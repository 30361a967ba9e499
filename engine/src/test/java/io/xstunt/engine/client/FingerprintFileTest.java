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

    /**
     * The original's file as XWriteFingerprint dumps it from an x86 process: INT32s little-endian,
     * nGAddr an s_addr, padding and the ID field's tail as memory had them.
     */
    static byte[] originalFile(WireVariant v, String id, int serverVersion, byte[] publicIp, int increment,
                               boolean preserving) {
        ByteBuffer b = ByteBuffer.allocate(v.fingerprintSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, Protocol.BUILD_VERSION).putInt(4, serverVersion);
        byte[] text = id.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        b.put(8, text);
        int done = 8 + v.idFieldSize() + (v == WireVariant.ID32 ? 3 : 0); // chID, then the pad to 4
        b.putInt(done, 1).put(done + 4, publicIp).putInt(done + 8, increment);
        b.put(done + 12, (byte) (preserving ? 1 : 0));
        return b.array();
    }

    @Test
    void theOriginalsFileIsReadInBothVariants() throws IOException {
        Path file = dir.resolve("fingerprint.dat");
        byte[] ip = {(byte) 198, 51, 100, 4};
        Files.write(file, originalFile(WireVariant.ID31, "alice", 1, ip, 2, false));
        assertEquals(56, Files.size(file), "the published client's struct");
        assertEquals(Optional.of(F), FingerprintFile.read(file));
        Files.write(file, originalFile(WireVariant.ID32, "alice", 1, ip, 2, false));
        assertEquals(60, Files.size(file), "the reference's struct, as long as ours");
        assertEquals(Optional.of(F), FingerprintFile.read(file));
        Files.write(file, originalFile(WireVariant.ID31, "alice", 1, ip, 65534, true));
        assertEquals(-2, FingerprintFile.read(file).orElseThrow().increment(), "65534: a step of -2");
    }

    @Test
    void anOriginalFileOfAnotherBuildIsReadButNotReusable() throws IOException {
        Path file = dir.resolve("fingerprint.dat");
        byte[] b = originalFile(WireVariant.ID31, "alice", 1, new byte[] {1, 2, 3, 4}, 0, true);
        b[0] = 9; // build 9, little-endian
        Files.write(file, b);
        Fingerprint f = FingerprintFile.read(file).orElseThrow();
        assertEquals(9, f.clientVersion());
        assertFalse(FingerprintFile.reusable(f, Protocol.BUILD_VERSION, 1, 0x01020304, "alice"));
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
