package io.xstunt.engine.registry;

/**
 * Told what a shared registry's store does, as it happens: for counting (metrics) and alerting.
 * Called on the thread that saw it (a shared registry's client I/O thread, or the server's loop):
 * an implementation must be thread-safe and must not block.
 */
public interface RegistryListener {
    /** The store became reachable ({@code true}) or unreachable; {@code why} says what was seen. */
    void reachability(boolean reachable, String why);

    /**
     * One store command completed.
     *
     * @param latencyNs its round trip
     * @param failed whether it failed or timed out
     */
    void command(long latencyNs, boolean failed);
}
