package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outputs;
import io.xstunt.engine.registry.ClaimOutcome;
import io.xstunt.engine.registry.DeferredRegistry;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.RecordingEffects;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.ServerInfo;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * {@link Registrar}s driven by hand, the sans-IO way, as {@link LogService} drives them on a
 * network: each is started, fed bytes, timeouts and its close on a fake clock ({@link #now}); the
 * test polls its bytes and closing; its actions are carried out at once against a real registry
 * ({@code Claim} becomes {@code registry.claim(..., outcome -> registrar.handleClaim(outcome, now))},
 * likewise {@code CheckClaim}, {@code ReportState}, {@code Release}; a {@link Refused} is recorded);
 * and the registry's effects reach the registrars ({@code announce} as
 * {@link Registrar#handleAnnouncement}, {@code disconnect} as {@link Registrar#handleDisconnect}),
 * recorded in {@link #effects}.
 *
 * <p>With {@link Answers#LATER} the registry is a {@link DeferredRegistry}: its answers come after
 * the input that asked for them, as an event of their own, or only at {@link #answer()} once
 * {@link #holdAnswers()} was called.
 */
final class Registrations extends HandDriven<Registrar, Registrar.Action> {
    /** When the registry answers. */
    enum Answers {
        /** Within the command's call (the embedded {@link InMemoryRegistry}). */
        AT_ONCE,
        /** After the input that asked (a remote store). */
        LATER
    }

    /** One registrar's connection, as the log service numbers it. */
    private record Entry(Holder holder, int clientIp) {
    }

    final ServerConfig config;
    final InMemoryRegistry store;
    final RecordingEffects effects = new RecordingEffects();
    private final Registry registry;
    private final DeferredRegistry deferred;
    private final DirectClients clients;
    private final Map<Registrar, Entry> entries = new IdentityHashMap<>();
    private final Map<Holder, Registrar> byHolder = new HashMap<>();
    private ServerInfo template;
    private ClientLogSink sink = ClientLogSink.discard();
    private LongSupplier tokens = () -> 42L;
    private boolean holding;

    Registrations(ServerConfig config, Answers answers, long startNs) {
        super(startNs);
        this.config = Objects.requireNonNull(config, "config");
        this.store = new InMemoryRegistry(config.maxClients(), config.requireTokens());
        this.deferred = answers == Answers.LATER ? new DeferredRegistry(store) : null;
        this.registry = deferred != null ? deferred : store;
        this.clients = new DirectClients(store);
        this.template = new ServerInfo("", Ipv4.toInt(config.ip1()),
                Ipv4.toInt(config.ip2()), 5001, 5002);
        registry.attach(DirectClients.SERVER, effects.passingTo(new ToRegistrars()));
    }

    /** Answers every registration with {@code info} (its ID replaced). */
    Registrations template(ServerInfo info) {
        this.template = info;
        return this;
    }

    /** Records the clients' log lines in {@code s}. */
    Registrations sink(ClientLogSink s) {
        this.sink = s;
        return this;
    }

    /** Takes holder tokens from {@code t}. */
    Registrations tokens(LongSupplier t) {
        this.tokens = t;
        return this;
    }

    /** A log connection from {@code clientIp} was accepted: its registrar, started (greeting sent). */
    Registrar open(int clientIp) {
        Registrar r = drive(new Registrar(config, template, clientIp, sink, tokens));
        Holder h = new Holder(DirectClients.SERVER, entries.size() + 1L);
        entries.put(r, new Entry(h, clientIp));
        byHolder.put(h, r);
        r.start(now);
        settle(r);
        return r;
    }

    /** Like {@link #open}, with the greeting polled (read by the client). */
    Registrar greeted(int clientIp) {
        Registrar r = open(clientIp);
        sent(r);
        return r;
    }

    /** The registry is asked to deliver {@code announcement} to the registrar (the comm service does that). */
    void announce(Registrar r, Echo announcement) {
        registry.announce(holder(r), announcement);
        settle(r);
    }

    /** @return the bytes the registrar queued since the last poll */
    byte[] sent(Registrar r) {
        return Outputs.sent(r, 0);
    }

    /** @return the holder the registrar registers as */
    Holder holder(Registrar r) {
        return entries.get(r).holder();
    }

    /** @return the registry's answer to MSG_QUERY of {@code id}, as it stands now */
    int query(String id) {
        return clients.query(id);
    }

    /** @return the number of IDs the registry holds now */
    int registered() {
        return clients.count();
    }

    /** With {@link Answers#LATER}: from now on the registry answers only at {@link #answer()}. */
    void holdAnswers() {
        if (deferred == null) {
            throw new IllegalStateException("an AT_ONCE registry cannot hold its answers");
        }
        holding = true;
    }

    /** Delivers what the registry holds back; with {@link Answers#AT_ONCE} there is never any. */
    void answer() {
        if (deferred != null) {
            deferred.deliver();
        }
    }

    /** The FAST lines the registrars read, in order. */
    final java.util.List<Registrar.Action.Fast> fastLines = new java.util.ArrayList<>();

    /** @return the commands the registry has not answered yet */
    int unanswered() {
        return deferred == null ? 0 : deferred.queued();
    }

    /** With later answers not held, delivers them after each input. */
    @Override
    protected void settled(Registrar r) {
        if (deferred != null && !holding) {
            deferred.deliver();
        }
    }

    @Override
    protected void carryOut(Registrar r, Registrar.Action a) {
        Entry e = entries.get(r);
        switch (a) {
            case Registrar.Action.Claim c ->
                    registry.claim(c.id(), e.clientIp(), c.token(), e.holder(), o -> answered(r, o));
            case Registrar.Action.CheckClaim c -> registry.checkClaim(c.id(), e.clientIp(), o -> answered(r, o));
            case Registrar.Action.ReportState s -> registry.reportState(s.id(), e.holder(), s.state(), s.localIp(),
                    () -> r.handleStateStored(now));
            case Registrar.Action.Release rel -> registry.release(rel.id(), e.holder());
            case Registrar.Action.ReportIpv6 v -> ipv6.put(v.id(), v.endpoint());
            case Registrar.Action.Fast f -> fastLines.add(f);
            case Refused f -> throw new AssertionError("recorded by HandDriven");
        }
    }

    /** The IPv6 endpoints registered (A6 lines), by ID, as the log service keeps them. */
    final java.util.Map<String, java.net.InetSocketAddress> ipv6 = new java.util.HashMap<>();

    private void answered(Registrar r, ClaimOutcome outcome) {
        r.handleClaim(outcome, now);
        carryOutActions(r);
    }

    /** The registry's effects, routed to the registrars as the log service routes them. */
    private final class ToRegistrars implements Registry.Effects {
        @Override
        public void disconnect(Holder holder, String reason) {
            Registrar r = byHolder.get(holder);
            if (r != null) {
                r.handleDisconnect(now);
                carryOutActions(r);
            }
        }

        @Override
        public void abortSession(SessionRef session, String reason) {
            // no sessions here
        }

        @Override
        public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
        }

        @Override
        public boolean admitAnnouncement(Holder holder) {
            return true;
        }

        @Override
        public void announce(Holder holder, Echo announcement, int relayFlags) {
            Registrar r = byHolder.get(holder);
            if (r != null) {
                r.handleAnnouncement(announcement, now);
                carryOutActions(r);
            }
        }
    }
}
