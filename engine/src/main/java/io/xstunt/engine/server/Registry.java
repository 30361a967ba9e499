package io.xstunt.engine.server;

import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The server's table of registered clients, ID to {@link ClientRecord}, and the rules that decide
 * registration, MSG_CONNECT, MSG_QUERY and MSG_DEREGISTER (the brief's protocol decisions 3 to 6).
 * No I/O: the endpoints and sessions it holds are interfaces. Loop thread only.
 */
final class Registry {
    /** The outcome of a registration's ID field. */
    enum ClaimOutcome {
        /** The ID was free and is now held by the new log connection. */
        ACCEPTED,
        /** A PROBE registration of the same ID from the same public IP was replaced (and closed). */
        REPLACED,
        /** Held by another client: an empty ServerInfo (ERR_DUPLICATE_ID). */
        DUPLICATE,
        /** The server holds {@link ServerConfig#maxClients()} IDs already: an empty ServerInfo. */
        FULL
    }

    /**
     * The answer to a MSG_CONNECT.
     *
     * @param reply the INT32 the comm service writes: 0, -1 or the destination's local IP
     * @param source the initiator's record when accepted, else null
     * @param destination the listener's record when accepted, else null
     * @param reason why it was not accepted (for the log), or null
     * @param rejection how a -1 is counted ({@link Rejection#NO_MATCH} unless a rule of ownership
     *     or a limit refused it), or null
     */
    record ConnectDecision(int reply, ClientRecord source, ClientRecord destination, String reason,
                           Rejection rejection) {
        boolean accepted() {
            return source != null;
        }

        static ConnectDecision noMatch(String reason) {
            return refused(Rejection.NO_MATCH, reason);
        }

        static ConnectDecision refused(Rejection why, String reason) {
            return new ConnectDecision(Protocol.COMM_NO_MATCH, null, null, reason, why);
        }
    }

    private final Map<String, ClientRecord> clients = new HashMap<>();
    private final int maxClients;
    private final boolean requireTokens;

    /** A registry with the default limit and without strict tokens. */
    Registry() {
        this(ServerConfig.DEFAULT_MAX_CLIENTS, false);
    }

    /**
     * @param maxClients the most IDs held
     * @param requireTokens strict mode: a request without the holder token is never the holder's
     */
    Registry(int maxClients, boolean requireTokens) {
        this.maxClients = maxClients;
        this.requireTokens = requireTokens;
    }

    /**
     * A client sent the ID field of a registration from {@code publicIp} on {@code log}. A PROBE
     * registration of the same ID from the same public IP is replaced: its endpoint is
     * disconnected, since the original client closes its PROBE connection and registers IDLE at
     * once, and the close may arrive after the new registration.
     */
    ClaimOutcome claim(String id, int publicIp, LogEndpoint log) {
        return claim(id, publicIp, log, 0L);
    }

    /**
     * Like {@link #claim(String, int, LogEndpoint)}, for a registration that was issued
     * {@code token} (0: none), or refused when {@code maxClients} IDs are held. The replace rule of
     * a PROBE registration stays the public IP: its client registers again at once with a new
     * token (decision 6), and a PROBE registration cannot be reached or deregistered anyway.
     */
    ClaimOutcome claim(String id, int publicIp, LogEndpoint log, long token) {
        Objects.requireNonNull(log, "log");
        ClaimOutcome check = checkClaim(id, publicIp);
        if (check == ClaimOutcome.DUPLICATE || check == ClaimOutcome.FULL) {
            return check;
        }
        ClientRecord old = clients.remove(id);
        if (old != null) {
            old.state(Protocol.CSTATE_DEAD);
            old.log().disconnect();
        }
        clients.put(id, new ClientRecord(id, publicIp, log, token));
        return check;
    }

    /** What {@link #claim} would answer now; changes nothing. */
    ClaimOutcome checkClaim(String id, int publicIp) {
        ClientRecord old = clients.get(id);
        if (old != null) {
            return old.state() != Protocol.CSTATE_PROBE || old.publicIp() != publicIp
                    ? ClaimOutcome.DUPLICATE : ClaimOutcome.REPLACED;
        }
        return clients.size() >= maxClients ? ClaimOutcome.FULL : ClaimOutcome.ACCEPTED;
    }

    /**
     * Whether a comm request from {@code sourceIp} carrying {@code token} (0: none) comes from the
     * holder of {@code r} (docs/PROTOCOL.md, "Authentication and ownership"): a token, when either
     * side has one, must be present and equal; the source IP must be the holder's public IP; and
     * in strict mode a request without a token is never the holder's.
     *
     * @return null if it is the holder, else why not
     */
    String notHolder(ClientRecord r, int sourceIp, long token) {
        if (r.publicIp() != sourceIp) {
            return r.id() + " is registered from " + Ipv4.toString(r.publicIp()) + ", not " + Ipv4.toString(sourceIp);
        }
        if (token != 0 || r.token() != 0) {
            return token == r.token() ? null : (token == 0 ? "no holder token (" + r.id() + " holds one)"
                    : "wrong holder token for " + r.id());
        }
        return requireTokens ? "no holder token (required by this server)" : null;
    }

    /** The holder of {@code id} on {@code log} reported its state (PROBE or IDLE) and local IP. */
    void reportState(String id, LogEndpoint log, int state, int localIp) {
        ClientRecord r = clients.get(id);
        if (r != null && r.log() == log) {
            r.state(state);
            r.localIp(localIp);
            r.stateReported(true);
        }
    }

    /**
     * The log connection {@code log} that held {@code id} is gone: the ID is freed (DEAD, then
     * removed) and its session, if any, is aborted. Nothing happens if {@code log} no longer holds it.
     */
    void release(String id, LogEndpoint log) {
        ClientRecord r = clients.get(id);
        if (r != null && r.log() == log) {
            forget(r, "client " + id + " disconnected");
        }
    }

    private void forget(ClientRecord r, String reason) {
        clients.remove(r.id());
        r.state(Protocol.CSTATE_DEAD);
        RendezvousHandle s = r.session();
        r.session(null);
        if (s != null) {
            s.abort(reason);
        }
    }

    /**
     * MSG_DEREGISTER from {@code sourceIp}: honoured only from the holder's public IP; then the ID
     * is forgotten, its session aborted and its log connection closed.
     *
     * @return true if honoured
     */
    boolean deregister(String id, int sourceIp) {
        return deregisterDenial(id, sourceIp, 0L) == null;
    }

    /**
     * MSG_DEREGISTER from {@code sourceIp} with {@code token} (0: none): honoured only from the
     * holder ({@link #notHolder}).
     *
     * @return null if honoured, else why not
     */
    String deregisterDenial(String id, int sourceIp, long token) {
        ClientRecord r = clients.get(id);
        if (r == null) {
            return id + " is not registered";
        }
        String why = notHolder(r, sourceIp, token);
        if (why != null) {
            return why;
        }
        forget(r, "client " + id + " deregistered");
        r.log().disconnect();
        return null;
    }

    /** MSG_QUERY: the ID's {@code CSTATE_*} value, or -1 if not registered. */
    int query(String id) {
        ClientRecord r = clients.get(id);
        return r == null ? -1 : r.state();
    }

    /**
     * MSG_CONNECT from {@code sourceIp}: decision 3 of the brief. Changes nothing. An ID whose
     * LogState has not arrived yet is refused as {@link Rejection#REGISTRATION_PENDING}, which the
     * comm service may ask again about shortly ({@link CommSession}).
     */
    ConnectDecision checkConnect(String srcId, String dstId, int sourceIp) {
        return checkConnect(srcId, dstId, sourceIp, 0L);
    }

    /**
     * MSG_CONNECT from {@code sourceIp} with {@code token} (0: none): decision 3, with the source
     * checked by {@link #notHolder}. Changes nothing.
     */
    ConnectDecision checkConnect(String srcId, String dstId, int sourceIp, long token) {
        ClientRecord src = clients.get(srcId);
        if (src == null) {
            return ConnectDecision.noMatch("source " + srcId + " is not registered");
        }
        if (src.publicIp() != sourceIp) {
            return ConnectDecision.noMatch("source " + srcId + " is registered from " + Ipv4.toString(src.publicIp())
                    + ", not " + Ipv4.toString(sourceIp));
        }
        String notHolder = notHolder(src, sourceIp, token);
        if (notHolder != null) {
            return ConnectDecision.refused(Rejection.NOT_HOLDER, "source: " + notHolder);
        }
        if (!src.stateReported()) {
            return ConnectDecision.refused(Rejection.REGISTRATION_PENDING, "source " + srcId
                    + " has not sent its registration state yet");
        }
        if (src.state() != Protocol.CSTATE_IDLE) {
            return ConnectDecision.noMatch("source " + srcId + " is not IDLE (state " + src.state() + ")");
        }
        if (srcId.equals(dstId)) {
            return ConnectDecision.noMatch("destination is the source itself");
        }
        ClientRecord dst = clients.get(dstId);
        if (dst == null) {
            return ConnectDecision.noMatch("destination " + dstId + " is not registered");
        }
        if (!dst.stateReported()) {
            return ConnectDecision.refused(Rejection.REGISTRATION_PENDING, "destination " + dstId
                    + " has not sent its registration state yet");
        }
        if (dst.state() != Protocol.CSTATE_IDLE) {
            return ConnectDecision.noMatch("destination " + dstId + " is not IDLE (state " + dst.state() + ")");
        }
        for (ClientRecord r : new ClientRecord[] {src, dst}) {
            if (!r.log().canAnnounce()) {
                return ConnectDecision.refused(Rejection.ANNOUNCEMENT_BACKLOG, r.id()
                        + " has too many announcements it has not read");
            }
        }
        if (dst.publicIp() == src.publicIp()) {
            // 0 would read as "accepted" and -1 as "no match": such a local IP cannot be told apart.
            if (dst.localIp() == Protocol.COMM_ACCEPTED || dst.localIp() == Protocol.COMM_NO_MATCH) {
                return ConnectDecision.noMatch("same public IP, but destination's local IP "
                        + Ipv4.toString(dst.localIp()) + " cannot be sent");
            }
            return new ConnectDecision(dst.localIp(), null, null, "same public IP " + Ipv4.toString(src.publicIp()),
                    null);
        }
        return new ConnectDecision(Protocol.COMM_ACCEPTED, src, dst, null, null);
    }

    /** Marks both clients of an accepted MSG_CONNECT BUSY in {@code session}. */
    void beginSession(ClientRecord a, ClientRecord b, RendezvousHandle session) {
        for (ClientRecord r : new ClientRecord[] {a, b}) {
            r.state(Protocol.CSTATE_BUSY);
            r.session(session);
        }
    }

    /** {@code session} ended: its clients that are still registered in it are IDLE again. */
    void endSession(RendezvousHandle session, String idA, String idB) {
        for (String id : new String[] {idA, idB}) {
            ClientRecord r = clients.get(id);
            if (r != null && r.session() == session) {
                r.session(null);
                r.state(Protocol.CSTATE_IDLE);
            }
        }
    }

    /** @return the number of IDs held */
    int size() {
        return clients.size();
    }

    /** @return the ID's state, if registered */
    OptionalInt stateOf(String id) {
        ClientRecord r = clients.get(id);
        return r == null ? OptionalInt.empty() : OptionalInt.of(r.state());
    }

    /** @return the number of clients in a session */
    int busyCount() {
        int n = 0;
        for (ClientRecord r : clients.values()) {
            if (r.session() != null) {
                n++;
            }
        }
        return n;
    }

    /** Disconnects every client (server shutdown). */
    void disconnectAll() {
        for (ClientRecord r : clients.values().toArray(new ClientRecord[0])) {
            forget(r, "server closing");
            r.log().disconnect();
        }
    }
}
