package io.xstunt.registry.redis;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.ClaimOutcome;
import io.xstunt.engine.registry.ConnectDecision;
import io.xstunt.engine.registry.Holder;
import io.xstunt.engine.registry.OwnershipRules;
import io.xstunt.engine.registry.Peer;
import io.xstunt.engine.registry.RegisteredClient;
import io.xstunt.engine.registry.Registry;
import io.xstunt.engine.registry.RegistryHealth;
import io.xstunt.engine.registry.RegistryListener;
import io.xstunt.engine.registry.RegistrySettings;
import io.xstunt.engine.registry.SessionRef;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv6Extension;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayNotice;
import io.xstunt.engine.wire.WireFormatException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Registry} shared by every server that names the same Redis: an ID is held by one
 * registration across all of them (ERR_DUPLICATE_ID anywhere), a MSG_CONNECT on one server reaches
 * a client of another, and a server's clients stay reachable by everyone while it lives.
 *
 * <p><b>Records.</b> One Redis hash per ID ({@code PREFIX:id:ID}): its owner (the home server's
 * identity and the registration's number), public and local IP, holder token, state, whether the
 * state was reported, its session, FAST's capability ({@code fp}) and the IPv6 endpoint of its A6
 * line ({@code v6}, {@code "<literal> <port>"}, empty without one). Its TTL is the lease, refreshed
 * by the home server every third of it: a dead server's IDs are free again within one lease. Every change is a compare and
 * set on the owner in a Lua script on that one key (so it works on Redis Cluster too); the rules
 * themselves are {@link OwnershipRules}, the in-memory registry's, decided here on what Redis
 * answered: a claim reads the record, decides, and writes only if the record is still what it read
 * (else it reads again): two servers claiming one ID at once cannot both win.
 *
 * <p><b>Messages.</b> What an effect asks of a connection that another server holds (announce,
 * disconnect, end a session, a relay's end notice) goes on that server's sharded pub/sub channel
 * ({@code SPUBLISH PREFIX:srv:IDENTITY}): it is meant for a live server now or never (a session
 * lasts seconds), so a stream's durability would only keep stale work for a server that is gone;
 * SPUBLISH answers how many received it, and 0 ends the session at once.
 *
 * <p><b>Redis unreachable.</b> The server answers from its own records (its clients can still
 * register, be queried and reach each other; clients of other servers are unknown), says so
 * ({@link #health()}, {@link RegistryListener}, a log line), and when Redis answers again it
 * writes back every record it holds (a record another server took meanwhile wins: the local
 * registration is disconnected) and deletes those it let go meanwhile. A replica failover (Sentinel,
 * Cluster) looks the same from here, and a promoted replica may lack the primary's last writes: so
 * after an outage the server also writes again the ends of the sessions it finished within the last
 * lease and the BUSY of those it runs ({@code reconcileSessions}).
 *
 * <p>Loop thread only, except {@link #health()} and {@link #listen}.
 */
final class RedisRegistry implements Registry {
    private static final Logger LOG = LoggerFactory.getLogger(RedisRegistry.class);
    /** A claim whose compare and set keeps losing to others retries at most this often. */
    private static final int MAX_CLAIM_TRIES = 4;
    /** How often a server that cannot connect to Redis at all tries again. */
    private static final long RETRY_CONNECT_NS = RedisStore.RECONNECT_DELAY.toNanos();

    // Lua on one key: compare the owner, then change. ARGV[1] the owner expected ("" = absent).
    /** Replace the record by ARGV[3..] (field, value pairs) with a TTL of ARGV[2] ms. */
    private static final String WRITE_IF_OWNER = """
            local cur = redis.call('HGET', KEYS[1], 'own') or ''
            if cur ~= ARGV[1] then return {0} end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], unpack(ARGV, 3))
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {1}""";
    /** Set ARGV[2..] (field, value pairs) on the owner's record. */
    private static final String UPDATE_IF_OWNER = """
            if redis.call('HGET', KEYS[1], 'own') ~= ARGV[1] then return {0} end
            redis.call('HSET', KEYS[1], unpack(ARGV, 2))
            return {1}""";
    /** Delete the owner's record; answers its session ('' if none). */
    private static final String DELETE_IF_OWNER = """
            if redis.call('HGET', KEYS[1], 'own') ~= ARGV[1] then return {0} end
            local s = redis.call('HGET', KEYS[1], 'ses') or ''
            redis.call('DEL', KEYS[1])
            return {1, s}""";
    /** The owner's lease again (1, and its session); 2 if the record is gone, 0 if another owns it. */
    private static final String REFRESH = """
            local cur = redis.call('HGET', KEYS[1], 'own')
            if not cur then return {2} end
            if cur ~= ARGV[1] then return {0} end
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {1, redis.call('HGET', KEYS[1], 'ses') or ''}""";
    /** IDLE again if still in session ARGV[1]. */
    private static final String END_SESSION = """
            if redis.call('HGET', KEYS[1], 'ses') ~= ARGV[1] then return {0} end
            redis.call('HSET', KEYS[1], 'st', ARGV[2], 'ses', '')
            return {1}""";

    /** At most this many recent session ends are kept for {@link #recentlyEnded} (a burst's memory bound). */
    private static final int MAX_RECENTLY_ENDED = 65_536;

    /** A local session's two clients and the owners their records had when it began. */
    private record Members(String initiatorId, String listenerId, String initiatorOwner, String listenerOwner) {
        boolean has(String id) {
            return initiatorId.equals(id) || listenerId.equals(id);
        }
    }

    /** A session this server ended, and when. */
    private record Ended(String sessionKey, String initiatorId, String listenerId, long atNs) {
    }

    /** A registration this server holds: its own copy of the record. */
    private static final class Held {
        final String id;
        final Holder holder;
        final int publicIp;
        final long token;
        int state = Protocol.CSTATE_PROBE;
        int localIp;
        boolean reported;
        /** FAST's capability ({@code fp} in the record), null without one. */
        String fast;
        /** The IPv6 endpoint of its A6 line ({@code v6} in the record), null without one. */
        InetSocketAddress ipv6;
        /** Whether Redis has it as this copy says (false: written while Redis was away). */
        boolean synced;

        Held(String id, Holder holder, int publicIp, long token) {
            this.id = id;
            this.holder = holder;
            this.publicIp = publicIp;
            this.token = token;
        }
    }

    private final RedisSettings settings;
    private final RegistrySettings limits;
    private final Network network;
    /** This run of the server: its name and a random boot id (a restarted server is another owner). */
    private String name;
    private String identity;
    private Effects effects;
    private final RedisStore store;
    private final Map<String, Held> held = new HashMap<>();
    /** IDs let go while Redis was away, with the owner Redis may still have them under. */
    private final Map<String, String> releasedMeanwhile = new LinkedHashMap<>();
    /** The local sessions' members (local knowledge for when Redis is away, and marked BUSY again after it). */
    private final Map<SessionRef, Members> localSessions = new HashMap<>();
    /**
     * The sessions this server ended within the last lease, oldest first: after an outage their ends
     * are written again, since a replica promoted meanwhile may lack them (asynchronous replication)
     * and would leave their clients BUSY.
     */
    private final ArrayDeque<Ended> recentlyEnded = new ArrayDeque<>();
    private boolean up;
    private boolean resyncing;
    private boolean closed;
    private DeadlineTimers.Timer timer;
    private long nextRefreshNs;
    /** Why Redis was last unreachable; null before the first connection and while reachable. */
    private String downWhy;

    RedisRegistry(RedisSettings settings, RegistrySettings limits, Network network) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.network = Objects.requireNonNull(network, "network");
        // Lettuce's client and threads are made here, on the thread that opens the registry, not the loop
        this.store = new RedisStore(settings, network);
    }

    @Override
    public void attach(String server, Effects effects) {
        this.name = Objects.requireNonNull(server, "server");
        this.effects = Objects.requireNonNull(effects, "effects");
        byte[] boot = new byte[6];
        new SecureRandom().nextBytes(boot);
        this.identity = server + "/" + HexFormat.of().formatHex(boot);
        store.attach(channel(identity), new StoreEvents());
        LOG.info("registry: shared on {} as {} (lease {} ms)", settings.redisUri(), identity,
                settings.lease().toMillis());
        store.connect();
        nextRefreshNs = network.nowNs() + settings.refreshEvery().toNanos();
        timer = network.scheduleAt(network.nowNs() + RETRY_CONNECT_NS, this::tick);
    }

    // ---- names in Redis

    private String key(String id) {
        return settings.prefix() + ":id:" + id;
    }

    private String channel(String serverIdentity) {
        return settings.prefix() + ":srv:" + serverIdentity;
    }

    /** A server's liveness key: renewed with its records, gone one lease after it died. */
    private String alive(String serverIdentity) {
        return settings.prefix() + ":alive:" + serverIdentity;
    }

    /** The identity of the server {@code holderServer} names (this one's name is this run's identity). */
    private String identityOf(String server) {
        return server.equals(name) ? identity : server;
    }

    private String owner(Holder h) {
        return identityOf(h.server()) + "|" + h.registration();
    }

    private Holder holderOf(String srv, long reg) {
        return new Holder(srv.equals(identity) ? name : srv, reg);
    }

    private String sessionKey(SessionRef s) {
        return identityOf(s.server()) + "|" + s.id();
    }

    private SessionRef sessionOf(String s) {
        int bar = s.lastIndexOf('|');
        String srv = s.substring(0, bar);
        return new SessionRef(srv.equals(identity) ? name : srv, Integer.parseInt(s.substring(bar + 1)));
    }

    private boolean local(String server) {
        return server.equals(name);
    }

    private static RegisteredClient view(Held h) {
        return new RegisteredClient(h.id, h.publicIp, h.localIp, h.token, h.state, h.reported, h.holder, h.fast,
                h.ipv6);
    }

    private RegisteredClient read(String id, Map<String, String> m) {
        if (m == null || m.isEmpty() || !m.containsKey("own")) {
            return null;
        }
        return new RegisteredClient(id, Integer.parseInt(m.get("pub")), Integer.parseInt(m.get("loc")),
                Long.parseLong(m.get("tok")), Integer.parseInt(m.get("st")), "1".equals(m.get("rep")),
                holderOf(m.get("srv"), Long.parseLong(m.get("reg"))),
                m.get("fp") == null || m.get("fp").isEmpty() ? null : m.get("fp"), ipv6Field(m.get("v6")));
    }

    /**
     * @return the record's {@code v6} field ({@code "<literal> <port>"}, as the A6 line writes it), or
     *     null if it is empty, absent (a server of an earlier version wrote the record) or malformed
     */
    private static InetSocketAddress ipv6Field(String v6) {
        if (v6 == null || v6.isEmpty()) {
            return null;
        }
        try {
            return Ipv6Extension.parseLine(v6);
        } catch (WireFormatException e) {
            LOG.warn("registry: ignored the IPv6 endpoint of a record: {}", e.getMessage());
            return null;
        }
    }

    private String[] recordArgs(String expectedOwner, Held h) {
        return new String[] {expectedOwner, String.valueOf(settings.lease().toMillis()),
            "own", owner(h.holder), "srv", identity, "reg", String.valueOf(h.holder.registration()),
            "pub", String.valueOf(h.publicIp), "loc", String.valueOf(h.localIp), "tok", String.valueOf(h.token),
            "st", String.valueOf(h.state), "rep", h.reported ? "1" : "0", "ses", "", "fp",
            h.fast == null ? "" : h.fast, "v6", h.ipv6 == null ? "" : Ipv6Extension.text(h.ipv6)};
    }

    /** Sets {@code field}'s value in {@link #recordArgs}' field, value pairs (after the owner and lease). */
    private static void setField(String[] recordArgs, String field, String value) {
        for (int i = 2; i + 1 < recordArgs.length; i += 2) {
            if (recordArgs[i].equals(field)) {
                recordArgs[i + 1] = value;
                return;
            }
        }
        throw new IllegalArgumentException("no field " + field + " in the record");
    }

    // ---- commands

    @Override
    public void claim(String id, int publicIp, long token, Holder holder, Consumer<ClaimOutcome> answer) {
        Objects.requireNonNull(holder, "holder");
        if (!up) {
            Held old = held.get(id);
            ClaimOutcome o = OwnershipRules.claim(old == null ? null : view(old), publicIp, held.size(),
                    limits.maxClients());
            if (o.taken()) {
                held.put(id, new Held(id, holder, publicIp, token));
            }
            answer.accept(o);
            if (old != null && o == ClaimOutcome.REPLACED) {
                later(() -> effects.disconnect(old.holder, "its PROBE registration of " + id + " was replaced"));
            }
            return;
        }
        claimInStore(id, publicIp, token, holder, answer, 1);
    }

    private void claimInStore(String id, int publicIp, long token, Holder holder, Consumer<ClaimOutcome> answer,
                              int attempt) {
        store.call(c -> c.hgetall(key(id)), (m, e) -> {
            if (e != null) {
                unreachable(e);
                claim(id, publicIp, token, holder, answer);
                return;
            }
            RegisteredClient old = read(id, m);
            int count = held.size() - (held.containsKey(id) ? 1 : 0);
            ClaimOutcome o = OwnershipRules.claim(old, publicIp, count, limits.maxClients());
            if (!o.taken()) {
                answer.accept(o);
                return;
            }
            Held h = new Held(id, holder, publicIp, token);
            String expected = old == null ? "" : m.get("own");
            store.script(WRITE_IF_OWNER, key(id), recordArgs(expected, h), (r, e2) -> {
                if (e2 != null) {
                    unreachable(e2);
                    claim(id, publicIp, token, holder, answer);
                } else if (won(r)) {
                    h.synced = true;
                    Held mine = held.put(id, h);
                    answer.accept(o);
                    if (old != null) {
                        Holder replaced = mine != null ? mine.holder : old.holder();
                        disconnect(replaced, "its PROBE registration of " + id + " was replaced");
                    }
                } else if (attempt < MAX_CLAIM_TRIES) {
                    claimInStore(id, publicIp, token, holder, answer, attempt + 1); // changed meanwhile: read again
                } else {
                    answer.accept(ClaimOutcome.DUPLICATE);
                }
            });
        });
    }

    @Override
    public void checkClaim(String id, int publicIp, Consumer<ClaimOutcome> answer) {
        if (!up) {
            Held old = held.get(id);
            answer.accept(OwnershipRules.claim(old == null ? null : view(old), publicIp, held.size(),
                    limits.maxClients()));
            return;
        }
        store.call(c -> c.hgetall(key(id)), (m, e) -> {
            if (e != null) {
                unreachable(e);
                checkClaim(id, publicIp, answer);
                return;
            }
            answer.accept(OwnershipRules.claim(read(id, m), publicIp, held.size(), limits.maxClients()));
        });
    }

    @Override
    public void reportState(String id, Holder holder, int state, int localIp) {
        reportState(id, holder, state, localIp, () -> { });
    }

    @Override
    public void reportState(String id, Holder holder, int state, int localIp, Runnable stored) {
        Held h = held.get(id);
        if (h == null || !h.holder.equals(holder)) {
            stored.run();
            return;
        }
        h.state = state;
        h.localIp = localIp;
        h.reported = true;
        if (up && h.synced) {
            store.script(UPDATE_IF_OWNER, key(id), new String[] {owner(holder), "st", String.valueOf(state),
                "loc", String.valueOf(localIp), "rep", "1"}, (r, e) -> {
                    unlessFailed(r, e);
                    stored.run(); // or Redis is away now: this server serves it from its own records
                });
        } else {
            h.synced = false;
            stored.run();
        }
    }

    @Override
    public void reportFast(String id, Holder holder, String capability) {
        updateField(id, holder, h -> h.fast = capability, "fp", capability);
    }

    @Override
    public void reportIpv6(String id, Holder holder, InetSocketAddress endpoint) {
        updateField(id, holder, h -> h.ipv6 = endpoint, "v6", Ipv6Extension.text(endpoint));
    }

    /**
     * Changes this server's copy of {@code id}'s record ({@code change}) and the record's
     * {@code field} in Redis, if {@code holder} still holds it; while Redis is away, the copy is
     * written back when it returns.
     */
    private void updateField(String id, Holder holder, Consumer<Held> change, String field, String value) {
        Held h = held.get(id);
        if (h == null || !h.holder.equals(holder)) {
            return;
        }
        change.accept(h);
        if (up && h.synced) {
            store.script(UPDATE_IF_OWNER, key(id), new String[] {owner(holder), field, value}, this::unlessFailed);
        } else {
            h.synced = false;
        }
    }

    @Override
    public void release(String id, Holder holder) {
        Held h = held.get(id);
        if (h == null || !h.holder.equals(holder)) {
            return;
        }
        held.remove(id);
        forgetRecord(id, owner(holder), "client " + id + " disconnected");
    }

    /** Deletes {@code id}'s record if {@code owner} still owns it; its session, if any, is aborted. */
    private void forgetRecord(String id, String owner, String reason) {
        abortLocalSessionsOf(id, reason);
        if (!up) {
            releasedMeanwhile.put(id, owner);
            return;
        }
        store.script(DELETE_IF_OWNER, key(id), new String[] {owner}, (r, e) -> {
            if (e != null) {
                unreachable(e);
                releasedMeanwhile.put(id, owner);
            } else if (won(r) && r.size() > 1 && !String.valueOf(r.get(1)).isEmpty()) {
                abortSession(sessionOf(String.valueOf(r.get(1))), reason);
            }
        });
    }

    @Override
    public void deregister(String id, int sourceIp, long token, Consumer<String> denial) {
        if (!up) {
            Held h = held.get(id);
            String why = h == null ? id + " is not registered here (the shared registry is unreachable)"
                    : OwnershipRules.notHolder(view(h), sourceIp, token, limits.requireTokens());
            if (why == null) {
                held.remove(id);
                forgetRecord(id, owner(h.holder), "client " + id + " deregistered");
                later(() -> effects.disconnect(h.holder, id + " deregistered"));
            }
            denial.accept(why);
            return;
        }
        store.call(c -> c.hgetall(key(id)), (m, e) -> {
            if (e != null) {
                unreachable(e);
                deregister(id, sourceIp, token, denial);
                return;
            }
            RegisteredClient r = read(id, m);
            String why = r == null ? id + " is not registered"
                    : OwnershipRules.notHolder(r, sourceIp, token, limits.requireTokens());
            if (why != null) {
                denial.accept(why);
                return;
            }
            String own = m.get("own");
            store.script(DELETE_IF_OWNER, key(id), new String[] {own}, (res, e2) -> {
                if (e2 != null) {
                    unreachable(e2);
                    denial.accept("the shared registry did not answer");
                    return;
                }
                if (!won(res)) {
                    denial.accept(id + " changed hands meanwhile");
                    return;
                }
                Held h = held.get(id);
                if (h != null && h.holder.equals(r.holder())) {
                    held.remove(id);
                }
                abortLocalSessionsOf(id, "client " + id + " deregistered");
                if (res.size() > 1 && !String.valueOf(res.get(1)).isEmpty()) {
                    abortSession(sessionOf(String.valueOf(res.get(1))), "client " + id + " deregistered");
                }
                denial.accept(null);
                disconnect(r.holder(), id + " deregistered");
            });
        });
    }

    @Override
    public void query(String id, IntConsumer answer) {
        if (!up) {
            Held h = held.get(id);
            answer.accept(h == null ? -1 : h.state);
            return;
        }
        store.call(c -> c.hget(key(id), "st"), (v, e) -> {
            if (e != null) {
                unreachable(e);
                query(id, answer);
            } else {
                answer.accept(v == null ? -1 : Integer.parseInt(v));
            }
        });
    }

    @Override
    public void checkConnect(String srcId, String dstId, int sourceIp, long token, Consumer<ConnectDecision> answer) {
        if (!up) {
            Held s = held.get(srcId);
            Held d = held.get(dstId);
            answer.accept(OwnershipRules.connect(s == null ? null : view(s), d == null ? null : view(d), srcId, dstId,
                    sourceIp, token, limits.requireTokens()));
            return;
        }
        // two reads on one connection: Redis answers them in order, after every write this server sent before
        store.call(c -> c.hgetall(key(srcId)), (ms, e) -> {
            if (e != null) {
                unreachable(e);
                checkConnect(srcId, dstId, sourceIp, token, answer);
                return;
            }
            store.call(c -> c.hgetall(key(dstId)), (md, e2) -> {
                if (e2 != null) {
                    unreachable(e2);
                    checkConnect(srcId, dstId, sourceIp, token, answer);
                    return;
                }
                answer.accept(OwnershipRules.connect(read(srcId, ms), read(dstId, md), srcId, dstId, sourceIp, token,
                        limits.requireTokens()));
            });
        });
    }

    @Override
    public void beginSession(Peer initiator, Peer listener, SessionRef session) {
        localSessions.put(session, new Members(initiator.id(), listener.id(), owner(initiator.holder()),
                owner(listener.holder())));
        for (Peer p : new Peer[] {initiator, listener}) {
            Held h = held.get(p.id());
            if (h != null && h.holder.equals(p.holder())) {
                h.state = Protocol.CSTATE_BUSY;
            }
            if (up) {
                store.script(UPDATE_IF_OWNER, key(p.id()), new String[] {owner(p.holder()), "st",
                    String.valueOf(Protocol.CSTATE_BUSY), "ses", sessionKey(session)}, this::unlessFailed);
            }
        }
    }

    @Override
    public void endSession(SessionRef session, String initiatorId, String listenerId) {
        localSessions.remove(session);
        recentlyEnded.addLast(new Ended(sessionKey(session), initiatorId, listenerId, network.nowNs()));
        if (recentlyEnded.size() > MAX_RECENTLY_ENDED) {
            recentlyEnded.removeFirst();
        }
        for (String id : new String[] {initiatorId, listenerId}) {
            Held h = held.get(id);
            if (h != null && h.state == Protocol.CSTATE_BUSY) {
                h.state = Protocol.CSTATE_IDLE;
            }
            if (up) {
                store.script(END_SESSION, key(id), new String[] {sessionKey(session),
                    String.valueOf(Protocol.CSTATE_IDLE)}, this::unlessFailed);
            }
        }
    }

    @Override
    public void announce(Holder holder, Echo announcement, int relayFlags, InetSocketAddress peerIpv6) {
        if (local(holder.server())) {
            later(() -> effects.announce(holder, announcement, relayFlags, peerIpv6));
            return;
        }
        SessionRef session = new SessionRef(name, announcement.connId());
        send(holder.server(), new ServerMessage.Announce(holder.registration(), announcement, relayFlags, identity,
                peerIpv6),
                why -> abortSession(session, "cannot announce it to " + holder + ": " + why));
    }

    @Override
    public void relayEnded(Holder holder, RelayNotice notice) {
        if (local(holder.server())) {
            later(() -> effects.relayEnded(holder, notice));
            return;
        }
        send(holder.server(), new ServerMessage.Notice(holder.registration(), notice),
                why -> LOG.debug("registry: relay notice for {} not delivered: {}", holder, why));
    }

    @Override
    public void count(IntConsumer answer) {
        answer.accept(held.size());
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (effects == null) {
            closed = true; // never attached (the server could not start): only Lettuce's threads to end
            store.close(CompletableFuture.completedFuture(null));
            return;
        }
        closed = true;
        if (timer != null) {
            timer.cancel();
        }
        List<CompletableFuture<Void>> last = new ArrayList<>();
        for (Held h : new ArrayList<>(held.values())) {
            if (up) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                store.script(DELETE_IF_OWNER, key(h.id), new String[] {owner(h.holder)}, (r, e) -> f.complete(null));
                last.add(f);
            }
            abortLocalSessionsOf(h.id, "server closing");
            later(() -> effects.disconnect(h.holder, "server closing"));
        }
        held.clear();
        if (up) {
            // sessions of this server that clients of others are BUSY in end with it: say so at once
            CompletableFuture<Void> f = new CompletableFuture<>();
            store.call(c -> c.del(alive(identity)), (n, e) -> f.complete(null));
            last.add(f);
        }
        store.close(CompletableFuture.allOf(last.toArray(new CompletableFuture[0])));
        store.reachable(false, "closed");
    }

    @Override
    public RegistryHealth health() {
        return store.health();
    }

    @Override
    public void listen(RegistryListener listener) {
        store.listen(listener);
    }

    // ---- between servers

    /** Closes {@code holder}'s log connection, on whichever server holds it. */
    private void disconnect(Holder holder, String reason) {
        if (local(holder.server())) {
            later(() -> effects.disconnect(holder, reason));
        } else {
            send(holder.server(), new ServerMessage.Disconnect(holder.registration(), reason),
                    why -> LOG.debug("registry: {} not told to disconnect: {}", holder, why));
        }
    }

    /** Ends {@code session} on whichever server runs it. */
    private void abortSession(SessionRef session, String reason) {
        if (local(session.server())) {
            later(() -> effects.abortSession(session, reason));
        } else {
            send(session.server(), new ServerMessage.Abort(session.id(), reason),
                    why -> LOG.debug("registry: session {} not aborted: {}", session, why));
        }
    }

    private void abortLocalSessionsOf(String id, String reason) {
        for (Map.Entry<SessionRef, Members> s : new ArrayList<>(localSessions.entrySet())) {
            if (s.getValue().has(id)) {
                SessionRef ref = s.getKey();
                later(() -> effects.abortSession(ref, reason));
            }
        }
    }

    /** Publishes {@code m} on {@code server}'s channel; {@code undelivered} hears why if nobody got it. */
    private void send(String server, ServerMessage m, Consumer<String> undelivered) {
        if (!up) {
            undelivered.accept("the shared registry is unreachable");
            return;
        }
        String text = ServerMessage.encode(m);
        store.call(c -> c.spublish(channel(server), text), (n, e) -> {
            if (e != null) {
                unreachable(e);
                undelivered.accept("the shared registry is unreachable");
            } else if (n == null || n == 0) {
                undelivered.accept("server " + server + " is not listening (gone)");
            }
        });
    }

    private void received(String text) {
        ServerMessage m;
        try {
            m = ServerMessage.decode(text);
        } catch (IllegalArgumentException e) {
            LOG.warn("registry: {}", e.getMessage());
            return;
        }
        switch (m) {
            case ServerMessage.Announce a -> {
                Holder h = new Holder(name, a.registration());
                if (effects.admitAnnouncement(h)) {
                    effects.announce(h, a.echo(), a.relayFlags(), a.peerIpv6());
                } else {
                    send(a.sessionServer(), new ServerMessage.Abort(a.echo().connId(), "its client on " + name
                            + " has too many announcements unread or spent its budget"), why -> { });
                }
            }
            case ServerMessage.Disconnect d -> effects.disconnect(new Holder(name, d.registration()), d.reason());
            case ServerMessage.Abort a -> effects.abortSession(new SessionRef(name, a.session()), a.reason());
            case ServerMessage.Notice n -> effects.relayEnded(new Holder(name, n.registration()), n.notice());
        }
    }

    // ---- reachability, lease, rejoin

    private void unlessFailed(Object result, Throwable e) {
        if (e != null) {
            unreachable(e);
        }
    }

    private void unreachable(Throwable e) {
        down("a command failed: " + e);
    }

    private void down(String why) {
        if (closed) {
            return;
        }
        if (up || resyncing) {
            LOG.warn("registry: Redis at {} is unreachable ({}); serving this server's {} clients from its own"
                    + " records until it is back", settings.redisUri(), why, held.size());
            for (Held h : held.values()) {
                h.synced = false; // what Redis has of them is unknown now: written again on rejoin
            }
        }
        up = false;
        resyncing = false;
        downWhy = why;
        store.reachable(false, why);
    }

    /** Redis answers (again): the records this server holds are written back, then it serves from Redis. */
    private void rejoin() {
        if (closed || up || resyncing) {
            return;
        }
        resyncing = true;
        List<Map.Entry<String, String>> deletes = new ArrayList<>(releasedMeanwhile.entrySet());
        releasedMeanwhile.clear();
        List<Held> toWrite = new ArrayList<>();
        for (Held h : held.values()) {
            if (!h.synced) {
                toWrite.add(h);
            }
        }
        int[] pending = {deletes.size() + toWrite.size() + 2};
        int[] conflicts = {0};
        Runnable oneDone = () -> {
            if (--pending[0] == 0 && resyncing) {
                finishRejoin(toWrite.size(), deletes.size(), conflicts[0]);
            }
        };
        // this server's channel where it lives now (a Cluster failover moves its slot)
        store.resubscribe(e -> {
            if (e != null) {
                unreachable(e);
            }
            oneDone.run();
        });
        for (Map.Entry<String, String> d : deletes) {
            store.script(DELETE_IF_OWNER, key(d.getKey()), new String[] {d.getValue()}, (r, e) -> {
                if (e != null) {
                    releasedMeanwhile.put(d.getKey(), d.getValue());
                    unreachable(e);
                }
                oneDone.run();
            });
        }
        for (Held h : toWrite) {
            store.call(c -> c.hgetall(key(h.id)), (m, e) -> {
                if (e != null) {
                    unreachable(e);
                    oneDone.run();
                    return;
                }
                String own = m == null ? null : m.get("own");
                if (own != null && !own.equals(owner(h.holder))) {
                    // another server's registration of the ID was in Redis first: it keeps it
                    if (held.get(h.id) == h) {
                        held.remove(h.id);
                    }
                    conflicts[0]++;
                    later(() -> effects.disconnect(h.holder, "ID " + h.id + " is held on another server (registered"
                            + " there while the shared registry was unreachable from here)"));
                    oneDone.run();
                    return;
                }
                String[] args = recordArgs(own == null ? "" : own, h);
                String ses = m == null ? null : m.get("ses");
                if (own != null && ses != null && !ses.isEmpty() && !local(sessionOf(ses).server())) {
                    // BUSY in another server's session: that server knows whether it still runs
                    // (it writes its ends again after an outage, reconcileSessions), not this one
                    setField(args, "st", m.get("st"));
                    setField(args, "ses", ses);
                }
                store.script(WRITE_IF_OWNER, key(h.id), args, (r, e2) -> {
                    if (e2 != null) {
                        unreachable(e2);
                    } else if (won(r)) {
                        h.synced = true;
                    }
                    oneDone.run(); // lost a race: still unsynced, the next pass reads it again
                });
            });
        }
        oneDone.run();
    }

    private void finishRejoin(int written, int deleted, int conflicts) {
        resyncing = false;
        for (Held h : held.values()) {
            if (!h.synced) {
                rejoin(); // registered or changed during this pass: another pass
                return;
            }
        }
        up = true;
        store.call(c -> c.psetex(alive(identity), settings.lease().toMillis(), "1"), this::unlessFailed);
        LOG.info("registry: Redis at {} is reachable{}: {} records written back, {} deleted, {} taken elsewhere",
                settings.redisUri(), downWhy == null ? "" : " again", written, deleted, conflicts);
        boolean afterOutage = downWhy != null;
        downWhy = null;
        store.reachable(true, "rejoined");
        if (afterOutage) {
            reconcileSessions();
        }
    }

    /**
     * After an outage, writes again what this server knows of its sessions: the clients of those
     * still running are BUSY in them, those of sessions it ended within the last lease IDLE (each
     * only if the record still names that session). A replica promoted by a failover lacks the
     * primary's last writes; without this a lost end of session left both clients BUSY (refused)
     * until they registered again.
     */
    private void reconcileSessions() {
        forgetOldEnds(network.nowNs());
        String idle = String.valueOf(Protocol.CSTATE_IDLE);
        for (Ended e : recentlyEnded) {
            for (String id : new String[] {e.initiatorId(), e.listenerId()}) {
                store.script(END_SESSION, key(id), new String[] {e.sessionKey(), idle}, this::unlessFailed);
            }
        }
        String busy = String.valueOf(Protocol.CSTATE_BUSY);
        for (Map.Entry<SessionRef, Members> s : localSessions.entrySet()) {
            Members m = s.getValue();
            String ses = sessionKey(s.getKey());
            store.script(UPDATE_IF_OWNER, key(m.initiatorId()), new String[] {m.initiatorOwner(), "st", busy, "ses",
                ses}, this::unlessFailed);
            store.script(UPDATE_IF_OWNER, key(m.listenerId()), new String[] {m.listenerOwner(), "st", busy, "ses",
                ses}, this::unlessFailed);
        }
        LOG.info("registry: after the outage, {} recent session ends and {} running sessions written again",
                recentlyEnded.size(), localSessions.size());
    }

    private void forgetOldEnds(long now) {
        long window = settings.lease().toNanos();
        while (!recentlyEnded.isEmpty() && now - recentlyEnded.peekFirst().atNs() > window) {
            recentlyEnded.removeFirst();
        }
    }

    /** The timer: connect while never connected, refresh the leases when due. */
    private void tick() {
        if (closed) {
            return;
        }
        long now = network.nowNs();
        if (!store.connected()) {
            store.connect();
        } else if (!up && !resyncing) {
            // down after a failed command while the connection stayed (a stalled Redis): no reconnect
            // event will come, so a PING asks whether it answers again
            store.call(c -> c.ping(), (pong, e) -> {
                if (e == null) {
                    rejoin();
                }
            });
        }
        if (up && now - nextRefreshNs >= 0) {
            nextRefreshNs = now + settings.refreshEvery().toNanos();
            forgetOldEnds(now);
            refresh();
        }
        long next = Math.min(now + RETRY_CONNECT_NS, nextRefreshNs);
        timer = network.scheduleAt(next, this::tick);
    }

    private void refresh() {
        String lease = String.valueOf(settings.lease().toMillis());
        store.call(c -> c.psetex(alive(identity), settings.lease().toMillis(), "1"), this::unlessFailed);
        for (Held h : new ArrayList<>(held.values())) {
            if (!h.synced) {
                continue;
            }
            store.script(REFRESH, key(h.id), new String[] {owner(h.holder), lease}, (r, e) -> {
                if (e != null) {
                    unreachable(e);
                    return;
                }
                long v = ((Number) r.get(0)).longValue();
                if (v == 1 && r.size() > 1) {
                    endSessionOfDeadServer(h, String.valueOf(r.get(1)));
                }
                if (v == 1 || held.get(h.id) != h) {
                    return;
                }
                if (v == 2) {
                    // expired (this server stalled longer than a lease): the ID was free, so it is written again
                    h.synced = false;
                    down("record of " + h.id + " expired");
                    rejoinSoon();
                } else {
                    held.remove(h.id);
                    later(() -> effects.disconnect(h.holder, "ID " + h.id + " was taken over on another server"));
                }
            });
        }
    }

    /**
     * {@code h} is BUSY in {@code ses}, a session of another server: if that server is gone (its
     * liveness key expired), the session's end will never come, so it is ended here.
     */
    private void endSessionOfDeadServer(Held h, String ses) {
        if (ses.isEmpty()) {
            return;
        }
        SessionRef session = sessionOf(ses);
        if (local(session.server())) {
            return; // this server's sessions end here anyway
        }
        store.call(c -> c.exists(alive(session.server())), (n, e) -> {
            if (e != null || n == null || n != 0) {
                return;
            }
            LOG.info("registry: session {} of {} ended: its server {} is gone", session.id(), h.id, session.server());
            store.script(END_SESSION, key(h.id), new String[] {ses, String.valueOf(Protocol.CSTATE_IDLE)},
                    this::unlessFailed);
            if (held.get(h.id) == h && h.state == Protocol.CSTATE_BUSY) {
                h.state = Protocol.CSTATE_IDLE;
            }
        });
    }

    private void rejoinSoon() {
        later(this::rejoin);
    }

    private static boolean won(List<Object> r) {
        return r != null && !r.isEmpty() && ((Number) r.get(0)).longValue() == 1;
    }

    /** Runs an effect on a later loop turn: never inside the command or effect that caused it. */
    private void later(Runnable r) {
        network.execute(() -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("a registry effect failed", e);
            }
        });
    }

    private final class StoreEvents implements RedisStore.Events {
        @Override
        public void up() {
            rejoin();
        }

        @Override
        public void down(String why) {
            RedisRegistry.this.down(why);
        }

        @Override
        public void message(String text) {
            if (!closed) {
                received(text);
            }
        }
    }
}
