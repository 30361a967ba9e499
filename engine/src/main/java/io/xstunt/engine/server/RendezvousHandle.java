package io.xstunt.engine.server;

/** A rendezvous session as the {@link Registry} sees it: what to end when a client goes away. */
interface RendezvousHandle {
    /** @return the session id announced in {@code Echo.Conn.nConnID} */
    int sessionId();

    /** @return the port of the session's control listener on IP1 (Echo {@code wPort}) */
    int controlPort();

    /** Ends the session at once: control listener and connections closed, timer cancelled. */
    void abort(String reason);
}
