package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.net.InetSocketAddress;

/**
 * An IPv4 address and TCP port of the simulated internet, as a packet header carries them.
 *
 * @param ip the address as a big-endian int ({@link Ipv4#toInt}); 0 is the wildcard
 * @param port the port, 0..65535
 */
public record Endpoint(int ip, int port) {
    /** Checks the port. */
    public Endpoint {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
    }

    /** @return the endpoint of a dotted-quad address and a port */
    public static Endpoint of(String ip, int port) {
        return new Endpoint(Ipv4.toInt(Ipv4.parse(ip)), port);
    }

    /** @return the endpoint of a socket address (IPv4 only) */
    public static Endpoint of(InetSocketAddress address) {
        return new Endpoint(Ipv4.toInt(address.getAddress()), address.getPort());
    }

    /** @return this endpoint as a socket address, without any name lookup */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(Ipv4.toAddress(ip), port);
    }

    /** @return this endpoint with another port */
    public Endpoint withPort(int newPort) {
        return new Endpoint(ip, newPort);
    }

    @Override
    public String toString() {
        return Ipv4.toString(ip) + ":" + port;
    }
}
