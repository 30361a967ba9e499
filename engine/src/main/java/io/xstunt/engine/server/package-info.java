/**
 * The STUNT server of XSTUNT 1.0: {@link io.xstunt.engine.server.StuntServer} with its
 * {@link io.xstunt.engine.server.ServerConfig}.
 *
 * <p>Structure (docs/ARCHITECTURE.md): each procedure is a sans-IO state machine on the contract of
 * {@link io.xstunt.engine.proc.Procedure} ({@code Registrar}: registration and client log lines;
 * {@code CommResponder} with the decisions of {@code CommService}: MSG_CONNECT, MSG_QUERY,
 * MSG_DEREGISTER; {@code EchoResponder}: the echo service; {@code ControlRelay}: one rendezvous
 * session's control channel), driven by {@link io.xstunt.engine.proc.ProcedureDriver}; their I/O is
 * {@code LogService}, {@code Sessions}/{@code RendezvousSession} and {@code StuntServer}; the
 * clients are held by a {@link io.xstunt.engine.registry.Registry}.
 *
 * <p>Decisions beyond the brief's protocol decisions:
 * <ul>
 *   <li>An ID is held from the moment its ID field is accepted; until the client reports its state it
 *       counts as PROBE (MSG_QUERY answers 0, and a registration from the same public IP replaces it).</li>
 *   <li>An ID field that does not decode, or is empty, is answered like a taken one: an empty
 *       ServerInfo, then close.</li>
 *   <li>Timeouts: a log connection must send its ID field and state, and a comm connection its Msg,
 *       within {@code handshakeTimeout} (10 s); a PROBE registration may hold its ID for
 *       {@code probeTimeout} (60 s); an IDLE log connection of a client that asked for the extensions
 *       must show life (any byte; keepalives are empty lines) within {@code idleTimeout} (60 s), an
 *       original client's only if {@code originalIdleTimeout} is set (default: none). {@code sessionTimeout} (30 s) bounds a whole rendezvous session, pairing and
 *       relay together; a connection told to close after flushing gets {@code handshakeTimeout} more.</li>
 *   <li>A same-public-IP MSG_CONNECT whose destination reported local IP 0.0.0.0 or 255.255.255.255
 *       is answered -1: those values would read as "accepted" and "no match".</li>
 *   <li>A MSG_CONNECT for which no control listener can be bound is answered -1.</li>
 *   <li>Control bytes a side sends before the other side is connected are kept, up to
 *       {@code maxRelayBacklog} bytes (beyond: the session ends); then the relay forwards as bytes
 *       arrive, bounded by each connection's outbound cap (a side that does not read is closed).</li>
 *   <li>An echo port of 0 is bound ephemeral on IP1 and the same number on IP2 (retried on a clash).</li>
 *   <li>Client log lines: UTF-8 with malformed bytes replaced, control characters shown as '?', a
 *       trailing CR dropped, logged at INFO on {@code io.xstunt.server.clientlog} with the ID in the
 *       message and in MDC key {@code xstunt.client}.</li>
 *   <li>Who may do what, the shared secret and the limits: docs/PROTOCOL.md, "Authentication and
 *       ownership"; every refusal closes that connection, logs one line with the address and counts a
 *       {@link io.xstunt.engine.server.Rejection}; docs/RELIABILITY.md lists them with their tests.</li>
 * </ul>
 */
package io.xstunt.engine.server;
