package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.net.BindException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A host's bound TCP ports and Linux's rules for sharing one (inet_bind_conflict): two sockets on
 * the same port and overlapping addresses (equal, or either the wildcard) conflict unless both set
 * SO_REUSEPORT, or both set SO_REUSEADDR and neither listens. So a predicted port can hold a
 * connecting and a listening socket at once when both set both options, as the punch does.
 */
final class PortTable {
    /** First port of the ephemeral range (the lab's ip_local_port_range, FreshPorts' range). */
    static final int EPHEMERAL_LOW = 32768;
    /** Last port of the ephemeral range. */
    static final int EPHEMERAL_HIGH = 60999;

    /** One socket's hold on a port. */
    final class Binding {
        private final int ip;
        private final int port;
        private final boolean reuseAddress;
        private final boolean reusePort;
        private boolean listening;
        private boolean released;

        private Binding(int ip, int port, boolean reuseAddress, boolean reusePort) {
            this.ip = ip;
            this.port = port;
            this.reuseAddress = reuseAddress;
            this.reusePort = reusePort;
        }

        /** @return the bound port */
        int port() {
            return port;
        }

        /** @return the bound address, 0 for the wildcard */
        int ip() {
            return ip;
        }

        /**
         * Turns the binding into a listener's, checking the rules again as listen() does.
         *
         * @throws BindException if another socket on the port forbids it
         */
        void listen() throws BindException {
            listening = true;
            for (Binding other : bindings.get(port)) {
                if (other != this && conflict(this, other)) {
                    listening = false;
                    throw new BindException("Address already in use");
                }
            }
        }

        /** Frees the port (the socket is closed). Idempotent. */
        void release() {
            if (released) {
                return;
            }
            released = true;
            List<Binding> onPort = bindings.get(port);
            onPort.remove(this);
            if (onPort.isEmpty()) {
                bindings.remove(port);
            }
        }

        @Override
        public String toString() {
            return (ip == 0 ? "*" : Ipv4.toString(ip)) + ":" + port + (reuseAddress ? " SO_REUSEADDR" : "")
                    + (reusePort ? " SO_REUSEPORT" : "") + (listening ? " LISTEN" : "");
        }
    }

    private final Map<Integer, List<Binding>> bindings = new HashMap<>();
    private final RandomGenerator random;

    PortTable(RandomGenerator random) {
        this.random = random;
    }

    /**
     * Binds {@code ip}:{@code port} (port not 0).
     *
     * @throws BindException if the rules forbid it ("Address already in use")
     */
    Binding bind(int ip, int port, boolean reuseAddress, boolean reusePort) throws BindException {
        Binding b = new Binding(ip, port, reuseAddress, reusePort);
        List<Binding> onPort = bindings.computeIfAbsent(port, p -> new ArrayList<>());
        for (Binding other : onPort) {
            if (conflict(b, other)) {
                throw new BindException("Address already in use");
            }
        }
        onPort.add(b);
        return b;
    }

    /**
     * @param even an even port (FreshPorts' and the kernel's bind(port 0) choice) or an odd one
     *     (the kernel's choice for a connect without bind)
     * @return a random port of the ephemeral range with no socket on {@code ip} (or the wildcard)
     * @throws BindException if the range is full
     */
    int freshPort(int ip, boolean even) throws BindException {
        int slots = (EPHEMERAL_HIGH - EPHEMERAL_LOW) / 2 + 1;
        int first = random.nextInt(slots);
        for (int i = 0; i < slots; i++) {
            int port = EPHEMERAL_LOW + 2 * ((first + i) % slots) + (even ? 0 : 1);
            if (port <= EPHEMERAL_HIGH && free(ip, port)) {
                return port;
            }
        }
        throw new BindException("Address already in use (no free ephemeral port)");
    }

    /** @return what is bound on {@code port} (tests) */
    List<String> describe(int port) {
        return bindings.getOrDefault(port, List.of()).stream().map(Binding::toString).toList();
    }

    private boolean free(int ip, int port) {
        for (Binding b : bindings.getOrDefault(port, List.of())) {
            if (overlap(ip, b.ip)) {
                return false;
            }
        }
        return true;
    }

    private static boolean conflict(Binding a, Binding b) {
        if (!overlap(a.ip, b.ip)) {
            return false;
        }
        if (a.reusePort && b.reusePort) {
            return false;
        }
        return !(a.reuseAddress && b.reuseAddress && !a.listening && !b.listening);
    }

    private static boolean overlap(int a, int b) {
        return a == b || a == 0 || b == 0;
    }
}
