package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A NAT router as natlab builds one from Linux conntrack and nftables: a public address on the
 * internet, a LAN behind it, and the lab's ruleset. From the LAN, a SYN without a conntrack entry
 * gets one and a public port ({@link PortMapping}); every packet of a connection is tracked
 * ({@link ConntrackEntry}) and translated; conntrack's invalid packets are dropped and counted
 * ({@code fwd_invalid}). From the internet, only packets that match an entry's reply tuple come in
 * (filtering on the full remote address and port: "port-restricted"), ICMP errors about a
 * tracked connection too (RELATED); anything else is unsolicited and gets the
 * {@link InboundPolicy} (counted as {@code inbound_tcp}). No hairpinning: a LAN host's packet to the
 * router's own addresses is answered with a RST. No route beyond the two segments: ICMP net
 * unreachable.
 */
public final class NatRouter implements Node {
    private final SimNetwork sim;
    private final String name;
    private final NatConfig config;
    private final int publicIp;
    private final int lanIp;
    private final Bridge lan;
    private final Conntrack conntrack;
    private final Bridge.Port wanPort;
    private final Bridge.Port lanPort;
    private final List<Consumer<NewMapping>> mappingWatchers = new ArrayList<>();
    private long inboundTcp;
    private long invalidDrops;
    private long sequence;

    NatRouter(SimNetwork sim, String name, NatConfig config, Bridge wan, Link wanLink, int publicIp, Prefix lanPrefix) {
        this.sim = sim;
        this.name = name;
        this.config = config;
        this.publicIp = publicIp;
        this.lanIp = lanPrefix.address(1);
        this.lan = sim.bridge(name + "-lan", lanPrefix.toString());
        this.conntrack = new Conntrack(sim.events());
        this.wanPort = wan.attach(this, wanLink, publicIp);
        this.lanPort = lan.attach(this, Link.NONE, lanIp);
    }

    @Override
    public String name() {
        return name;
    }

    /** @return a new host on this router's LAN, with the router as its gateway */
    public SimHost host(String hostName, String address) {
        return sim.host(hostName, lan, Link.NONE, lanIp, address);
    }

    /** @return its behaviour */
    public NatConfig config() {
        return config;
    }

    /** @return its public address */
    public InetAddress publicAddress() {
        return Ipv4.toAddress(publicIp);
    }

    /** @return unsolicited inbound TCP packets that got the inbound policy (natlab's {@code inbound_tcp} counter) */
    public long inboundTcp() {
        return inboundTcp;
    }

    /** @return packets conntrack found invalid, dropped (natlab's {@code fwd_invalid} counter) */
    public long invalidDrops() {
        return invalidDrops;
    }

    /**
     * A connection got its public address: what natlab sees with {@code conntrack -E -e NEW}.
     *
     * @param source the LAN host's address and port
     * @param destination where it connects to
     * @param mapped the public address it got
     */
    public record NewMapping(InetSocketAddress source, InetSocketAddress destination, InetSocketAddress mapped) {
    }

    /**
     * Calls {@code watcher} with every new mapping, when the router creates it (in the SYN's
     * event, before the SYN goes on): a test can act between two connections of a host.
     */
    public void onNewMapping(Consumer<NewMapping> watcher) {
        mappingWatchers.add(watcher);
    }

    /** @return the live conntrack entries, one line each */
    public List<String> conntrackEntries() {
        return conntrack.describe();
    }

    @Override
    public void receive(Packet p, Bridge.Port via) {
        if (via == wanPort) {
            fromInternet(p);
        } else {
            fromLan(p);
        }
    }

