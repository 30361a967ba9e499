package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.tcp.FreshPorts;
import io.xstunt.engine.tcp.TcpConnection;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * How the client's sockets are opened: every one bound to the configured local address
 * ({@link ClientConfig#localAddress()}), with the options its role needs. Blocking calls here
 * are only socket creation, option setting and bind, which do not wait on the network.
 */
final class ClientSockets {
    /** A listener for connections whose owner has let go of them: drops bytes, ignores the close. */
    static final ConnectionListener DISCARD = new ConnectionListener() {
        @Override
        public void onRead(Connection c, ByteBuffer in) {
            in.position(in.limit());
        }

        @Override
        public void onClosed(Connection c, Throwable cause) {
        }
    };

    private ClientSockets() {
    }

    /**
     * A channel for a connection to a server service: bound to {@code local} (null: any) on a
     * fresh port ({@link FreshPorts}), with TCP_NODELAY (small frames back to back, e.g. "ready" right after the
     * address, would otherwise wait for an ACK).
     */
    static SocketChannel service(InetAddress local) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (local != null) { // else connect picks the address and port, which is cheap
                FreshPorts.bind(ch, local);
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /**
     * A channel bound to {@code local}:{@code port} (0: a fresh port) with SO_REUSEADDR, and
     * SO_REUSEPORT when {@code reusePort} (a predicted port is bound again by the punch, by a
     * connecting and a listening socket at once).
     */
    static SocketChannel bound(InetAddress local, int port, boolean reusePort) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            if (port == 0) {
                FreshPorts.bind(ch, local);
            }
            // set after a fresh port's bind (see there); the kernel checks them at each later bind
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (reusePort) {
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            if (port != 0) {
                ch.bind(new InetSocketAddress(local, port));
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** A listening channel on {@code local}:{@code port} with SO_REUSEADDR and SO_REUSEPORT. */
    static ServerSocketChannel listening(InetAddress local, int port, int backlog) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.bind(new InetSocketAddress(local, port), backlog);
            return ch;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // the descriptor is released either way
        }
    }
}
