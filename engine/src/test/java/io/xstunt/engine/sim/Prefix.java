package io.xstunt.engine.sim;

import io.xstunt.engine.wire.Ipv4;

/**
 * An IPv4 network, such as a route's destination: {@code 10.0.1.0/24}.
 *
 * @param network the network address (host bits zero)
 * @param length the prefix length, 0..32
 */
public record Prefix(int network, int length) {
    /** Checks the length and clears the host bits. */
    public Prefix {
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("prefix length must be 0..32, got " + length);
        }
        network &= mask(length);
    }

    /** @return the prefix of {@code "a.b.c.d/len"} */
    public static Prefix parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a prefix (a.b.c.d/len): '" + text + "'");
        }
        return new Prefix(Ipv4.toInt(Ipv4.parse(text.substring(0, slash))),
                Integer.parseInt(text.substring(slash + 1)));
    }

    /** @return true if {@code ip} lies in this network */
    public boolean contains(int ip) {
        return (ip & mask(length)) == network;
    }

    /** @return the address {@code offset} into this network (offset 1: a LAN's router, by habit) */
    public int address(int offset) {
        return network + offset;
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    @Override
    public String toString() {
        return Ipv4.toString(network) + "/" + length;
    }
}
