package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.Ipv6Loopback;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet6Address;
import org.junit.jupiter.api.Test;

/** The server's family-neutral source keys: IPv4 as it is, IPv6 into 240.0.0.0/4, collisions apart. */
class SourceKeysTest {
    // two addresses whose SHA-256 starts with the same 28 bits (found by a search over 2001:db8::/112)
    private static final Inet6Address COLLIDING_A = Ipv6Loopback.literal("2001:db8::7b6");
    private static final Inet6Address COLLIDING_B = Ipv6Loopback.literal("2001:db8::4975");

    @Test
    void anIpv4SourceIsItsAddress() {
        SourceKeys keys = new SourceKeys();
        assertEquals(Ipv4.toInt(Ipv4.parse("198.51.100.7")), keys.keyOf(Ipv4.parse("198.51.100.7")));
        assertEquals(Ipv4.toInt(Ipv4.parse("198.51.100.7")), keys.hold(Ipv4.parse("198.51.100.7")));
        assertEquals(0, keys.held(), "IPv4 keys are not tabled");
        assertFalse(SourceKeys.isSynthetic(Ipv4.toInt(Ipv4.parse("198.51.100.7"))));
    }

    @Test
    void anIpv6SourceGetsAStableKeyOf240Slash4DerivedFromItsAddress() {
        SourceKeys keys = new SourceKeys();
        int k = keys.keyOf(Ipv6Loopback.literal("::1"));
        assertEquals("252.60.205.16", Ipv4.toString(k), "the first 28 bits of SHA-256(::1) under 240/4");
        assertTrue(SourceKeys.isSynthetic(k));
        assertEquals(k, keys.hold(Ipv6Loopback.literal("::1")));
        assertEquals(k, keys.hold(Ipv6Loopback.literal("::1")), "the same address, the same key");
        assertEquals(k, new SourceKeys().keyOf(Ipv6Loopback.literal("::1")), "another server derives the same");
        assertNotEquals(k, keys.keyOf(Ipv6Loopback.literal("2001:db8::1")));
    }

    @Test
    void collidingAddressesGetDifferentKeysWhileBothAreHeld() {
        assertEquals(SourceKeys.derived(COLLIDING_A), SourceKeys.derived(COLLIDING_B), "the fixture collides");
        SourceKeys keys = new SourceKeys();
        int a = keys.hold(COLLIDING_A);
        int b = keys.hold(COLLIDING_B);
        assertEquals(SourceKeys.derived(COLLIDING_A), a, "the first holder keeps the derived value");
        assertNotEquals(a, b, "the second is moved to the next free value");
        assertTrue(SourceKeys.isSynthetic(b));
        assertEquals(b, keys.keyOf(COLLIDING_B), "and keeps it while held");
        keys.release(COLLIDING_A);
        assertEquals(b, keys.keyOf(COLLIDING_B), "a held key never changes under its holder");
        keys.release(COLLIDING_B);
        assertEquals(0, keys.held(), "nothing is left once released");
        assertEquals(SourceKeys.derived(COLLIDING_B), keys.keyOf(COLLIDING_B));
    }

    @Test
    void theKeysOfIpv6AreExactly240Slash4() {
        assertTrue(SourceKeys.isSynthetic(0xFFFF_FFFF));
        assertFalse(SourceKeys.isSynthetic(0xEFFF_FFFF));
        assertFalse(SourceKeys.isSynthetic(0));
    }

    @Test
    void aReleaseOfWhatWasNeverHeldChangesNothing() {
        SourceKeys keys = new SourceKeys();
        keys.release(Ipv6Loopback.literal("::1"));
        keys.release(Ipv4.parse("127.0.0.1"));
        assertEquals(0, keys.held());
        assertThrows(IllegalArgumentException.class, () -> keys.hold(null), "not an address");
    }
}
