package io.xstunt.engine.server;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/** Where the server's holder tokens come from: unguessable 64-bit values. */
final class HolderTokens {
    /**
     * A DRBG, seeded once when this class is initialised ({@link StuntServer#start} does that on
     * the caller's thread): after that every token is computed in memory. The platform default
     * (NativePRNG on Linux) reads /dev/urandom through a FileInputStream under a JVM-wide lock
     * whenever its small buffer runs out, which is file I/O on the loop thread (found by
     * bench's LoopNeverBlocksTest). Thread-safe.
     */
    private static final SecureRandom RANDOM = seeded();

    private HolderTokens() {
    }

    private static SecureRandom seeded() {
        SecureRandom r;
        try {
            r = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            r = new SecureRandom();
        }
        r.nextLong(); // instantiates and seeds now, not at the first registration
        return r;
    }

    /** @return the server's source of tokens */
    static LongSupplier secure() {
        return RANDOM::nextLong;
    }
}
