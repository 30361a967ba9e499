package io.xstunt.engine.server;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished rendezvous session as the server saw it: the bytes each side sent on its control
 * connection, why the session ended, and, with the relay extension, whether it ended up relayed and
 * how many bytes the relay carried each way. Reported by {@link StuntServer#onSessionFinished}.
 *
 * @param sessionId the session id announced in the Echo's Conn.nConnID
 * @param initiatorId the XConnect side's ID
 * @param listenerId the XListen side's ID
 * @param bytesFromInitiator control bytes received from the initiator (before any relay)
 * @param bytesFromListener control bytes received from the listener (before any relay)
 * @param endReason why the session ended (a side closed, timeout, abort; for a relayed one, why
 *     the relay ended)
 * @param path what the session ended in, as far as the server knows
 * @param relayReason why it was relayed (e.g. "both NATs random-symmetric"), or null
 * @param relayedFromInitiator bytes the relay carried from the initiator (0 if not relayed)
 * @param relayedFromListener bytes the relay carried from the listener (0 if not relayed)
 * @param strategy {@link #FAST} for a FAST session (docs/PROTOCOL.md "FAST": no control channel, the
 *     clients report its end on their log connections), {@link #NORMAL} for an announced one
 * @param phases what the server timed of it: a FAST session's {@code punch} (go written to the
 *     first report); empty for a normal session
 */
public record SessionSummary(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                             long bytesFromListener, String endReason, Path path, String relayReason,
                             long relayedFromInitiator, long relayedFromListener, String strategy,
                             Map<String, Duration> phases) {
    /** {@link #strategy()} of a FAST session. */
    public static final String FAST = "fast";
    /** {@link #strategy()} of an announced session (RACE or the original sequence, control channel and all). */
    public static final String NORMAL = "normal";

    /** Copies the phases. */
    public SessionSummary {
        phases = Collections.unmodifiableMap(new LinkedHashMap<>(phases)); // in the order measured
    }

    /** An announced session ({@link #NORMAL}): the server times none of its phases. */
    public SessionSummary(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                          long bytesFromListener, String endReason, Path path, String relayReason,
                          long relayedFromInitiator, long relayedFromListener) {
        this(sessionId, initiatorId, listenerId, bytesFromInitiator, bytesFromListener, endReason, path, relayReason,
                relayedFromInitiator, relayedFromListener, NORMAL, Map.of());
    }

    /** What a session ended in, as the server knows it. */
    public enum Path {
        /** A side said (relay extension) that its punch won: a direct connection. */
        DIRECT,
        /** The server relayed the pair's data. */
        RELAYED,
        /** Not told: original clients never say, and a failed rendezvous looks the same. */
        UNREPORTED
    }

    /** A session without the relay extension's news (the original protocol). */
    public SessionSummary(int sessionId, String initiatorId, String listenerId, long bytesFromInitiator,
                          long bytesFromListener, String endReason) {
        this(sessionId, initiatorId, listenerId, bytesFromInitiator, bytesFromListener, endReason, Path.UNREPORTED,
                null, 0, 0);
    }
}
