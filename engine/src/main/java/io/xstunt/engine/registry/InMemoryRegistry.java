package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.Protocol;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link Registry}: one server's clients in its own memory, ID to record. Every answer
 * comes at once, within the command's call; effects run right after the command's change, in
 * order. Loop thread only.
 */
public final class InMemoryRegistry implements Registry {
    private static final Logger LOG = LoggerFactory.getLogger(InMemoryRegistry.class);

    /** One registered client. */
    private static final class Record {
        final String id;
        final int publicIp;
        final Holder holder;
        final long token;
        int state = Protocol.CSTATE_PROBE;
        int localIp;
        /** Whether the registration's LogState arrived (until then the state reads PROBE). */
        boolean stateReported;
        /** FAST's capability, null without one. */
        String fast;
        /** The IPv6 endpoint of its A6 line, null without one. */
        InetSocketAddress ipv6;
        SessionRef session;

        Record(String id, int publicIp, Holder holder, long token) {
            this.id = id;
            this.publicIp = publicIp;
            this.holder = holder;
            this.token = token;
        }

        RegisteredClient view() {
            return new RegisteredClient(id, publicIp, localIp, token, state, stateReported, holder, fast, ipv6);
        }
    }

    private final Map<String, Record> clients = new HashMap<>();
    private final int maxClients;
    private final boolean requireTokens;
    private final ArrayDeque<Runnable> effectQueue = new ArrayDeque<>();
    private Effects effects;
    private boolean runningEffects;

    /**
     * @param maxClients the most IDs held
     * @param requireTokens strict mode: a request without the holder token is never the holder's
     */
    public InMemoryRegistry(int maxClients, boolean requireTokens) {
        if (maxClients < 1) {
            throw new IllegalArgumentException("maxClients must be at least 1");
        }
        this.maxClients = maxClients;
        this.requireTokens = requireTokens;
    }

    @Override
    public void attach(String server, Effects effects) {
        this.effects = Objects.requireNonNull(effects, "effects");
    }

    @Override
    public void claim(String id, int publicIp, long token, Holder holder, Consumer<ClaimOutcome> answer) {
        Objects.requireNonNull(holder, "holder");
        ClaimOutcome outcome = check(id, publicIp);
        if (outcome.taken()) {
            Record old = clients.remove(id);
            if (old != null) {
                old.state = Protocol.CSTATE_DEAD;
                effect(() -> effects.disconnect(old.holder, "its PROBE registration of " + id + " was replaced"));
            }
            clients.put(id, new Record(id, publicIp, holder, token));
        }
        answer.accept(outcome);
        runEffects();
    }

    @Override
    public void checkClaim(String id, int publicIp, Consumer<ClaimOutcome> answer) {
        answer.accept(check(id, publicIp));
    }

    private ClaimOutcome check(String id, int publicIp) {
        Record old = clients.get(id);
        return OwnershipRules.claim(old == null ? null : old.view(), publicIp, clients.size(), maxClients);
    }

    @Override
    public void reportState(String id, Holder holder, int state, int localIp) {
        Record r = clients.get(id);
        if (r != null && r.holder.equals(holder)) {
            r.state = state;
            r.localIp = localIp;
            r.stateReported = true;
        }
    }

    @Override
    public void reportFast(String id, Holder holder, String capability) {
        Record r = clients.get(id);
        if (r != null && r.holder.equals(holder)) {
            r.fast = capability;
        }
    }

    @Override
    public void reportIpv6(String id, Holder holder, InetSocketAddress endpoint) {
        Record r = clients.get(id);
        if (r != null && r.holder.equals(holder)) {
            r.ipv6 = endpoint;
        }
    }

    @Override
    public void release(String id, Holder holder) {
        Record r = clients.get(id);
        if (r != null && r.holder.equals(holder)) {
            forget(r, "client " + id + " disconnected");
        }
        runEffects();
    }

    /** Frees the ID; its session, if any, is aborted (an effect). */
    private void forget(Record r, String reason) {
        clients.remove(r.id);
        r.state = Protocol.CSTATE_DEAD;
        SessionRef s = r.session;
        r.session = null;
        if (s != null) {
            effect(() -> effects.abortSession(s, reason));
        }
    }

    @Override
    public void deregister(String id, int sourceIp, long token, Consumer<String> denial) {
        Record r = clients.get(id);
        String why = r == null ? id + " is not registered" : notHolder(r, sourceIp, token);
        if (why == null) {
            forget(r, "client " + id + " deregistered");
            effect(() -> effects.disconnect(r.holder, id + " deregistered"));
        }
        denial.accept(why);
        runEffects();
    }

    private String notHolder(Record r, int sourceIp, long token) {
        return OwnershipRules.notHolder(r.view(), sourceIp, token, requireTokens);
    }

    @Override
    public void query(String id, IntConsumer answer) {
        Record r = clients.get(id);
        answer.accept(r == null ? -1 : r.state);
    }

    @Override
    public void checkConnect(String srcId, String dstId, int sourceIp, long token, Consumer<ConnectDecision> answer) {
        answer.accept(decideConnect(srcId, dstId, sourceIp, token));
    }

    private ConnectDecision decideConnect(String srcId, String dstId, int sourceIp, long token) {
        Record src = clients.get(srcId);
        Record dst = clients.get(dstId);
        return OwnershipRules.connect(src == null ? null : src.view(), dst == null ? null : dst.view(), srcId, dstId,
                sourceIp, token, requireTokens);
    }

    @Override
    public void beginSession(Peer initiator, Peer listener, SessionRef session) {
        for (Peer p : new Peer[] {initiator, listener}) {
            Record r = clients.get(p.id());
            if (r != null && r.holder.equals(p.holder())) {
                r.state = Protocol.CSTATE_BUSY;
                r.session = session;
            }
        }
    }

    @Override
    public void endSession(SessionRef session, String initiatorId, String listenerId) {
        for (String id : new String[] {initiatorId, listenerId}) {
            Record r = clients.get(id);
            if (r != null && session.equals(r.session)) {
                r.session = null;
                r.state = Protocol.CSTATE_IDLE;
            }
        }
    }

    @Override
    public void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6) {
        effect(() -> effects.announce(holder, announcement, relayFlags, peerIpv6));
        runEffects();
    }

    @Override
    public void relayEnded(Holder holder, RelayNotice notice) {
        effect(() -> effects.relayEnded(holder, notice));
        runEffects();
    }

    @Override
    public void count(IntConsumer answer) {
        answer.accept(clients.size());
    }

    /** @return the number of clients in a session (tests) */
    int busyCount() {
        int n = 0;
        for (Record r : clients.values()) {
            if (r.session != null) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        List<Record> all = new ArrayList<>(clients.values());
        for (Record r : all) {
            forget(r, "server closing");
            effect(() -> effects.disconnect(r.holder, "server closing"));
        }
        runEffects();
    }

    private void effect(Runnable e) {
        effectQueue.add(e);
    }

    /**
     * Runs the queued effects, after the command that queued them has finished its change. An
     * effect whose work issues another command (ending a session frees its clients) queues that
     * command's effects behind the running ones instead of nesting.
     */
    private void runEffects() {
        if (runningEffects || effects == null) {
            return;
        }
        runningEffects = true;
        try {
            Runnable e;
            while ((e = effectQueue.poll()) != null) {
                try {
                    e.run();
                } catch (RuntimeException ex) {
                    // one effect's failure (a bug) must not hold back the others or nest them later
                    LOG.error("a registry effect failed", ex);
                }
            }
        } finally {
            runningEffects = false;
        }
    }
}
