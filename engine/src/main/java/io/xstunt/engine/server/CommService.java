package io.xstunt.engine.server;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * The communication service's decisions for one {@link Msg} (the brief's decisions 2 to 5):
 * MSG_CONNECT opens a rendezvous session and announces it, MSG_QUERY answers a state, and
 * MSG_DEREGISTER forgets an ID when its holder asks. No sockets: sessions come from a
 * {@link SessionOpener}. Loop thread only.
 */
final class CommService {
    /** Opens the control listener and state of one rendezvous session. */
    interface SessionOpener {
        /**
         * @param sessionId the id announced to both sides
         * @throws IOException if no control listener can be bound
         */
        RendezvousHandle open(int sessionId, ClientRecord initiator, ClientRecord listener) throws IOException;
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
    }

    private final Registry registry;
    private final SessionOpener opener;
    private final int controlIp;
    private final IntSupplier sessionsInFlight;
    private final int maxSessions;
    private final int announcementsPerSecond;
    private int nextSessionId = 1;

    /** @param controlIp the IP the control listeners are bound on (IP1), announced in Echo nIP */
    CommService(Registry registry, SessionOpener opener, int controlIp) {
        this(registry, opener, controlIp, () -> 0, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * @param sessionsInFlight how many sessions are open now
     * @param maxSessions a MSG_CONNECT while this many are open is answered -1
     * @param announcementsPerSecond the most sessions announced to one destination a second
     */
    CommService(Registry registry, SessionOpener opener, int controlIp, IntSupplier sessionsInFlight,
                int maxSessions, int announcementsPerSecond) {
        this.announcementsPerSecond = announcementsPerSecond;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.opener = Objects.requireNonNull(opener, "opener");
        this.controlIp = controlIp;
        this.sessionsInFlight = Objects.requireNonNull(sessionsInFlight, "sessionsInFlight");
        this.maxSessions = maxSessions;
    }

    /** Handles one request that arrived from {@code sourceIp} at {@code nowNs} (loop clock). */
    Answer handle(Msg msg, int sourceIp, long nowNs) {
        return switch (msg.type()) {
            case Protocol.MSG_CONNECT -> connect(msg.srcId(), msg.dstId(), sourceIp, msg.token(), nowNs);
            case Protocol.MSG_QUERY -> Answer.reply(registry.query(msg.srcId()));
            case Protocol.MSG_DEREGISTER -> deregister(msg.srcId(), sourceIp, msg.token());
            default -> throw new IllegalArgumentException("unknown message type " + msg.type());
        };
    }

    private Answer deregister(String id, int sourceIp, long token) {
        String denied = registry.deregisterDenial(id, sourceIp, token);
        return denied == null
                ? new Answer(false, 0, null, null)
                : new Answer(false, 0, Rejection.DEREGISTER_DENIED, "MSG_DEREGISTER of " + id + " from "
                        + Ipv4.toString(sourceIp) + " ignored: " + denied);
    }

    private Answer connect(String srcId, String dstId, int sourceIp, long token, long nowNs) {
        Registry.ConnectDecision d = registry.checkConnect(srcId, dstId, sourceIp, token);
        if (!d.accepted()) {
            return d.reply() == Protocol.COMM_NO_MATCH
                    ? new Answer(true, d.reply(), d.rejection(), "MSG_CONNECT " + srcId + " -> " + dstId
                            + ": " + d.reason())
                    : Answer.reply(d.reply());
        }
        if (sessionsInFlight.getAsInt() >= maxSessions) {
            return new Answer(true, Protocol.COMM_NO_MATCH, Rejection.SESSION_LIMIT, "MSG_CONNECT " + srcId + " -> "
                    + dstId + ": " + maxSessions + " sessions in flight already");
        }
        if (!d.destination().takeAnnouncement(nowNs, announcementsPerSecond)) {
            return new Answer(true, Protocol.COMM_NO_MATCH, Rejection.ANNOUNCEMENT_RATE, "MSG_CONNECT " + srcId
                    + " -> " + dstId + ": " + dstId + " was announced " + announcementsPerSecond
                    + " sessions in the last second");
        }
        int sessionId = nextSessionId;
        nextSessionId = nextSessionId == Integer.MAX_VALUE ? 1 : nextSessionId + 1;
        RendezvousHandle session;
        try {
            session = opener.open(sessionId, d.source(), d.destination());
        } catch (IOException e) {
            return new Answer(true, Protocol.COMM_NO_MATCH, Rejection.NO_MATCH, "MSG_CONNECT " + srcId + " -> "
                    + dstId + ": cannot open a control listener: " + e);
        }
        registry.beginSession(d.source(), d.destination(), session);
        int port = session.controlPort();
        d.source().log().announce(new Echo(controlIp, port, sessionId, dstId, d.destination().publicIp(),
                Protocol.ROLE_INITIATOR));
        d.destination().log().announce(new Echo(controlIp, port, sessionId, srcId, d.source().publicIp(),
                Protocol.ROLE_LISTENER));
        return Answer.reply(Protocol.COMM_ACCEPTED);
    }
}