    private void fromLan(Packet p) {
        if (!(p instanceof Segment s)) {
            return; // hosts send no ICMP in this simulation
        }
        if (s.dstIp() == publicIp || s.dstIp() == lanIp) {
            if (!s.has(Segment.RST)) {
                trace("no-hairpin", s);
                lanPort.send(s.srcIp(), Segment.resetFor(s));
            }
            return;
        }
        if (!wanPort.bridge().isOnLink(s.dstIp())) {
            trace("no-route", s);
            lanPort.send(s.srcIp(), new IcmpError(lanIp, s.srcIp(), IcmpError.Unreachable.NETWORK, s));
            return;
        }
        Flow original = new Flow(s.src(), s.dst());
        ConntrackEntry e = conntrack.original(original);
        if (e != null && s.isSyn() && e.closed()) {
            conntrack.remove(e); // a new connection on a tuple in TIME_WAIT or CLOSE: a new entry
            e = null;
        }
        if (e == null) {
            if (!s.isSyn()) {
                trace("drop-untracked", s);
                return;
            }
            Endpoint mapped = config.mapping() == NatMapping.SEQUENTIAL
                    ? PortMapping.sequential(config, publicIp, original, conntrack, sequence++)
                    : PortMapping.choose(config, publicIp, original, conntrack, sim.random());
            if (mapped == null) {
                trace("drop-no-port", s);
                return;
            }
            e = conntrack.create(original, mapped);
            trace("new-mapping", e.toString());
            NewMapping m = new NewMapping(original.src().toSocketAddress(), original.dst().toSocketAddress(),
                    mapped.toSocketAddress());
            List.copyOf(mappingWatchers).forEach(w -> w.accept(m));
        }
        if (tracked(e, s, false)) {
            wanPort.send(s.dstIp(), s.withSource(e.mapped()));
        }
    }

    private void fromInternet(Packet p) {
        switch (p) {
            case IcmpError icmp -> related(icmp);
            case Segment s -> {
                ConntrackEntry e = s.dstIp() == publicIp ? conntrack.reply(new Flow(s.src(), s.dst())) : null;
                if (e == null) {
                    unsolicited(s);
                } else if (tracked(e, s, true)) {
                    Endpoint host = e.original().src();
                    lanPort.send(host.ip(), s.withDestination(host));
                }
            }
        }
    }

    /** An ICMP error about a packet we translated goes to its LAN host, translated back (RELATED). */
    private void related(IcmpError icmp) {
        Segment inner = icmp.original();
        ConntrackEntry e = conntrack.reply(new Flow(inner.dst(), inner.src()));
        if (e == null) {
            trace("drop-icmp", icmp);
            return;
        }
        Endpoint host = e.original().src();
        lanPort.send(host.ip(), icmp.translated(host.ip(), inner.withSource(host)));
    }

    private void unsolicited(Segment s) {
        if (s.has(Segment.RST)) {
            trace("drop-rst", s); // a RST without an entry is invalid: it opens nothing
            return;
        }
        inboundTcp++;
        switch (config.inbound()) {
            case DROP -> trace("drop-inbound", s);
            case RST -> {
                trace("reject-rst", s);
                wanPort.send(s.srcIp(), Segment.resetFor(s));
            }
            case ICMP, ICMP_ADMIN -> {
                trace("reject-icmp", s);
                IcmpError.Unreachable kind = config.inbound() == InboundPolicy.ICMP ? IcmpError.Unreachable.PORT
                        : IcmpError.Unreachable.ADMIN_PROHIBITED;
                wanPort.send(s.srcIp(), new IcmpError(publicIp, s.srcIp(), kind, s));
            }
        }
    }

    /** @return true if conntrack lets {@code s} pass (it may delete the entry on the way) */
    private boolean tracked(ConntrackEntry e, Segment s, boolean fromReply) {
        switch (e.track(s, fromReply, config.liberal(), sim.events().nowNs())) {
            case INVALID -> {
                invalidDrops++;
                trace("drop-invalid", s + " (" + e.state() + ")");
                return false;
            }
            case ACCEPT_AND_DELETE -> {
                trace("delete-entry", e.toString());
                conntrack.remove(e);
                return true;
            }
            default -> {
                return true;
            }
        }
    }

    private void trace(String event, Object subject) {
        sim.trace().add(name, event, subject);
    }

    @Override
    public String toString() {
        return name + " " + Ipv4.toString(publicIp) + " (" + config + ")";
    }
}
