package io.xstunt.api;

import io.xstunt.engine.client.Rendezvous;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A TCP connection to a peer that came out of a rendezvous: what XConnect returns in
 * {@code psConnect} and XListen in {@code psListen}, with the peer's address ({@code pAddrPeer}).
 * The application owns it; {@link #close()} closes the channel.
 *
 * <p>Its {@link #path()} is {@link ConnectionPath#DIRECT} (the punch won) or, with the relay
 * extension, {@link ConnectionPath#RELAYED}: the channel then goes to the STUNT server, which
 * relays it to the peer, {@link #relayReason()} says why, {@link #relayEnd()} how it ended, and
 * {@link #directOffer()} / {@link #tryDirect()} are the way back to a direct connection.
 */
public final class XstuntConnection implements AutoCloseable {
    private final Rendezvous rendezvous;

    XstuntConnection(Rendezvous rendezvous) {
        this.rendezvous = Objects.requireNonNull(rendezvous, "rendezvous");
    }

    /** @return the connected channel, in blocking mode (switch it to nonblocking as you please) */
    public SocketChannel channel() {
        return rendezvous.socketChannel();
    }

    /** @return the peer's ID */
    public String peerId() {
        return rendezvous.peerId();
    }

    /** @return the peer's address on this connection: its NAT's public address ({@code pAddrPeer}) */
    public InetSocketAddress peerAddress() {
        return rendezvous.peerAddress();
    }

    /** @return true on the XConnect side, false on the XListen side */
    public boolean initiator() {
        return rendezvous.initiator();
    }

    /**
     * @return how long each phase took, in order: on the initiator "comm" (MSG_CONNECT answered)
     *     and "announce" (the server's announcement read); then on both sides "control" (control
     *     channel up), "sync" (clock sync), "predict" (port prediction), "exchange" (addresses
     *     swapped), "punch" (direct connection up)
     */
    public Map<String, Duration> phases() {
        return rendezvous.phases();
    }

    /** @return how the connection runs: DIRECT, or RELAYED through the server */
    public ConnectionPath path() {
        return ConnectionPath.of(rendezvous.path());
    }

    /**
     * @return the address family of the connection: {@link java.net.StandardProtocolFamily#INET6}
     *     when the IPv6 simultaneous open won the race (an xstunt extension, docs/PROTOCOL.md
     *     "IPv6"), {@link java.net.StandardProtocolFamily#INET} for the IPv4 punch (XSTUNT 1.0's
     *     XConnect/XListen) and for a relayed connection
     */
    public java.net.StandardProtocolFamily family() {
        return rendezvous.peerAddress().getAddress() instanceof java.net.Inet6Address
                ? java.net.StandardProtocolFamily.INET6 : java.net.StandardProtocolFamily.INET;
    }

    /** @return why it is relayed ("both NATs random-symmetric", "punch timed out after 12 tries"), or null when direct */
    public String relayReason() {
        return rendezvous.relayReason();
    }

    /**
     * @return completes when a relayed connection has ended, with the reason the server gave
     *     (a limit, the peer's close); fails at once with {@link IllegalStateException} for a
     *     connection that is not relayed. Completes on the event loop's thread.
     */
    public CompletableFuture<RelayEnd> relayEnd() {
        if (rendezvous.relay() == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not a relayed connection"));
        }
        return rendezvous.relay().ended().thenApply(RelayEnd::of);
    }

    /**
     * The way back to direct: from this call on the client looks for a direct connection to the
     * same peer (first after 10 s, then with a doubling interval up to 5 min; the XListen side
     * waits half as long again, so both rarely look at once), and offers it here while this
     * relayed connection stays open, so that the application can move its traffic without a gap
     * and then close this one. Fails at once with {@link IllegalStateException} for a connection
     * that is not relayed.
     *
     * @return completes with the direct connection (owned by the caller), at most once; never if
     *     the relay ends first
     */
    public CompletableFuture<XstuntConnection> directOffer() {
        if (rendezvous.relay() == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("not a relayed connection"));
        }
        return rendezvous.relay().directOffer().thenApply(XstuntConnection::new);
    }

    /**
     * Looks for a direct connection to the same peer now (besides the schedule of
     * {@link #directOffer()}); what it finds is offered there.
     *
     * @throws IllegalStateException if this connection is not relayed
     */
    public void tryDirect() {
        if (rendezvous.relay() == null) {
            throw new IllegalStateException("not a relayed connection");
        }
        rendezvous.relay().tryDirect();
    }

    /** Closes the channel. */
    @Override
    public void close() throws IOException {
        rendezvous.channel().close();
    }

    /** Closes the channel; nobody is left to tell if that fails. */
    void closeQuietly() {
        rendezvous.closeQuietly();
    }

    @Override
    public String toString() {
        return "XstuntConnection[" + peerId() + " at " + peerAddress() + (initiator() ? ", initiator" : ", listener")
                + ", " + path() + "]";
    }
}
