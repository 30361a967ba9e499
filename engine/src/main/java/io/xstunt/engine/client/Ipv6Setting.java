package io.xstunt.engine.client;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.Enumeration;

/**
 * Whether and how a client offers a direct IPv6 path (docs/PROTOCOL.md "IPv6"): with it on and an
 * IPv6 address to use, the client registers its IPv6 endpoint with an xstunt server, and a
 * rendezvous with a peer that did the same races a TCP simultaneous open over IPv6 against the
 * IPv4 punch, Happy Eyeballs style (RFC 8305): IPv6 first, the IPv4 punch {@code headStart} later.
 *
 * @param enabled false: no IPv6 at all (nothing registered, nothing raced)
 * @param address the IPv6 address to register and open from; null: the first global unicast
 *     address (2000::/3) of an interface that is up, found when the client starts
 * @param port the local port of every IPv6 attempt; 0: a free one picked when the client starts
 * @param headStart how long IPv6 leads the IPv4 punch (RFC 8305's Connection Attempt Delay)
 */
public record Ipv6Setting(boolean enabled, Inet6Address address, int port, Duration headStart) {
    /** RFC 8305's recommended Connection Attempt Delay. */
    public static final Duration DEFAULT_HEAD_START = Duration.ofMillis(250);
    /** On, address found on the interfaces, a free port, the recommended head start. */
    public static final Ipv6Setting AUTO = new Ipv6Setting(true, null, 0, DEFAULT_HEAD_START);
    /** Off. */
    public static final Ipv6Setting OFF = new Ipv6Setting(false, null, 0, DEFAULT_HEAD_START);

    /** Checks the parts. */
    public Ipv6Setting {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("IPv6 port must be 0..65535, got " + port);
        }
        if (headStart == null || headStart.isNegative() || headStart.compareTo(Duration.ofSeconds(2)) > 0) {
            throw new IllegalArgumentException("IPv6 head start must be 0..2 s, got " + headStart);
        }
    }

    /** @return on, from {@code address} (a free port, the recommended head start) */
    public static Ipv6Setting from(Inet6Address address) {
        return new Ipv6Setting(true, address, 0, DEFAULT_HEAD_START);
    }

    /** @return this setting with {@code headStart} */
    public Ipv6Setting withHeadStart(Duration headStart) {
        return new Ipv6Setting(enabled, address, port, headStart);
    }

    /**
     * @return the address to use: the configured one, else the first global unicast address
     *     (2000::/3, so not ULA, link-local or loopback) of an interface that is up; null: none
     */
    public Inet6Address resolve() {
        if (!enabled) {
            return null;
        }
        if (address != null) {
            return address;
        }
        try {
            Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
            while (all != null && all.hasMoreElements()) {
                NetworkInterface n = all.nextElement();
                if (!n.isUp() || n.isLoopback()) {
                    continue;
                }
                for (Enumeration<InetAddress> as = n.getInetAddresses(); as.hasMoreElements(); ) {
                    if (as.nextElement() instanceof Inet6Address a && globalUnicast(a)) {
                        return a;
                    }
                }
            }
        } catch (SocketException e) {
            return null; // no interfaces to read: no IPv6
        }
        return null;
    }

    /** @return true for 2000::/3, the global unicast range (no zone) */
    static boolean globalUnicast(Inet6Address a) {
        return (a.getAddress()[0] & 0xe0) == 0x20;
    }

    @Override
    public String toString() {
        return !enabled ? "ipv6 off" : "ipv6 " + (address == null ? "auto" : address.getHostAddress())
                + (port == 0 ? "" : " port " + port) + " head start " + headStart.toMillis() + " ms";
    }
}
