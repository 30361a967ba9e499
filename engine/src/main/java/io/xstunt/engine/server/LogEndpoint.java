package io.xstunt.engine.server;

import io.xstunt.engine.wire.Echo;

/**
 * The server's side of a client's log connection, as the {@link Registry} sees it: where session
 * announcements go and what is closed when the client is forgotten. Loop thread only.
 */
interface LogEndpoint {
    /** Queues an Echo session announcement for the client. */
    void announce(Echo announcement);

    /**
     * @return false if the client has {@link ServerConfig#maxPendingAnnouncements()} announcements
     *     unwritten (it does not read), or cannot be announced to at all; then no session may start
     */
    default boolean canAnnounce() {
        return true;
    }

    /** Closes the log connection (MSG_DEREGISTER, or a PROBE registration being replaced). */
    void disconnect();
}
