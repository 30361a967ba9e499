package io.xstunt.engine.server;

import java.time.Duration;

/**
 * What the server's relay allows (relay extension, docs/PROTOCOL.md "Relay", docs/RELIABILITY.md):
 * whether it relays at all, and the limits of each relayed connection and of relaying in total.
 * The defaults are meant not to end a normal session (a file transfer, an hour-long call): a
 * libp2p relay's 2 minutes and 128 KiB are what users complain of.
 *
 * @param enabled whether the server relays pairs that cannot punch (only extension clients, both
 *     of whom asked for the extensions; never an original client)
 * @param maxBytesPerDirection bytes one relayed connection carries each way; 0: no limit
 * @param maxDuration how long one relayed connection lasts; {@link Duration#ZERO}: no limit
 * @param bytesPerSecond the rate of one relayed connection, each way (a token bucket of one
 *     second's worth); 0: no limit
 * @param maxRelays relayed connections at once, in total
 * @param maxRelaysPerClient relayed connections at once that one client (by ID) takes part in
 */
public record RelayLimits(boolean enabled, long maxBytesPerDirection, Duration maxDuration, int bytesPerSecond,
                          int maxRelays, int maxRelaysPerClient) {
    /** Default {@link #maxBytesPerDirection()}: 8 GiB. */
    public static final long DEFAULT_MAX_BYTES = 8L << 30;
    /** Default {@link #maxDuration()}: a day. */
    public static final Duration DEFAULT_MAX_DURATION = Duration.ofHours(24);
    /** Default {@link #bytesPerSecond()}: 16 MiB/s each way (128 Mbit/s). */
    public static final int DEFAULT_BYTES_PER_SECOND = 16 << 20;
    /** Default {@link #maxRelays()}. */
    public static final int DEFAULT_MAX_RELAYS = 1_000;
    /** Default {@link #maxRelaysPerClient()}. */
    public static final int DEFAULT_MAX_RELAYS_PER_CLIENT = 16;

    /** The defaults: relaying on. */
    public static final RelayLimits DEFAULTS = new RelayLimits(true, DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION,
            DEFAULT_BYTES_PER_SECOND, DEFAULT_MAX_RELAYS, DEFAULT_MAX_RELAYS_PER_CLIENT);
    /** No relaying at all (XSTUNT 1.0's server). */
    public static final RelayLimits OFF = new RelayLimits(false, DEFAULT_MAX_BYTES, DEFAULT_MAX_DURATION,
            DEFAULT_BYTES_PER_SECOND, DEFAULT_MAX_RELAYS, DEFAULT_MAX_RELAYS_PER_CLIENT);

    /** Checks every field; the message names the field and the value. */
    public RelayLimits {
        if (maxBytesPerDirection < 0) {
            throw new IllegalArgumentException("relay maxBytesPerDirection must be >= 0 (0: none), got "
                    + maxBytesPerDirection);
        }
        if (maxDuration == null || maxDuration.isNegative() || maxDuration.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("relay maxDuration must be 0 (none) or positive, got " + maxDuration);
        }
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("relay bytesPerSecond must be >= 0 (0: none), got " + bytesPerSecond);
        }
        if (maxRelays < 1 || maxRelaysPerClient < 1) {
            throw new IllegalArgumentException("relay maxRelays and maxRelaysPerClient must be at least 1, got "
                    + maxRelays + " and " + maxRelaysPerClient);
        }
    }

    /** @return these limits with relaying switched {@code on} or off */
    public RelayLimits withEnabled(boolean on) {
        return new RelayLimits(on, maxBytesPerDirection, maxDuration, bytesPerSecond, maxRelays, maxRelaysPerClient);
    }
}
