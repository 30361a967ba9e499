package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.RelayNotice;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The registered clients and the rules that decide registration, MSG_CONNECT, MSG_QUERY and
 * MSG_DEREGISTER (the protocol's decisions 3 to 6, docs/PROTOCOL.md), as a component that a server
 * reaches through commands and that answers through callbacks and {@link Effects}.
 *
 * <p>{@link InMemoryRegistry} is the embedded default: one server's clients in its own memory. A
 * shared implementation (several servers, one store) plugs in here without any change to the
 * server's procedures, because every command is asynchronous in form:
 * <ul>
 * <li>commands are called on the server's loop thread and return at once;</li>
 * <li>each answer comes through the command's callback, on the loop thread: at once from an
 *     in-memory registry, later from a remote store;</li>
 * <li>what the registry needs done to connections it does not own (close a replaced
 *     registration, end a session whose client left, deliver an announcement) comes as
 *     {@link Effects}, on the loop thread, after the command that caused it has changed the
 *     records: never from inside a command's own change, so no command re-enters another.</li>
 * </ul>
 * A record holds the ID, its holder (the log connection), public and local IPs, {@code CSTATE_*}
 * state, whether the state was reported, the holder token, and its session if any.
 */
public interface Registry {
    /** What a registry asks of the server whose connections it names. Runs on the server's loop thread. */
    interface Effects {
        /** Close the log connection of {@code holder} (its ID is gone: deregistered or replaced). */
        void disconnect(Holder holder, String reason);

        /** End {@code session} at once (one of its clients left). */
        void abortSession(SessionRef session, String reason);

        /**
         * Write {@code announcement} (an Echo with role and session) on the log connection of
         * {@code holder}.
         *
         * @param relayFlags the relay extension's announcement flags for an extension client (0: none)
         */
        void announce(Holder holder, Echo announcement, int relayFlags);

        /**
         * Like {@link #announce(Holder, Echo, int)}, preceded on an extension client's connection by
         * the IPv6 peer record of {@code peerIpv6} (docs/PROTOCOL.md "IPv6") when the client
         * registered an endpoint too.
         *
         * @param peerIpv6 the announced peer's registered IPv6 endpoint, or null (none known)
         */
        default void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6) {
            announce(holder, announcement, relayFlags);
        }

        /** Write a relay's end notice on the log connection of {@code holder}. */
        void relayEnded(Holder holder, RelayNotice notice);

        /**
         * An announcement of a session that another server runs is about to be written to
         * {@code holder}, a registration of this server: the limits the session's server could not
         * check (the announcement backlog and budget) are checked and the budget taken here.
         *
         * @return false if it must not be written (the registry then ends the session)
         */
        boolean admitAnnouncement(Holder holder);
    }

    /**
     * Connects the registry to the server it answers: where its effects go. Called once, on the
     * loop thread, before any command.
     *
     * @param server the server's name, as in the {@link Holder}s and {@link SessionRef}s it makes
     */
    void attach(String server, Effects effects);

    /**
     * A registration's ID field arrived from {@code publicIp}. A PROBE registration of the same ID
     * from the same public IP is replaced (its holder is disconnected: the original client closes its
     * PROBE connection and registers IDLE at once, and the close may arrive after the new
     * registration).
     *
     * @param token the holder token issued to this registration, 0 if none
     */
    void claim(String id, int publicIp, long token, Holder holder, Consumer<ClaimOutcome> answer);

    /** What {@link #claim} would answer now (a registration that must prove a secret first); changes nothing. */
    void checkClaim(String id, int publicIp, Consumer<ClaimOutcome> answer);

    /** The holder of {@code id} reported its {@code CSTATE_*} state and its local IP (LogState). */
    void reportState(String id, Holder holder, int state, int localIp);

    /**
     * Like {@link #reportState(String, Holder, int, int)}; {@code stored} runs (on the loop thread)
     * once every server sharing the registry reads the new state: at once in memory, after the
     * store's answer in a shared registry (or at once while the store is unreachable). The
     * registration acknowledgement waits for it, so that a client's XInit returns only when a
     * MSG_CONNECT to it, on any server, finds it IDLE.
     */
    default void reportState(String id, Holder holder, int state, int localIp, Runnable stored) {
        reportState(id, holder, state, localIp);
        stored.run();
    }

    /**
     * The holder of {@code id} said it speaks FAST: {@code capability} is its line's body,
     * {@code "<punch port> <fp>"} (docs/PROTOCOL.md "FAST"), kept in the record
     * ({@link RegisteredClient#fast()}) for every server that shares the registry. A registry that
     * keeps no such field ignores it (FAST is decided on the holding server's own facts).
     */
    default void reportFast(String id, Holder holder, String capability) {
    }

    /**
     * The holder of {@code id} registered its global IPv6 endpoint (the A6 extension line,
     * docs/PROTOCOL.md "IPv6"), kept in the record ({@link RegisteredClient#ipv6()}) so that
     * {@link #checkConnect} names it in the {@link Peer}, on whichever server the session runs. A
     * registry that keeps no such field ignores it (the pair then punches over IPv4).
     */
    default void reportIpv6(String id, Holder holder, InetSocketAddress endpoint) {
    }

    /**
     * The log connection {@code holder} is gone: if it still holds {@code id}, the ID is freed and
     * its session, if any, aborted.
     */
    void release(String id, Holder holder);

    /**
     * MSG_DEREGISTER from {@code sourceIp} with {@code token} (0: none), honoured only from the
     * holder (docs/PROTOCOL.md, "Authentication and ownership"): the ID is freed, its session
     * aborted and its log connection disconnected.
     *
     * @param denial gets null if honoured, else why not
     */
    void deregister(String id, int sourceIp, long token, Consumer<String> denial);

    /** MSG_QUERY: the ID's {@code CSTATE_*} value, or -1 if it is not registered. */
    void query(String id, IntConsumer answer);

    /**
     * MSG_CONNECT from {@code sourceIp} with {@code token} (0: none): decides, changes nothing. On
     * {@link ConnectDecision.Verdict#ACCEPTED} the caller starts the session with {@link #beginSession}.
     */
    void checkConnect(String srcId, String dstId, int sourceIp, long token, Consumer<ConnectDecision> answer);

    /** Both clients of an accepted MSG_CONNECT are BUSY in {@code session}. */
    void beginSession(Peer initiator, Peer listener, SessionRef session);

    /** {@code session} ended: its clients still registered in it are IDLE again. */
    void endSession(SessionRef session, String initiatorId, String listenerId);

    /**
     * Delivers {@code announcement} to {@code holder}'s log connection (through
     * {@link Effects#announce}), on whichever server holds it.
     *
     * @param relayFlags the session's relay flags for an extension client (0: none)
     */
    default void announce(Holder holder, Echo announcement, int relayFlags) {
        announce(holder, announcement, relayFlags, null);
    }

    /**
     * Like {@link #announce(Holder, Echo, int)}, with the announced peer's registered IPv6 endpoint,
     * which goes along to the holder's server (through {@link Effects#announce(Holder, Echo, int,
     * InetSocketAddress)}) for the IPv6 peer record.
     *
     * @param peerIpv6 the peer's IPv6 endpoint ({@link Peer#ipv6()}), or null
     */
    void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6);

    /** Like {@link #announce(Holder, Echo, int)} without relay flags. */
    default void announce(Holder holder, Echo announcement) {
        announce(holder, announcement, 0);
    }

    /** Delivers a relay's end notice to {@code holder}'s log connection, on whichever server holds it. */
    void relayEnded(Holder holder, RelayNotice notice);

    /** Counts the IDs registered (any state). */
    void count(IntConsumer answer);

    /**
     * The server closes: every ID it holds is freed, their sessions aborted and their
     * connections disconnected.
     */
    void close();

    /** @return what the registry says of its store now (any thread) */
    default RegistryHealth health() {
        return RegistryHealth.EMBEDDED;
    }

    /**
     * Tells {@code listener} what the store does from now on (a shared registry; the in-memory one
     * has nothing to tell).
     *
     * @param listener the listener, or null for none
     */
    default void listen(RegistryListener listener) {
    }
}
