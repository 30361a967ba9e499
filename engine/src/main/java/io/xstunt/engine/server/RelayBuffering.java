package io.xstunt.engine.server;

/**
 * What the server's running relays hold in memory ({@link StuntServer#relayBuffering()}): the
 * relay's backpressure (docs/RELIABILITY.md, "Relay") stops reading a side while the other side's
 * connection holds more than 64 KiB it could not write, so no connection ever holds more than
 * {@link #BOUND}, however slowly its reader reads.
 *
 * @param bufferedBytes bytes the relayed connections hold unwritten now, all relays together
 * @param peakBytes the most one relayed connection held unwritten, over the running relays' lives
 * @param pausedSides relayed connections not read now because their peer holds too much
 */
public record RelayBuffering(long bufferedBytes, long peakBytes, int pausedSides) {
    /** The most one relayed connection holds unwritten: the high-water mark plus one read. */
    public static final long BOUND = RelayPipe.HIGH_WATER + RelayPipe.READ_BYTES;
}
