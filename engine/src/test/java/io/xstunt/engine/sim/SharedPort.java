package io.xstunt.engine.sim;

import io.xstunt.engine.net.SocketSpec;
import java.net.InetAddress;

/**
 * The socket options of a port that several sockets hold at once, as the punch's connect attempts
 * and listener hold the predicted port: SO_REUSEADDR and SO_REUSEPORT.
 */
final class SharedPort {
    private SharedPort() {
    }

    /** @return a spec for {@code address} (null: any) and {@code port} (0: fresh), shared */
    static SocketSpec spec(InetAddress address, int port) {
        return new SocketSpec(address, port, true, true, false, 0);
    }
}
