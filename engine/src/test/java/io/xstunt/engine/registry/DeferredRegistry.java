package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Echo;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A {@link Registry} whose commands reach its store only when the test says so, as a remote
 * store's would after a round trip: each command returns at once and is queued; {@link #deliver()}
 * runs the queued commands in the order they were given against an {@link InMemoryRegistry}, whose
 * answers and effects then come (on the caller's thread, as a loop would deliver them).
 */
public final class DeferredRegistry implements Registry {
    /** More commands than any test gives in one delivery: beyond, they must be feeding each other. */
    private static final int MAX_DELIVERIES = 10_000;

    private final InMemoryRegistry store;
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();

    public DeferredRegistry(InMemoryRegistry store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** @return the store, as it is now (the commands delivered so far) */
    public InMemoryRegistry store() {
        return store;
    }

    /** @return the number of commands not delivered yet */
    public int queued() {
        return queued.size();
    }

    /**
     * Delivers the queued commands, and those their answers and effects give meanwhile, until none
     * is left.
     *
     * @return how many were delivered
     */
    public int deliver() {
        int n = 0;
        Runnable c;
        while ((c = queued.poll()) != null) {
            if (++n > MAX_DELIVERIES) {
                throw new AssertionError("more than " + MAX_DELIVERIES + " commands in one delivery: they feed each other");
            }
            c.run();
        }
        return n;
    }

    @Override
    public void attach(String server, Effects effects) {
        store.attach(server, effects);
    }

    @Override
    public void claim(String id, int publicIp, long token, Holder holder, Consumer<ClaimOutcome> answer) {
        queued.add(() -> store.claim(id, publicIp, token, holder, answer));
    }

    @Override
    public void checkClaim(String id, int publicIp, Consumer<ClaimOutcome> answer) {
        queued.add(() -> store.checkClaim(id, publicIp, answer));
    }

    @Override
    public void reportState(String id, Holder holder, int state, int localIp) {
        queued.add(() -> store.reportState(id, holder, state, localIp));
    }

    @Override
    public void reportState(String id, Holder holder, int state, int localIp, Runnable stored) {
        queued.add(() -> store.reportState(id, holder, state, localIp, stored));
    }

    @Override
    public void release(String id, Holder holder) {
        queued.add(() -> store.release(id, holder));
    }

    @Override
    public void deregister(String id, int sourceIp, long token, Consumer<String> denial) {
        queued.add(() -> store.deregister(id, sourceIp, token, denial));
    }

    @Override
    public void query(String id, IntConsumer answer) {
        queued.add(() -> store.query(id, answer));
    }

    @Override
    public void checkConnect(String srcId, String dstId, int sourceIp, long token, Consumer<ConnectDecision> answer) {
        queued.add(() -> store.checkConnect(srcId, dstId, sourceIp, token, answer));
    }

    @Override
    public void reportFast(String id, Holder holder, String capability) {
        queued.add(() -> store.reportFast(id, holder, capability));
    }

    @Override
    public void beginSession(Peer initiator, Peer listener, SessionRef session) {
        queued.add(() -> store.beginSession(initiator, listener, session));
    }

    @Override
    public void endSession(SessionRef session, String initiatorId, String listenerId) {
        queued.add(() -> store.endSession(session, initiatorId, listenerId));
    }

    @Override
    public void announce(Holder holder, Echo announcement, int relayFlags, java.net.InetSocketAddress peerIpv6) {
        queued.add(() -> store.announce(holder, announcement, relayFlags, peerIpv6));
    }

    @Override
    public void reportIpv6(String id, Holder holder, java.net.InetSocketAddress endpoint) {
        queued.add(() -> store.reportIpv6(id, holder, endpoint));
    }

    @Override
    public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
        queued.add(() -> store.relayEnded(holder, notice));
    }

    @Override
    public void count(IntConsumer answer) {
        queued.add(() -> store.count(answer));
    }

    @Override
    public void close() {
        queued.add(store::close);
    }
}
