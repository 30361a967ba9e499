package io.xstunt.engine.registry;

import java.util.Objects;

/**
 * A rendezvous session, as the registry names it in its records and effects.
 *
 * @param server the server that runs the session (its control listener)
 * @param id the session id announced in {@code Echo.Conn.nConnID}
 */
public record SessionRef(String server, int id) {
    /** Checks the server name. */
    public SessionRef {
        Objects.requireNonNull(server, "server");
    }
}
