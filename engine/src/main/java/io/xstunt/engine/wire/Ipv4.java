package io.xstunt.engine.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 addresses as the protocol carries them: the four address bytes in network order
 * (a {@code s_addr}), held here as a big-endian {@code int}.
 */
public final class Ipv4 {
    private Ipv4() {
    }

    /** @return the address as a big-endian int (first octet in the high byte) */
    public static int toInt(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        byte[] b = address.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** @return the address of a big-endian int */
    public static Inet4Address toAddress(int ip) {
        byte[] b = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    /** 240.0.0.0/4: where an xstunt server keys a client that reached it over IPv6 (docs/PROTOCOL.md "IPv6"). */
    public static final int SOURCE_KEY_PREFIX = 0xF000_0000;
    /** The bits of a source key below {@link #SOURCE_KEY_PREFIX}. */
    public static final int SOURCE_KEY_MASK = 0x0FFF_FFFF;

    /**
     * @return true if {@code ip} is in 240.0.0.0/4: reserved, never routed, so the server's key of
     *     an IPv6 source; an IPv4 SYN sent to it reaches nobody
     */
    public static boolean isSourceKey(int ip) {
        return (ip & ~SOURCE_KEY_MASK) == SOURCE_KEY_PREFIX;
    }

    /** @return dotted-quad text of a big-endian int */
    public static String toString(int ip) {
        return (ip >>> 24) + "." + (ip >>> 16 & 0xff) + "." + (ip >>> 8 & 0xff) + "." + (ip & 0xff);
    }

    /**
     * Parses a dotted-quad literal without any name lookup.
     *
     * @throws IllegalArgumentException if the text is not an IPv4 literal
     */
    public static Inet4Address parse(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int ip = 0;
        for (String p : parts) {
            // ASCII digits only: Character.isDigit and Integer.parseInt also take other scripts' digits.
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            ip = ip << 8 | v;
        }
        return toAddress(ip);
    }
}
