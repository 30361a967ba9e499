package io.xstunt.api;

/**
 * A finished rendezvous session as the server saw it ({@link XstuntServer#onSessionFinished}): the
 * bytes each side sent on its control connection (all the server ever relays: the data of a
 * direct connection never passes it) and why the session ended. Not in XSTUNT 1.0; it lets an
 * operator or a test see that a connection was direct.
 *
 * @param sessionId the session id announced to both sides ({@code Echo.Conn.nConnID})
 * @param initiatorId the XConnect side's ID
 * @param listenerId the XListen side's ID
 * @param bytesFromInitiator control bytes received from the initiator
 * @param bytesFromListener control bytes received from the listener
 * @param endReason why the session ended (a side closed, timeout, abort)
 */
public record SessionReport(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                            long bytesFromListener, String endReason) {
}
