package io.xstunt.engine.client;

import io.xstunt.engine.wire.RelayNotice;
import java.util.concurrent.CompletableFuture;

/**
 * What a relayed connection has beyond its channel: how it ended (the server's notice on the log
 * connection: a limit, the peer's close) and the way back to direct (a direct connection to the
 * same peer, offered while the relayed one stays open). Futures complete on the network's thread.
 */
public final class RelayLink {
    private final int session;
    private final CompletableFuture<RelayNotice> ended = new CompletableFuture<>();
    private final CompletableFuture<Rendezvous> directOffer = new CompletableFuture<>();
    private volatile Runnable tryDirect = () -> { };
    private volatile Runnable wantOffers = () -> { };

    /** @param session the relayed session's id (the announcement's {@code nConnID}) */
    RelayLink(int session) {
        this.session = session;
    }

    /** @return the relayed session's id, as the server and the peer know it */
    public int session() {
        return session;
    }

    /**
     * @return completes with the server's notice when the relayed connection ended (why, and the
     *     bytes each way); with {@link RelayNotice.End#UNKNOWN} if the client lost or closed its log
     *     connection first
     */
    public CompletableFuture<RelayNotice> ended() {
        return ended;
    }

    /**
     * Asks for a direct connection to the same peer: from now on the client looks for one on its
     * schedule (docs/PROTOCOL.md, "Back to direct") and offers it here.
     *
     * @return completes with a direct connection to the same peer, owned by the caller (the
     *     relayed one stays open); never, if none comes up before the relay ends
     */
    public CompletableFuture<Rendezvous> directOffer() {
        wantOffers.run();
        return directOffer;
    }

    /** Looks for a direct path now (besides the schedule); the result, if any, goes to {@link #directOffer()}. */
    public void tryDirect() {
        wantOffers.run();
        tryDirect.run();
    }

    void wire(Runnable wantOffersNow, Runnable tryDirectNow) {
        this.wantOffers = wantOffersNow;
        this.tryDirect = tryDirectNow;
    }

    CompletableFuture<Rendezvous> offer() {
        return directOffer;
    }

    CompletableFuture<RelayNotice> endedFuture() {
        return ended;
    }
}
