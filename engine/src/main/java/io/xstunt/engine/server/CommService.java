package io.xstunt.engine.server;

import io.xstunt.engine.registry.ConnectDecision;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.FastGo;
import io.xstunt.engine.wire.FastLine;
import io.xstunt.engine.wire.FastRefusal;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
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

        /**
         * @return what FAST's plan needs of {@code peer}, punching from {@code punchPort} (0: its
         *     capability's port); null if this server does not hold its registration
         */
        FastPlan.Client fastFacts(Peer peer, int punchPort);

        /** @return true if {@code peer} registered an IPv6 endpoint here (the A6 extension line) */
        default boolean hasIpv6(Peer peer) {
            return false;
        }

        /** Writes FAST's go on {@code holder}'s log connection. */
        void fastGo(Holder holder, FastGo go);

        /** Writes the refusal of a FAST request on {@code holder}'s log connection. */
        void fastRefusal(Holder holder, FastRefusal refusal);

        /** Counts and logs a declined or refused FAST request ({@code why} null: declined to a normal session). */
        void fastDeclined(Rejection why, String detail);

        /**
         * A FAST request was answered {@code reply}, as its MSG_CONNECT would have been: 0 for a go
         * or a normal session, else its refusal's value; counted with MSG_CONNECT's answers.
         */
        void fastAnswered(int reply);

        /** @return the time now, on the loop's clock */
        long nowNs();

        /** Calls {@link #expireFast} at {@code deadlineNs} (or later), on the loop thread. */
        void expireFastAt(long deadlineNs);

        /**
         * A FAST session ended (a side reported its punch won, or nobody reported within the
         * session timeout): report it and count it as a normal session's end is.
         */
        void fastEnded(SessionSummary summary, ServerCounters.Outcome outcome);
    }

    /** A FAST session whose go went out at {@code goNs}. */
    private record FastSession(Peer initiator, Peer listener, long goNs) {
    }

    /** A FAST session that ended by {@code reporter}'s report that its punch won. */
    private record Won(FastSession session, Holder reporter) {
    }

    /**
     * The FAST sessions that ended by one side's report that its punch won, oldest first, kept
     * until the session timeout after their go (at most {@code maxSessions}): a fail-over of the
     * other side then still starts the normal session. The two sides disagree when one side's
     * window ends while the peer's handshake with it completes (docs/PROTOCOL.md "FAST", known
     * limits); the side that failed over has no connection, and without this its call would wait
     * for an announcement until its deadline.
     */
    private final Map<Integer, Won> won = new LinkedHashMap<>();

    /**
     * The FAST sessions in flight, oldest first: from the go to the first side's report (its
     * punch won: {@link FastLine.Done}; it found nothing: {@link FastLine.FailOver}, then the
     * normal session takes over), or {@link #fastTimeoutNs} without one. Counted with the
     * rendezvous sessions against {@code maxSessions}, so bounded by it.
     */
    private final Map<Integer, FastSession> fastSessions = new LinkedHashMap<>();

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
    private final long fastTimeoutNs;
    private int nextSessionId = 1;

    /**
     * @param server the server's name in the registry
     * @param controlIp the IP the control listeners are bound on (IP1), announced in Echo nIP
     * @param maxSessions a MSG_CONNECT while this many sessions are open is answered -1
     * @param announcementsPerSecond the budget {@link Effects#takeAnnouncement} keeps (for messages)
     * @param fastTimeout how long a FAST session waits for its first report (the session timeout)
     */
    CommService(String server, Registry registry, Effects effects, int controlIp, int maxSessions,
                int announcementsPerSecond, Duration fastTimeout) {
        this.server = Objects.requireNonNull(server, "server");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.effects = Objects.requireNonNull(effects, "effects");
        this.controlIp = controlIp;
        this.maxSessions = maxSessions;
        this.announcementsPerSecond = announcementsPerSecond;
        this.fastTimeoutNs = fastTimeout.toNanos();
    }

    /** @return the FAST sessions in flight (go out, no report yet) */
    int fastInFlight() {
        return fastSessions.size();
    }

    /** @return the sessions in flight: the rendezvous sessions and the FAST ones */
    private int inFlight() {
        return effects.sessionsInFlight() + fastSessions.size();
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

    /**
     * A FAST line of the IDLE registration {@code holder} of {@code srcId} (docs/PROTOCOL.md "FAST"):
     * a connect request is decided as MSG_CONNECT is, then gets a go (both FAST-capable, both
     * port-preserving, a round trip of each, both held here) or a normal session at once; a refusal
     * goes back as {@link FastRefusal}. A fail-over starts the normal session of its FAST session.
     */
    void fast(Holder holder, int sourceIp, long token, String srcId, FastLine line) {
        switch (line) {
            case FastLine.Connect c -> registry.checkConnect(srcId, c.listenerId(), sourceIp, token,
                    d -> fastConnect(holder, srcId, c, d));
            case FastLine.FailOver x -> failOver(holder, srcId, x);
            case FastLine.Done d -> done(holder, d);
            case FastLine.Capability c -> { } // kept by the registration (Registrar.fast())
        }
    }

    private void fastConnect(Holder holder, String srcId, FastLine.Connect c, ConnectDecision d) {
        String request = "FAST " + srcId + " -> " + c.listenerId() + ": ";
        if (d.verdict() != ConnectDecision.Verdict.ACCEPTED) {
            Answer a = connect(Msg.connect(srcId, c.listenerId()), d);
            effects.fastAnswered(a.reply());
            effects.fastRefusal(holder, new FastRefusal(a.reply(), c.listenerId()));
            if (a.rejection() != null) {
                effects.fastDeclined(a.rejection(), a.detail());
            }
            return;
        }
        Peer source = d.source();
        Peer destination = d.destination();
        FastPlan.Client i = effects.fastFacts(source, c.punchPort());
        FastPlan.Client l = effects.fastFacts(destination, 0);
        FastPlan.Decision plan = i == null || l == null ? new FastPlan.Normal(FastPlan.Reason.NOT_FAST)
                : effects.hasIpv6(source) && effects.hasIpv6(destination) ? new FastPlan.Normal(FastPlan.Reason.BOTH_IPV6)
                : FastPlan.decide(i, l);
        if (plan instanceof FastPlan.Go go && inFlight() < maxSessions && effects.canAnnounce(source.holder())
                && effects.canAnnounce(destination.holder()) && effects.takeAnnouncement(destination.holder())) {
            int session = nextSession();
            long now = effects.nowNs();
            fastSessions.put(session, new FastSession(source, destination, now));
            effects.expireFastAt(now + fastTimeoutNs);
            effects.fastAnswered(Protocol.COMM_ACCEPTED);
            effects.fastGo(source.holder(), goFor(go.toInitiator(), session, true, destination.id()));
            effects.fastGo(destination.holder(), goFor(go.toListener(), session, false, source.id()));
            return;
        }
        effects.fastDeclined(null, request + "normal session ("
                + (plan instanceof FastPlan.Normal n ? n.reason() : "session or announcement limits") + ")");
        effects.fastAnswered(normal(holder, request, source, destination));
    }

    private static FastGo goFor(FastPlan.Target t, int session, boolean initiator, String peerId) {
        return new FastGo(Ipv4.toInt((java.net.Inet4Address) t.peer().getAddress()), t.peer().getPort(), session,
                t.startOffsetNs(), t.retryPeriodNs(), initiator, peerId);
    }

    private void failOver(Holder holder, String srcId, FastLine.FailOver x) {
        FastSession s = take(holder, x.session());
        String after = "";
        if (s == null) {
            Won w = won.get(x.session());
            if (w == null || holder.equals(w.reporter()) || !holder.equals(w.session().initiator().holder())
                    && !holder.equals(w.session().listener().holder())) {
                return; // the other side failed over first (its normal session runs), or a stranger
            }
            won.remove(x.session());
            s = w.session();
            after = ", after the peer reported its punch won";
        }
        String request = "FAST fail-over of session " + x.session() + " by " + srcId + " (" + x.reason() + after
                + "): ";
        effects.fastDeclined(null, request + "normal session");
        normal(s.initiator().holder(), request, s.initiator(), s.listener());
    }

    /** A side's punch won: the session ends, direct (the other side's report finds it gone). */
    private void done(Holder holder, FastLine.Done d) {
        FastSession s = take(holder, d.session());
        if (s != null) {
            String by = holder.equals(s.initiator().holder()) ? "initiator" : "listener";
            ended(d.session(), s, "FAST: the " + by + "'s punch won", SessionSummary.Path.DIRECT,
                    ServerCounters.Outcome.ENDED, effects.nowNs());
            won.put(d.session(), new Won(s, holder));
            if (won.size() > maxSessions) {
                won.remove(won.keySet().iterator().next());
            }
        }
    }

    /**
     * {@code holder}'s registration ended (it deregistered, or its log connection closed): its FAST
     * sessions end now, unreported, not at the timeout. Its report may be lost with it: a
     * MSG_DEREGISTER on a comm connection can be handled before the last line on the log
     * connection is read (NAT lab scenario 8 on a loaded machine: both sides of one pair of 20 left
     * before the server had read either report, and the session waited for its timeout).
     */
    void left(Holder holder) {
        var it = fastSessions.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            FastSession s = e.getValue();
            boolean initiator = holder.equals(s.initiator().holder());
            if (initiator || holder.equals(s.listener().holder())) {
                it.remove();
                ended(e.getKey(), s, "FAST: the " + (initiator ? "initiator" : "listener") + " left before a report",
                        SessionSummary.Path.UNREPORTED, ServerCounters.Outcome.ABORTED, effects.nowNs());
            }
        }
    }

    /** Ends the FAST sessions that had no report within the session timeout. */
    void expireFast(long nowNs) {
        won.values().removeIf(w -> nowNs - w.session().goNs() >= fastTimeoutNs);
        var it = fastSessions.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (nowNs - e.getValue().goNs() < fastTimeoutNs) {
                return; // oldest first: the rest are younger
            }
            it.remove();
            ended(e.getKey(), e.getValue(), "FAST: no report within " + fastTimeoutNs / 1_000_000 + " ms",
                    SessionSummary.Path.UNREPORTED, ServerCounters.Outcome.TIMED_OUT, nowNs);
        }
    }

    /** @return FAST session {@code id}, taken out, if {@code holder} is one of its two; else null */
    private FastSession take(Holder holder, int id) {
        FastSession s = fastSessions.get(id);
        if (s == null || !holder.equals(s.initiator().holder()) && !holder.equals(s.listener().holder())) {
            return null;
        }
        fastSessions.remove(id);
        return s;
    }

    private void ended(int id, FastSession s, String reason, SessionSummary.Path path, ServerCounters.Outcome outcome,
                       long nowNs) {
        effects.fastEnded(new SessionSummary(id, s.initiator().id(), s.listener().id(), 0, 0, reason, path, null, 0, 0,
                SessionSummary.FAST, Map.of("punch", Duration.ofNanos(nowNs - s.goNs()))), outcome);
    }

    /**
     * A normal session for a FAST request; a refusal goes to the initiator ({@code initiatorHolder}).
     *
     * @return MSG_CONNECT's answer: 0 if the session opened
     */
    private int normal(Holder initiatorHolder, String request, Peer source, Peer destination) {
        Answer a = open(request, source, destination);
        if (a.reply() != Protocol.COMM_ACCEPTED) {
            effects.fastRefusal(initiatorHolder, new FastRefusal(a.reply(), destination.id()));
            effects.fastDeclined(a.rejection(), a.detail());
        }
        return a.reply();
    }

    private int nextSession() {
        int id = nextSessionId;
        nextSessionId = nextSessionId == Integer.MAX_VALUE ? 1 : nextSessionId + 1;
        return id;
    }

    /** An accepted MSG_CONNECT: the limits, then the session, then both announcements. */
    private Answer open(String request, Peer source, Peer destination) {
        for (Peer p : new Peer[] {source, destination}) {
            if (!effects.canAnnounce(p.holder())) {
                return Answer.noMatch(Rejection.ANNOUNCEMENT_BACKLOG, request + p.id()
                        + " has too many announcements it has not read");
            }
        }
        if (inFlight() >= maxSessions) {
            return Answer.noMatch(Rejection.SESSION_LIMIT, request + maxSessions + " sessions in flight already");
        }
        if (!effects.takeAnnouncement(destination.holder())) {
            return Answer.noMatch(Rejection.ANNOUNCEMENT_RATE, request + destination.id() + " was announced "
                    + announcementsPerSecond + " sessions in the last second");
        }
        SessionRef session = new SessionRef(server, nextSession());
        int port;
        try {
            port = effects.openSession(session, source, destination);
        } catch (IOException e) {
            return Answer.noMatch(Rejection.NO_MATCH, request + "cannot open a control listener: " + e);
        }
        registry.beginSession(source, destination, session);
        // the flags and the peer's IPv6 endpoint go with the announcement: a peer registered on
        // another server is announced there, where this session and the other's record are unknown
        int flags = effects.announceFlags(session);
        registry.announce(source.holder(), new Echo(controlIp, port, session.id(), destination.id(),
                destination.publicIp(), Protocol.ROLE_INITIATOR), flags, destination.ipv6());
        registry.announce(destination.holder(), new Echo(controlIp, port, session.id(), source.id(),
                source.publicIp(), Protocol.ROLE_LISTENER), flags, source.ipv6());
        return Answer.reply(Protocol.COMM_ACCEPTED);
    }
}
