package io.xstunt.engine.server;

import java.net.Inet4Address;

/**
 * CONTRACT SKELETON, filled in by the server work: every port, IP and timeout of the server,
 * with the reference's defaults. {@code ServerConfig.builder(ip1, ip2).logPort(..)...build()}.
 */
public final class ServerConfig {
    private ServerConfig() {
    }

    /** @return a builder with the reference's defaults for the two public IPs */
    public static Object builder(Inet4Address ip1, Inet4Address ip2) {
        throw new UnsupportedOperationException("server not built yet");
    }
}
