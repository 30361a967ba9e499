package io.xstunt.engine.client;

import io.xstunt.engine.wire.Fingerprint;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireFormatException;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * XReadFingerprint / XWriteFingerprint: the {@link Fingerprint} struct in a file. Ours is written
 * as the reference's struct (60 bytes, ID field of 33) in network order, whatever variant the client
 * speaks. Read are ours and the original's: XWriteFingerprint's x86 memory dump, 56 bytes (the
 * published client, MAX_ID_LEN 31) or 60 (32), told from ours by {@code nClientVer}, which reads
 * as the build in one byte order only. Writes are atomic (a temporary file in the same directory,
 * then a move), so a crash never leaves half a fingerprint; a missing, unreadable or corrupt file
 * just means "probe again" (one log line, no error).
 */
public final class FingerprintFile {
    private static final Logger LOG = LoggerFactory.getLogger(FingerprintFile.class);
    /** The file holds the struct with the reference's ID field, whatever variant the client speaks. */
    private static final WireVariant FORMAT = WireVariant.ID32;

    private FingerprintFile() {
    }

    /**
     * XReadFingerprint: reads the file. Blocking file I/O: call it off the loop thread.
     *
     * @param file the file, or null for none
     * @return the fingerprint, or empty if there is no file or it is not a valid fingerprint
     */
    public static Optional<Fingerprint> read(Path file) {
        // the usual first run has no file: Files.exists asks without an exception, whereas a failed
        // open builds one in native code, where a virtual thread cannot unmount (a pin under JFR)
        if (file == null || !Files.exists(file)) {
            return Optional.empty();
        }
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.info("fingerprint file {} unreadable ({}); probing again", file, e.toString());
            return Optional.empty();
        }
        try {
            if (b.length == FORMAT.fingerprintSize() && !x86(b)) {
                return Optional.of(Fingerprint.read(ByteBuffer.wrap(b), FORMAT));
            }
            for (WireVariant v : WireVariant.values()) {
                if (b.length == v.fingerprintSize()) {
                    Fingerprint f = Fingerprint.readX86(ByteBuffer.wrap(b), v);
                    LOG.info("fingerprint file {} is the original's ({} bytes, MAX_ID_LEN {}): {}", file, b.length,
                            v.maxIdLen(), f.describe());
                    return Optional.of(f);
                }
            }
            LOG.info("fingerprint file {} has {} bytes, neither ours ({}) nor the original's; probing again", file,
                    b.length, FORMAT.fingerprintSize());
            return Optional.empty();
        } catch (WireFormatException e) {
            LOG.info("fingerprint file {} is corrupt ({}); probing again", file, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * @return true if the file's {@code nClientVer} reads as this build little-endian, as the
     *     original's x86 dump has it (ours has it in network order: {@code 00 00 00 0a})
     */
    private static boolean x86(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(0) == Protocol.BUILD_VERSION;
    }

    /**
     * XWriteFingerprint: replaces the file atomically, in our format. Blocking file I/O: call it off the loop thread.
     *
     * @throws IOException if it cannot be written
     */
    public static void write(Path file, Fingerprint fingerprint) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(FORMAT.fingerprintSize());
        fingerprint.write(b, FORMAT);
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, b.array());
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Whether a cached fingerprint may be reused instead of probing (decision 8 of the protocol
     * document): made by this client build, against this server version, for this public IP
     * and this ID, and completed.
     */
    public static boolean reusable(Fingerprint f, int clientBuild, int serverVersion, int publicIp, String id) {
        return f != null && f.done() && f.clientVersion() == clientBuild && f.serverVersion() == serverVersion
                && f.publicIp() == publicIp && f.id().equals(id);
    }
}
