package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One layer-2 segment, as natlab's bridges: the internet ({@code br0}) or a NAT's LAN
 * ({@code lan0}). Nodes attach through a {@link Link} with the addresses they answer for; a packet
 * sent to one of those addresses arrives after the sender's up delay plus the receiver's down
 * delay, unless either link loses it. Packets between the same two ports keep their order.
 */
public final class Bridge {
    /** A node's attachment: its link and the addresses it answers for (its ARP entries). */
    public final class Port {
        private final Node node;
        private final Link link;
        private final int[] addresses;

        private Port(Node node, Link link, int[] addresses) {
            this.node = node;
            this.link = link;
            this.addresses = addresses;
        }

        /** @return the bridge it is on */
        public Bridge bridge() {
            return Bridge.this;
        }

        /** @return the node attached */
        Node node() {
            return node;
        }

        /** @return the addresses it answers for */
        int[] addresses() {
            return addresses.clone();
        }

        /** Sends {@code p} across the bridge to whoever answers for {@code nextHop}. */
        void send(int nextHop, Packet p) {
            Bridge.this.send(this, nextHop, p);
        }
    }

    private final SimNetwork net;
    private final String name;
    private final List<Prefix> onLink;
    private final Map<Integer, Port> byAddress = new HashMap<>();
    private final List<Port> ports = new ArrayList<>();

    Bridge(SimNetwork net, String name, List<Prefix> onLink) {
        this.net = net;
        this.name = name;
        this.onLink = List.copyOf(onLink);
    }

    /** @return its name */
    public String name() {
        return name;
    }

    /** @return true if {@code ip} is routed on this segment (no gateway needed) */
    boolean isOnLink(int ip) {
        for (Prefix p : onLink) {
            if (p.contains(ip)) {
                return true;
            }
        }
        return false;
    }

    /** Attaches {@code node} through {@code link}, answering for {@code addresses}. */
    Port attach(Node node, Link link, int... addresses) {
        for (int a : addresses) {
            if (!isOnLink(a)) {
                throw new IllegalArgumentException(Ipv4.toString(a) + " is not on " + this);
            }
            if (byAddress.containsKey(a)) {
                throw new IllegalArgumentException(Ipv4.toString(a) + " is taken on " + this + " by "
                        + byAddress.get(a).node.name());
            }
        }
        Port p = new Port(node, link, addresses.clone());
        for (int a : addresses) {
            byAddress.put(a, p);
        }
        ports.add(p);
        return p;
    }

    private void send(Port from, int nextHop, Packet p) {
        Port to = byAddress.get(nextHop);
        if (to == null) {
            net.trace().add(from.node.name(), "no-neighbour", p); // no ARP answer: the packet goes nowhere
            return;
        }
        if (lost(from.link.upLoss()) | lost(to.link.downLoss()) || net.takeInjectedLoss(p)) {
            net.trace().add(from.node.name(), "lost", p);
            if (p instanceof Segment s && s.recovery() != null) {
                s.recovery().lost(s);
            }
            return;
        }
        net.events().after(from.link.upDelayNs() + to.link.downDelayNs(), () -> {
            net.trace().add(to.node.name(), "arrives", p);
            to.node.receive(p, to);
        });
    }

    /** Draws only where loss is configured, so a lossless setup uses no random numbers. */
    private boolean lost(double probability) {
        return probability > 0 && net.random().nextDouble() < probability;
    }

    @Override
    public String toString() {
        return "bridge " + name + " " + onLink;
    }
}
