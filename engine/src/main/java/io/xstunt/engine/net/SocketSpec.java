package io.xstunt.engine.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * How a socket is opened: where it binds and the options it needs.
 *
 * @param address the local address to bind; null for any
 * @param port the local port; 0 for a fresh one (a random free port, see {@code tcp.FreshPorts})
 * @param reuseAddress SO_REUSEADDR (a port is bound again while an earlier socket on it lingers)
 * @param reusePort SO_REUSEPORT (a predicted port bound by a connecting and a listening socket at once)
 * @param noDelay TCP_NODELAY (small frames back to back must not wait for an ACK)
 * @param sendBuffer SO_SNDBUF in bytes, 0 for the system's default
 */
public record SocketSpec(InetAddress address, int port, boolean reuseAddress, boolean reusePort, boolean noDelay,
                         int sendBuffer) {
    /** Checks the port and buffer size. */
    public SocketSpec {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (sendBuffer < 0) {
            throw new IllegalArgumentException("sendBuffer must not be negative");
        }
    }

    /** No address, a fresh port, no options: as the system makes a socket. */
    public static final SocketSpec DEFAULTS = new SocketSpec(null, 0, false, false, false, 0);

    /** A connection to a server's service: a fresh port on {@code address}, TCP_NODELAY. */
    public static SocketSpec service(InetAddress address) {
        return new SocketSpec(address, 0, false, false, true, 0);
    }

    /**
     * A socket on {@code address}:{@code port} (0: fresh) with SO_REUSEADDR, and SO_REUSEPORT when
     * {@code reusePort}: the probe's echo queries (one port, four connections in turn), the
     * prediction's query and the punch's attempts and listener (one port, several sockets at once).
     */
    public static SocketSpec shared(InetAddress address, int port, boolean reusePort) {
        return new SocketSpec(address, port, true, reusePort, false, 0);
    }

    /** A server's listener on {@code address} (port 0: a fresh port), SO_REUSEADDR for a fixed one. */
    public static SocketSpec listener(InetSocketAddress address) {
        return new SocketSpec(address.getAddress(), address.getPort(), address.getPort() != 0, false, false, 0);
    }

    /** @return this spec with TCP_NODELAY on */
    public SocketSpec withNoDelay() {
        return new SocketSpec(address, port, reuseAddress, reusePort, true, sendBuffer);
    }

    /** @return this spec with SO_SNDBUF {@code bytes} */
    public SocketSpec withSendBuffer(int bytes) {
        return new SocketSpec(address, port, reuseAddress, reusePort, noDelay, bytes);
    }
}
