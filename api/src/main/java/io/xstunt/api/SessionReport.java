package io.xstunt.api;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished rendezvous session as the server saw it ({@link XstuntServer#onSessionFinished}): the
 * bytes each side sent on its control connection (the data of a direct connection never passes
 * the server), why the session ended, and with the relay extension whether the pair was relayed
 * and how many bytes the relay carried. Not in XSTUNT 1.0; it lets an
 * operator or a test see that a connection was direct.
 *
 * @param sessionId the session id announced to both sides ({@code Echo.Conn.nConnID})
 * @param initiatorId the XConnect side's ID
 * @param listenerId the XListen side's ID
 * @param bytesFromInitiator control bytes received from the initiator
 * @param bytesFromListener control bytes received from the listener
 * @param endReason why the session ended (a side closed, timeout, abort; a relay's end)
 * @param path what it ended in as far as the server knows: "direct" (a side said its punch won),
 *     "relayed" (the server relayed the pair), "unreported" (original clients never say)
 * @param relayReason why the pair was relayed, or null
 * @param relayedFromInitiator bytes the relay carried from the initiator (0 if not relayed)
 * @param relayedFromListener bytes the relay carried from the listener (0 if not relayed)
 * @param strategy "fast" for a FAST session (ours: no control channel; its clients report its end
 *     on their log connections, or the session timeout ends it, path "unreported"), "normal" for an
 *     announced session (RACE's or XSTUNT 1.0's sequence, MSG_CONNECT's control channel)
 * @param phases what the server timed of it: a FAST session's {@code punch} (its go written to the
 *     first report); empty for a normal session
 */
public record SessionReport(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                            long bytesFromListener, String endReason, String path, String relayReason,
                            long relayedFromInitiator, long relayedFromListener, String strategy,
                            Map<String, Duration> phases) {
    /** Copies the phases, in their order. */
    public SessionReport {
        phases = Collections.unmodifiableMap(new LinkedHashMap<>(phases));
    }

    /**
     * An announced session ("normal"), whose phases the server does not time.
     *
     * @param sessionId the session id announced to both sides
     * @param initiatorId the XConnect side's ID
     * @param listenerId the XListen side's ID
     * @param bytesFromInitiator control bytes received from the initiator
     * @param bytesFromListener control bytes received from the listener
     * @param endReason why the session ended
     * @param path "direct", "relayed" or "unreported"
     * @param relayReason why the pair was relayed, or null
     * @param relayedFromInitiator bytes the relay carried from the initiator
     * @param relayedFromListener bytes the relay carried from the listener
     */
    public SessionReport(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                         long bytesFromListener, String endReason, String path, String relayReason,
                         long relayedFromInitiator, long relayedFromListener) {
        this(sessionId, initiatorId, listenerId, bytesFromInitiator, bytesFromListener, endReason, path, relayReason,
                relayedFromInitiator, relayedFromListener, "normal", Map.of());
    }

    /** A session without the relay extension's news (the original protocol): path "unreported", nothing relayed. */
    public SessionReport(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                         long bytesFromListener, String endReason) {
        this(sessionId, initiatorId, listenerId, bytesFromInitiator, bytesFromListener, endReason, "unreported", null,
                0, 0);
    }
}
