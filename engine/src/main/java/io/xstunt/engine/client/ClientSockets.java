package io.xstunt.engine.client;

import io.xstunt.engine.loop.ConnectionListener;
import io.xstunt.engine.loop.TcpConnection;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;

/**
 * How the client's sockets are opened: every one bound to the configured local address
 * ({@link ClientConfig#localAddress()}), with the options its role needs. Blocking calls here
 * are only socket creation, option setting and bind, which do not wait on the network.
 */
final class ClientSockets {
    /** A listener for connections whose owner has let go of them: drops bytes, ignores the close. */
    static final ConnectionListener DISCARD = new ConnectionListener() {
        @Override
        public void onRead(TcpConnection c, ByteBuffer in) {
            in.position(in.limit());
        }

        @Override
        public void onClosed(TcpConnection c, Throwable cause) {
        }
    };

    /**
     * Where {@link #bindFreshPort} picks ports: Linux's default ephemeral range (ip_local_port_range;
     * not read from /proc, which would be a file read on the loop thread). Any port works; this
     * range keeps clear of services' well-known and registered ports.
     */
    static final int EPHEMERAL_LOW = 32768;
    static final int EPHEMERAL_HIGH = 60999;
    /** Random ports tried before leaving the search to the kernel (a crowded range). */
    static final int FRESH_PORT_ATTEMPTS = 16;

    private ClientSockets() {
    }

    /**
     * Binds {@code ch} to {@code local} (null: any) on a fresh port picked at random here: first
     * before any SO_REUSEADDR is set, so that the port has no other socket on it (live or
     * TIME_WAIT); when {@link #FRESH_PORT_ATTEMPTS} such tries find every port taken (an address
     * whose range is full of TIME_WAIT sockets), with SO_REUSEADDR set, which lets a TIME_WAIT
     * socket's port be bound again, as the kernel's own search does in that case; last, the
     * kernel's search itself. Why not {@code bind(local, 0)} at once: Linux then scans the whole
     * range for a port without sockets first, and once the address has ~20,000 sockets in
     * TIME_WAIT (a client doing hundreds of rendezvous a second from one address) that costs
     * about 1 ms per bind, against a few microseconds per random try (both measured on this
     * kernel, docs/PERFORMANCE.md). Java offers no IP_BIND_ADDRESS_NO_PORT. Random, not
     * sequential, so that source ports stay unpredictable. The channel leaves with SO_REUSEADDR
     * set, so that its TIME_WAIT does not block the port for our later binds.
     */
    static void bindFreshPort(NetworkChannel ch, InetAddress local) throws IOException {
        // even ports only, like the kernel's bind(port 0): connect()'s own port choice skips every
        // port that bind() holds (TIME_WAIT included) and starts with the odd ones, so a client
        // binding hundreds of ports a second leaves the host's plain connects their half
        bindFreshPort(ch, local, () -> EPHEMERAL_LOW
                + 2 * ThreadLocalRandom.current().nextInt((EPHEMERAL_HIGH - EPHEMERAL_LOW) / 2 + 1));
    }

    /** {@link #bindFreshPort(NetworkChannel, InetAddress)} with the ports to try from {@code ports}. */
    static void bindFreshPort(NetworkChannel ch, InetAddress local, IntSupplier ports) throws IOException {
        boolean bound = tryPorts(ch, local, ports);
        // set in any case: a TIME_WAIT socket keeps the flag its socket had, and one without it
        // blocks its port for every later bind, ours with SO_REUSEADDR included
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        if (!bound && !tryPorts(ch, local, ports)) {
            ch.bind(new InetSocketAddress(local, 0));
        }
    }

    private static boolean tryPorts(NetworkChannel ch, InetAddress local, IntSupplier ports) throws IOException {
        for (int i = 0; i < FRESH_PORT_ATTEMPTS; i++) {
            int port = ports.getAsInt();
            try {
                ch.bind(new InetSocketAddress(local, port));
                return true;
            } catch (BindException taken) {
                // some socket is on it: try another
            }
        }
        return false;
    }

    /**
     * A channel for a connection to a server service: bound to {@code local} (null: any) on a
     * fresh port ({@link #bindFreshPort}), with TCP_NODELAY (small frames back to back, e.g. "ready" right after the
     * address, would otherwise wait for an ACK).
     */
    static SocketChannel service(InetAddress local) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (local != null) { // else connect picks the address and port, which is cheap
                bindFreshPort(ch, local);
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
                bindFreshPort(ch, local);
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
