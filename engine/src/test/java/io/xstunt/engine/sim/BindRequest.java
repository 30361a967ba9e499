package io.xstunt.engine.sim;

import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.wire.Ipv4;

/**
 * How a socket binds, derived from a {@link SocketSpec} exactly as {@code tcp.NioNetwork} binds
 * real sockets, so that the port-sharing rules meet the same options here as on a kernel.
 *
 * @param ip the address, 0 for the wildcard
 * @param port the port, 0 for a fresh one
 * @param reuseAddress SO_REUSEADDR as the socket ends up with it
 * @param reusePort SO_REUSEPORT
 * @param evenFreshPort a fresh port is even (FreshPorts, bind(port 0)) rather than odd (connect's own choice)
 */
record BindRequest(int ip, int port, boolean reuseAddress, boolean reusePort, boolean evenFreshPort) {
    /**
     * A connecting socket: without address, port or options the connect picks the port itself
     * (odd, no options); a fresh port otherwise comes from FreshPorts, which leaves SO_REUSEADDR set.
     */
    static BindRequest forConnect(SocketSpec spec) {
        int ip = spec.address() == null ? 0 : Ipv4.toInt(spec.address());
        if (spec.port() == 0) {
            if (ip == 0 && !spec.reuseAddress() && !spec.reusePort()) {
                return new BindRequest(0, 0, false, false, false);
            }
            return new BindRequest(ip, 0, true, spec.reusePort(), true);
        }
        return new BindRequest(ip, spec.port(), spec.reuseAddress(), spec.reusePort(), true);
    }

    /**
     * A listening socket: TcpAcceptor's (SO_REUSEADDR, a fresh port from FreshPorts) unless the spec
     * shares the port (SO_REUSEADDR and SO_REUSEPORT, a fresh port from the kernel's bind).
     */
    static BindRequest forListen(SocketSpec spec) {
        int ip = spec.address() == null ? 0 : Ipv4.toInt(spec.address());
        return new BindRequest(ip, spec.port(), true, spec.reusePort(), true);
    }
}
