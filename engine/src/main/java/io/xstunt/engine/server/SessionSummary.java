package io.xstunt.engine.server;

/**
 * A finished rendezvous session as the server saw it: the bytes each side sent on its control
 * connection (all the server ever relays: the data of a direct connection never passes it) and
 * why the session ended. Reported by {@link StuntServer#onSessionFinished}.
 *
 * @param sessionId the session id announced in the Echo's Conn.nConnID
 * @param initiatorId the XConnect side's ID
 * @param listenerId the XListen side's ID
 * @param bytesFromInitiator control bytes received from the initiator
 * @param bytesFromListener control bytes received from the listener
 * @param endReason why the session ended (a side closed, timeout, abort)
 */
public record SessionSummary(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                             long bytesFromListener, String endReason) {
}
