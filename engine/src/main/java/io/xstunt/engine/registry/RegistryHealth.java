package io.xstunt.engine.registry;

/**
 * What a registry says of its store, for operators (the server's health and metrics read it; safe
 * from any thread).
 *
 * @param shared whether the store is shared with other servers (false: the in-memory registry)
 * @param reachable whether the store answers now (always true in memory); while false, the server
 *     serves its own clients from its own records
 * @param commands the store commands completed so far
 * @param errors the store commands failed or timed out so far
 * @param lastLatencyNs the round trip of the last command completed, 0 before any
 * @param outages how often the store became unreachable
 */
public record RegistryHealth(boolean shared, boolean reachable, long commands, long errors, long lastLatencyNs,
                             long outages) {
    /** The in-memory registry's: nothing remote, always reachable. */
    public static final RegistryHealth EMBEDDED = new RegistryHealth(false, true, 0, 0, 0, 0);
}
