package io.xstunt.engine.sim;

import io.xstunt.engine.net.Network;
import io.xstunt.engine.wire.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;

/**
 * A simulated machine: one or more IPv4 addresses on one {@link Bridge}, an optional default
 * gateway (a host behind a NAT has its router; a public host has none, so private addresses are
 * unreachable from it, as in natlab), its TCP ({@link TcpStack}) and the {@link Network} the
 * engine's code runs on. Its first address is the source of connects that bind no address.
 */
public final class SimHost implements Node {
    private final SimNetwork sim;
    private final String name;
    private final int[] addresses;
    private final int gateway;
    private final Bridge.Port port;
    private final TcpStack stack;
    private final HostNetwork network;

    SimHost(SimNetwork sim, String name, Bridge bridge, Link link, int gateway, int... addresses) {
        if (addresses.length == 0) {
            throw new IllegalArgumentException("a host needs an address");
        }
        this.sim = sim;
        this.name = name;
        this.addresses = addresses.clone();
        this.gateway = gateway;
        this.port = bridge.attach(this, link, addresses);
        this.stack = new TcpStack(this, sim.random().nextLong());
        this.network = new HostNetwork(this);
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the {@link Network} the engine's client or server runs on, on this host */
    public Network network() {
        return network;
    }

    /** @return the first address */
    public InetAddress address() {
        return Ipv4.toAddress(addresses[0]);
    }

    /** @return the {@code i}-th address (the server has two) */
    public InetAddress address(int i) {
        return Ipv4.toAddress(addresses[i]);
    }

    /** @return {@code address(i)}:{@code port} */
    public InetSocketAddress socketAddress(int i, int port) {
        return new InetSocketAddress(address(i), port);
    }

    /** @return every address */
    public List<InetAddress> addresses() {
        return Arrays.stream(addresses).<InetAddress>mapToObj(Ipv4::toAddress).toList();
    }

    /** @return what is bound on {@code port} (for tests and failure messages) */
    public List<String> boundOn(int port) {
        return stack.ports().describe(port);
    }

    SimNetwork simulation() {
        return sim;
    }

    TcpStack stack() {
        return stack;
    }

    int primaryAddress() {
        return addresses[0];
    }

    boolean owns(int ip) {
        for (int a : addresses) {
            if (a == ip) {
                return true;
            }
        }
        return false;
    }

    /** @return true if a packet to {@code ip} has somewhere to go (else connect fails with ENETUNREACH) */
    boolean routes(int ip) {
        return owns(ip) || port.bridge().isOnLink(ip) || gateway != 0;
    }

    /** Sends a packet: to itself, to a neighbour on the bridge, or to the gateway. */
    void send(Packet p) {
        int dst = p.dstIp();
        if (owns(dst)) {
            sim.events().after(0, () -> receive(p, port));
        } else if (port.bridge().isOnLink(dst)) {
            port.send(dst, p);
        } else if (gateway != 0) {
            port.send(gateway, p);
        } else {
            sim.trace().add(name, "no-route", p);
        }
    }

    @Override
    public void receive(Packet p, Bridge.Port via) {
        if (owns(p.dstIp())) {
            stack.receive(p);
        } else {
            sim.trace().add(name, "not-mine", p); // hosts do not forward
        }
    }

    @Override
    public String toString() {
        return name + " " + Arrays.stream(addresses).mapToObj(Ipv4::toString).toList();
    }
}
