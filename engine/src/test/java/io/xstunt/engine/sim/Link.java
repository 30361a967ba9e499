package io.xstunt.engine.sim;

import java.time.Duration;

/**
 * How a node is wired to a {@link Bridge}: a constant one-way delay and a random loss, for each
 * direction; natlab's {@code --delayN MS} and {@code --lossN PCT} set both directions alike. A
 * packet between two nodes of a bridge crosses the sender's link up and the receiver's link down.
 * No jitter and no bandwidth limit, like natlab's wire.
 *
 * @param upDelayNs node to bridge, in nanoseconds
 * @param upLoss node to bridge, probability 0..1
 * @param downDelayNs bridge to node
 * @param downLoss bridge to node
 */
public record Link(long upDelayNs, double upLoss, long downDelayNs, double downLoss) {
    /** No delay, no loss: a veth pair. */
    public static final Link NONE = new Link(0, 0, 0, 0);

    /** Checks the values. */
    public Link {
        if (upDelayNs < 0 || downDelayNs < 0) {
            throw new IllegalArgumentException("a delay must not be negative");
        }
        if (!(upLoss >= 0 && upLoss <= 1 && downLoss >= 0 && downLoss <= 1)) {
            throw new IllegalArgumentException("a loss is a probability 0..1, got " + upLoss + " / " + downLoss);
        }
    }

    /** @return a link with {@code delay} and {@code lossPercent} (0..100) in each direction, as natlab sets them */
    public static Link of(Duration delay, double lossPercent) {
        if (!(lossPercent >= 0 && lossPercent <= 100)) {
            throw new IllegalArgumentException("loss must be 0..100 %, got " + lossPercent);
        }
        long ns = delay.toNanos();
        return new Link(ns, lossPercent / 100, ns, lossPercent / 100);
    }

    /** @return a link with {@code delay} each way and no loss */
    public static Link of(Duration delay) {
        return of(delay, 0);
    }
}
