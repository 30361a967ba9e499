package io.xstunt.engine.server;

import java.security.SecureRandom;
import java.util.function.LongSupplier;

/** Where the server's holder tokens come from: unguessable 64-bit values. */
final class HolderTokens {
    /** Seeded once: a SecureRandom per registration would cost a seeding each. Thread-safe. */
    private static final SecureRandom RANDOM = new SecureRandom();

    private HolderTokens() {
    }

    /** @return the server's source of tokens */
    static LongSupplier secure() {
        return RANDOM::nextLong;
    }
}
