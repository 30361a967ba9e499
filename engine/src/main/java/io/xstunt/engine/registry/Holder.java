package io.xstunt.engine.registry;

import java.util.Objects;

/**
 * Who holds a registered ID: the log connection a client registered on, named by the server that
 * accepted it and that server's number for the registration. A registry hands it back in its
 * effects ({@link Registry.Effects#announce}, {@link Registry.Effects#disconnect}) so that the
 * holding server finds the connection.
 *
 * @param server the holding server's name (unique among the servers sharing a registry)
 * @param registration the server's number for this registration (never reused by that server)
 */
public record Holder(String server, long registration) {
    /** Checks the server name. */
    public Holder {
        Objects.requireNonNull(server, "server");
    }
}
