package io.xstunt.engine.sim;

import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.wire.Ipv4;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A simulated host's TCP: its ports ({@link PortTable}), its sockets by 4-tuple and its listeners,
 * and the kernel's own answers. A segment goes to the socket of its 4-tuple (connecting,
 * half-open or connected), else a SYN to a listener on its port (a specific address before the
 * wildcard), else the kernel answers with a RST: a connect to a closed port is refused.
 */
final class TcpStack {
    private final SimHost host;
    private final PortTable ports;
    private final Map<Flow, SimSocket> sockets = new HashMap<>();
    private final Map<Integer, List<SimListener>> listeners = new HashMap<>();
    private final long secret;

    TcpStack(SimHost host, long secret) {
        this.host = host;
        this.secret = secret;
        this.ports = new PortTable(host.simulation().random());
    }

    /** @return the host's ports */
    PortTable ports() {
        return ports;
    }

    EventQueue events() {
        return host.simulation().events();
    }

    long nowNs() {
        return events().nowNs();
    }

    void trace(String event, Object subject) {
        host.simulation().trace().add(host.name(), event, subject);
    }

    /**
     * Binds and starts a connect to {@code remote}.
     *
     * @throws IOException as Linux's bind and connect fail: an address not on this host or a
     *     port taken (BindException), no route (SocketException), the 4-tuple in use
     */
    SimSocket connect(BindRequest bind, Endpoint remote, SimSocket.Owner owner) throws IOException {
        checkLocal(bind.ip());
        if (!host.routes(remote.ip())) {
            throw new SocketException("Network is unreachable");
        }
        int port = bind.port() != 0 ? bind.port() : ports.freshPort(bind.ip(), bind.evenFreshPort());
        PortTable.Binding binding = ports.bind(bind.ip(), port, bind.reuseAddress(), bind.reusePort());
        Endpoint local = new Endpoint(bind.ip() != 0 ? bind.ip() : host.primaryAddress(), port);
        if (sockets.containsKey(new Flow(local, remote))) {
            binding.release();
            throw new BindException("Cannot assign requested address (" + local + " > " + remote + " in use)");
        }
        return SimSocket.connect(this, binding, local, remote, owner);
    }

    /**
     * Binds and listens.
     *
     * @throws IOException if the address is not on this host or the port is taken
     */
    SimListener listen(BindRequest bind, int backlog, AcceptHandler handler, HostNetwork network) throws IOException {
        checkLocal(bind.ip());
        int port = bind.port() != 0 ? bind.port() : ports.freshPort(bind.ip(), bind.evenFreshPort());
        PortTable.Binding binding = ports.bind(bind.ip(), port, bind.reuseAddress(), bind.reusePort());
        try {
            binding.listen();
        } catch (BindException e) {
            binding.release();
            throw e;
        }
        SimListener l = new SimListener(this, binding, backlog, handler, network);
        listeners.computeIfAbsent(port, p -> new ArrayList<>()).add(l);
        return l;
    }

    /** A packet for this host arrived. */
    void receive(Packet p) {
        switch (p) {
            case Segment s -> receive(s);
            case IcmpError e -> {
                SimSocket s = sockets.get(new Flow(e.original().src(), e.original().dst()));
                if (s != null) {
                    s.icmp(e.kind());
                }
            }
        }
    }

    private void receive(Segment s) {
        SimSocket socket = sockets.get(new Flow(s.dst(), s.src()));
        if (socket != null) {
            socket.receive(s);
            return;
        }
        if (s.isSyn()) {
            SimListener l = listenerFor(s);
            if (l != null) {
                l.syn(s);
                return;
            }
        }
        if (!s.has(Segment.RST)) {
            trace("kernel-rst", s);
            transmit(Segment.resetFor(s));
        }
    }

    /** A listener on the SYN's port and address (or the wildcard); several (SO_REUSEPORT): one by the source's hash. */
    private SimListener listenerFor(Segment syn) {
        List<SimListener> onPort = listeners.get(syn.dst().port());
        if (onPort == null) {
            return null;
        }
        List<SimListener> exact = onPort.stream().filter(l -> l.boundIp() == syn.dst().ip()).toList();
        List<SimListener> candidates = exact.isEmpty() ? onPort.stream().filter(l -> l.boundIp() == 0).toList() : exact;
        if (candidates.isEmpty()) {
            return null;
        }
        return candidates.get(Math.floorMod(syn.src().hashCode(), candidates.size()));
    }

    void register(SimSocket s) {
        sockets.put(new Flow(s.local(), s.remote()), s);
    }

    void unregister(SimSocket s) {
        sockets.remove(new Flow(s.local(), s.remote()), s);
    }

    void removeListener(SimListener l) {
        List<SimListener> onPort = listeners.get(l.port());
        if (onPort != null) {
            onPort.remove(l);
            if (onPort.isEmpty()) {
                listeners.remove(l.port());
            }
        }
    }

    /** Sends a packet from this host. */
    void transmit(Packet p) {
        host.send(p);
    }

    /**
     * @return Linux's initial sequence number (secure_tcp_seq): a keyed hash of the 4-tuple plus
     *     the clock in 64 ns steps
     */
    int isn(Endpoint local, Endpoint remote) {
        long h = mix(secret ^ local.ip());
        h = mix(h ^ ((long) local.port() << 16 | remote.port()));
        h = mix(h ^ remote.ip());
        return (int) h + (int) (nowNs() >> 6);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    private void checkLocal(int ip) throws BindException {
        if (ip != 0 && !host.owns(ip)) {
            throw new BindException("Cannot assign requested address (" + Ipv4.toString(ip) + " is not on "
                    + host.name() + ")");
        }
    }
}
