package io.xstunt.engine.server;

import io.xstunt.engine.registry.ConnectDecision;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The communication service's decisions for one {@link Msg} (the protocol's decisions 2 to 5):
 * MSG_CONNECT opens a rendezvous session and announces it, MSG_QUERY answers a state, and
 * MSG_DEREGISTER forgets an ID when its holder asks. It asks the {@link Registry} and says what
 * must happen through {@link Effects} ("open a session", and through the registry "announce to
 * both"); it has no sockets. Loop thread only.
 */
final class CommService {
    /** What a MSG_CONNECT needs of the server beyond the registry. */
    interface Effects {
        /** @return the number of rendezvous sessions open now */
        int sessionsInFlight();

        /**
         * @return false if the log connection of {@code holder} has too many announcements it has
         *     not read, or cannot be announced to at all; then no session may start
         */
        boolean canAnnounce(Holder holder);

        /**
         * Takes one announcement from {@code holder}'s budget of
         * {@link ServerConfig#maxAnnouncementsPerSecond()}.
         *
         * @return false if the budget is spent (the session must not start)
         */
        boolean takeAnnouncement(Holder holder);

        /**
         * Opens a rendezvous session: binds its control listener.
         *
         * @return the control listener's port on IP1
         * @throws IOException if no control listener can be bound
         */
        int openSession(SessionRef session, Peer initiator, Peer listener) throws IOException;

        /** @return the relay extension's announcement flags of an open {@code session} (0: none) */
        int announceFlags(SessionRef session);
    }

    /**
     * The comm service's answer.
     *
     * @param hasReply whether an INT32 is written back (not for MSG_DEREGISTER)
     * @param reply the INT32
     * @param rejection what was refused, or null
     * @param detail the refusal's reason, or null
     */
    record Answer(boolean hasReply, int reply, Rejection rejection, String detail) {
        static Answer reply(int value) {
            return new Answer(true, value, null, null);
        }

        static Answer noMatch(Rejection why, String detail) {
            return new Answer(true, Protocol.COMM_NO_MATCH, why, detail);
        }
    }

    private final String server;
    private final Registry registry;
    private final Effects effects;
    private final int controlIp;
    private final int maxSessions;
    private final int announcementsPerSecond;
    private int nextSessionId = 1;

    /**
     * @param server the server's name in the registry
     * @param controlIp the IP the control listeners are bound on (IP1), announced in Echo nIP
     * @param maxSessions a MSG_CONNECT while this many sessions are open is answered -1
     * @param announcementsPerSecond the budget {@link Effects#takeAnnouncement} keeps (for messages)
     */
    CommService(String server, Registry registry, Effects effects, int controlIp, int maxSessions,
                int announcementsPerSecond) {
        this.server = Objects.requireNonNull(server, "server");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.effects = Objects.requireNonNull(effects, "effects");
        this.controlIp = controlIp;
        this.maxSessions = maxSessions;
        this.announcementsPerSecond = announcementsPerSecond;
    }

    /** Decides one request that arrived from {@code sourceIp}; {@code answer} hears the outcome (maybe later). */
    void handle(Msg msg, int sourceIp, Consumer<Answer> answer) {
        switch (msg.type()) {
            case Protocol.MSG_CONNECT -> registry.checkConnect(msg.srcId(), msg.dstId(), sourceIp, msg.token(),
                    d -> answer.accept(connect(msg, d)));
            case Protocol.MSG_QUERY -> registry.query(msg.srcId(), state -> answer.accept(Answer.reply(state)));
            case Protocol.MSG_DEREGISTER -> registry.deregister(msg.srcId(), sourceIp, msg.token(),
                    denied -> answer.accept(denied == null ? new Answer(false, 0, null, null)
                            : new Answer(false, 0, Rejection.DEREGISTER_DENIED, "MSG_DEREGISTER of " + msg.srcId()
                                    + " from " + Ipv4.toString(sourceIp) + " ignored: " + denied)));
            default -> throw new IllegalArgumentException("unknown message type " + msg.type());
        }
    }

    private Answer connect(Msg msg, ConnectDecision d) {
        String request = "MSG_CONNECT " + msg.srcId() + " -> " + msg.dstId() + ": ";
        switch (d.verdict()) {
            case ACCEPTED -> {
                return open(request, d.source(), d.destination());
            }
            case SAME_NAT -> {
                return Answer.reply(d.reply());
            }
            case NOT_HOLDER -> {
                return Answer.noMatch(Rejection.NOT_HOLDER, request + d.reason());
            }
            case REGISTRATION_PENDING -> {
                return Answer.noMatch(Rejection.REGISTRATION_PENDING, request + d.reason());
            }
            default -> {
                return Answer.noMatch(Rejection.NO_MATCH, request + d.reason());
            }
        }
    }

    /** An accepted MSG_CONNECT: the limits, then the session, then both announcements. */
    private Answer open(String request, Peer source, Peer destination) {
        for (Peer p : new Peer[] {source, destination}) {
            if (!effects.canAnnounce(p.holder())) {
                return Answer.noMatch(Rejection.ANNOUNCEMENT_BACKLOG, request + p.id()
                        + " has too many announcements it has not read");
            }
        }
        if (effects.sessionsInFlight() >= maxSessions) {
            return Answer.noMatch(Rejection.SESSION_LIMIT, request + maxSessions + " sessions in flight already");
        }
        if (!effects.takeAnnouncement(destination.holder())) {
            return Answer.noMatch(Rejection.ANNOUNCEMENT_RATE, request + destination.id() + " was announced "
                    + announcementsPerSecond + " sessions in the last second");
        }
        SessionRef session = new SessionRef(server, nextSessionId);
        nextSessionId = nextSessionId == Integer.MAX_VALUE ? 1 : nextSessionId + 1;
        int port;
        try {
            port = effects.openSession(session, source, destination);
        } catch (IOException e) {
            return Answer.noMatch(Rejection.NO_MATCH, request + "cannot open a control listener: " + e);
        }
        registry.beginSession(source, destination, session);
        // the flags go with the announcement: a peer registered on another server is announced there,
        // where this session is unknown
        int flags = effects.announceFlags(session);
        registry.announce(source.holder(), new Echo(controlIp, port, session.id(), destination.id(),
                destination.publicIp(), Protocol.ROLE_INITIATOR), flags);
        registry.announce(destination.holder(), new Echo(controlIp, port, session.id(), source.id(),
                source.publicIp(), Protocol.ROLE_LISTENER), flags);
        return Answer.reply(Protocol.COMM_ACCEPTED);
    }
}
