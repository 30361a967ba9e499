package io.xstunt.engine.server;

import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;

/**
 * The family-neutral key by which the server knows a client's source: everything that XSTUNT 1.0
 * keys by the public IPv4 (the registry's {@code pub}, the same-NAT answer, PROBE replacement, the
 * holder-IP checks of MSG_CONNECT and MSG_DEREGISTER, the control channel's pairing, the
 * per-source connection limit, LogHello's and the echo replies' IP) takes this key instead.
 *
 * <p>An IPv4 source is its address, as before. An IPv6 source, which has no IPv4, gets a value from
 * 240.0.0.0/4 (reserved, never routed: no SYN sent to it can reach a third party's host), derived
 * from the address (the first 28 bits of its SHA-256), so that servers sharing a registry usually
 * agree on it. Two IPv6 sources whose values collide while both are held get different keys: the
 * later one takes the next free value of the range. A key is held as long as the server holds a
 * connection from its address ({@link #hold}, {@link #release}). Loop thread only.
 */
final class SourceKeys {
    /** 240.0.0.0/4: the keys of IPv6 sources. */
    static final int SYNTHETIC_PREFIX = Ipv4.SOURCE_KEY_PREFIX;
    private static final int SYNTHETIC_MASK = Ipv4.SOURCE_KEY_MASK;

    private final Map<Inet6Address, Held> byAddress = new HashMap<>();
    private final Map<Integer, Inet6Address> byKey = new HashMap<>();

    private static final class Held {
        final int key;
        int count;

        Held(int key) {
            this.key = key;
        }
    }

    /** @return true if {@code key} stands for an IPv6 source (it is in 240.0.0.0/4) */
    static boolean isSynthetic(int key) {
        return Ipv4.isSourceKey(key);
    }

    /**
     * @return the key of {@code source}: its IPv4 as a big-endian int, or for IPv6 the key it holds,
     *     else the one {@link #hold} would give it now
     * @throws IllegalArgumentException if {@code source} is neither IPv4 nor IPv6
     */
    int keyOf(InetAddress source) {
        if (source instanceof Inet4Address) {
            return Ipv4.toInt(source);
        }
        if (!(source instanceof Inet6Address a)) {
            throw new IllegalArgumentException("not an IP address: " + source);
        }
        Held h = byAddress.get(a);
        return h != null ? h.key : freeKey(a);
    }

    /** One more connection from {@code source} is held: its key stays until the last is released. */
    int hold(InetAddress source) {
        if (!(source instanceof Inet6Address a)) {
            return keyOf(source);
        }
        Held h = byAddress.computeIfAbsent(a, x -> {
            Held n = new Held(freeKey(x));
            byKey.put(n.key, x);
            return n;
        });
        h.count++;
        return h.key;
    }

    /** One connection from {@code source} is no longer held. */
    void release(InetAddress source) {
        if (source instanceof Inet6Address a) {
            Held h = byAddress.get(a);
            if (h != null && --h.count == 0) {
                byAddress.remove(a);
                byKey.remove(h.key);
            }
        }
    }

    /** @return the number of IPv6 sources holding a key (leak checks) */
    int held() {
        return byAddress.size();
    }

    private int freeKey(Inet6Address a) {
        int key = derived(a);
        // the 2^28 values cannot all be held: the per-source limit and maxClients bound the holders
        while (byKey.containsKey(key) && !byKey.get(key).equals(a)) {
            key = SYNTHETIC_PREFIX | (key + 1) & SYNTHETIC_MASK;
        }
        return key;
    }

    /** @return the value of 240.0.0.0/4 derived from {@code a} alone (before any collision) */
    static int derived(Inet6Address a) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(a.getAddress());
            return SYNTHETIC_PREFIX | ByteBuffer.wrap(h).getInt() & SYNTHETIC_MASK;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }
}
