package io.xstunt.engine.server;

import io.xstunt.engine.wire.Echo;

/**
 * The server's side of a client's log connection, as the {@link Registry} sees it: where session
 * announcements go and what is closed when the client is forgotten. Loop thread only.
 */
interface LogEndpoint {
    /** Queues an Echo session announcement for the client. */
    void announce(Echo announcement);

    /** Closes the log connection (MSG_DEREGISTER, or a PROBE registration being replaced). */
    void disconnect();
}
