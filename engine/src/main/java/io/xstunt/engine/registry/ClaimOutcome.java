package io.xstunt.engine.registry;

/** The answer to a registration's ID field ({@link Registry#claim}). */
public enum ClaimOutcome {
    /** The ID was free and is now held by the new registration. */
    ACCEPTED,
    /** A PROBE registration of the same ID from the same public IP was replaced (its connection is disconnected). */
    REPLACED,
    /** Held by another client: an empty ServerInfo (ERR_DUPLICATE_ID). */
    DUPLICATE,
    /** The registry holds its most IDs already: an empty ServerInfo. */
    FULL;

    /** @return true if the registration holds (or may hold) the ID */
    public boolean taken() {
        return this == ACCEPTED || this == REPLACED;
    }
}
