package io.xstunt.engine.server;

/**
 * Why the server refused a connection's input or request; {@link StuntServer#rejected(Rejection)}
 * counts each kind.
 */
public enum Rejection {
    /** Bytes that do not decode (a {@link io.xstunt.engine.wire.WireFormatException}). */
    BAD_BYTES,
    /** Bytes where the protocol expects none (an echo client writing, data after a Msg). */
    UNEXPECTED_DATA,
    /** A log line longer than {@link ServerConfig#maxLogLine()}. */
    OVERSIZE,
    /** A connection that did not send what it must within {@link ServerConfig#handshakeTimeout()}. */
    HANDSHAKE_TIMEOUT,
    /** A PROBE registration held longer than {@link ServerConfig#probeTimeout()}. */
    PROBE_TIMEOUT,
    /** An empty or malformed ID in a registration (answered with an empty ServerInfo). */
    INVALID_ID,
    /** An ID registered by another client (answered with an empty ServerInfo: ERR_DUPLICATE_ID). */
    DUPLICATE_ID,
    /** A MSG_CONNECT answered -1 (ERR_MATCH). */
    NO_MATCH,
    /** A MSG_DEREGISTER from an address other than the ID holder's (ignored). */
    DEREGISTER_DENIED,
    /** A control connection from an address that is not one of the session's clients. */
    CONTROL_REFUSED,
    /** Control-channel bytes beyond {@link ServerConfig#maxRelayBacklog()} for an absent side. */
    RELAY_OVERFLOW,
    /** A rendezvous session that did not finish within {@link ServerConfig#sessionTimeout()}. */
    SESSION_TIMEOUT,
    /** A registration while {@link ServerConfig#maxClients()} IDs are held (empty ServerInfo). */
    TOO_MANY_CLIENTS,
    /** A connection beyond {@link ServerConfig#maxConnectionsPerSource()} from one source IP (closed at once). */
    SOURCE_LIMIT,
    /** A MSG_CONNECT while {@link ServerConfig#maxSessions()} sessions are in flight (answered -1). */
    SESSION_LIMIT,
    /** A MSG_CONNECT whose client has {@link ServerConfig#maxPendingAnnouncements()} unread (answered -1). */
    ANNOUNCEMENT_BACKLOG,
    /** A MSG_CONNECT to a client announced {@link ServerConfig#maxAnnouncementsPerSecond()} sessions this second (answered -1). */
    ANNOUNCEMENT_RATE,
    /** A registered client silent for longer than its idle timeout (its ID is freed). */
    IDLE_TIMEOUT,
    /** A registration without the proof of the shared secret, or with a wrong one. */
    AUTH_FAILED,
    /** A MSG_CONNECT whose source is not proven the holder of its ID (token missing or wrong; answered -1). */
    NOT_HOLDER,
    /**
     * A MSG_CONNECT naming an ID registered but whose LogState had not arrived (an original
     * client's XInit returns once it has written it), still missing after the short wait (answered -1).
     */
    REGISTRATION_PENDING,
    /** A peer that closed in the middle of a handshake (a registration or a request cut short). */
    TRUNCATED,
    /** A peer that did not read what the server had to send (its outbound cap was exceeded). */
    SLOW_READER,
    /**
     * A relay that was asked for and not granted (relay extension): a limit of
     * {@link ServerConfig#relay()} reached, or an upgrade naming no relay of its clients.
     */
    RELAY_REFUSED
}
