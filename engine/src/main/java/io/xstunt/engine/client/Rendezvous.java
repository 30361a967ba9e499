package io.xstunt.engine.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Map;

/**
 * A direct connection that came out of a rendezvous: XConnect's {@code psConnect} or XListen's
 * {@code psListen}, with {@code pAddrPeer}.
 *
 * @param channel the connected channel, in blocking mode, owned by the application (on real
 *     sockets a {@link java.nio.channels.SocketChannel})
 * @param peerId the other side's ID
 * @param peerAddress the other side's address on this connection (its NAT's public address)
 * @param initiator true on the XConnect side
 * @param phases elapsed time of each phase, in order: on the initiator comm (MSG_CONNECT answered),
 *     announce (the 'C' announcement read), then on both sides control (control channel up), sync
 *     (clock sync), predict (echo query), exchange (addresses swapped; on the listener also "ready"
 *     read), punch (direct connection up); a relayed one ends in "relay" (relay up)
 * @param path how the connection runs: {@link ConnectionPath#DIRECT} or {@link ConnectionPath#RELAYED}
 *     (through the server: {@code peerAddress} is then the server's end of it)
 * @param relayReason why it is relayed ("both NATs random-symmetric", "punch timed out after 12
 *     tries"); null when direct
 * @param relay the relayed connection's end and its way back to direct; null when direct
 * @param replaces for a direct connection that came up as the way back from a relayed one, that
 *     relayed session's id; else 0
 */
public record Rendezvous(ByteChannel channel, String peerId, InetSocketAddress peerAddress, boolean initiator,
                         Map<String, Duration> phases, ConnectionPath path, String relayReason, RelayLink relay,
                         int replaces) {
    /** A direct connection. */
    public Rendezvous(ByteChannel channel, String peerId, InetSocketAddress peerAddress, boolean initiator,
                      Map<String, Duration> phases) {
        this(channel, peerId, peerAddress, initiator, phases, ConnectionPath.DIRECT, null, null, 0);
    }

    /**
     * @return the channel as the socket it is on a real network ({@code tcp.NioNetwork})
     * @throws IllegalStateException on another network (a simulated one)
     */
    public java.nio.channels.SocketChannel socketChannel() {
        if (channel instanceof java.nio.channels.SocketChannel s) {
            return s;
        }
        throw new IllegalStateException("not a socket: " + channel);
    }

    /** Closes the channel; nobody is left to tell if that fails. */
    public void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            // released either way
        }
    }
}
