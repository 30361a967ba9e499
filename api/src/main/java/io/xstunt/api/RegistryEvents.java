package io.xstunt.api;

/**
 * Told what a server's shared registry store does, as it happens ({@link XstuntServer#onRegistryEvents}):
 * for metrics and alerts. Not in XSTUNT 1.0. Called on the registry client's I/O thread (each
 * command) or the server's loop (reachability): it must be thread-safe and must not block.
 */
public interface RegistryEvents {
    /**
     * The store became reachable ({@code true}) or unreachable.
     *
     * @param why what was seen ("connection to redis://... lost", "rejoined")
     */
    void reachability(boolean reachable, String why);

    /**
     * One store command completed.
     *
     * @param latencyNs its round trip in nanoseconds
     * @param failed whether it failed or timed out
     */
    void command(long latencyNs, boolean failed);
}
