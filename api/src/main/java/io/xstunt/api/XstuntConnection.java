package io.xstunt.api;

import io.xstunt.engine.client.Rendezvous;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A direct TCP connection to a peer that came out of a rendezvous: what XConnect returns in
 * {@code psConnect} and XListen in {@code psListen}, with the peer's address ({@code pAddrPeer}).
 * The application owns it; {@link #close()} closes the channel.
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
                + "]";
    }
}
