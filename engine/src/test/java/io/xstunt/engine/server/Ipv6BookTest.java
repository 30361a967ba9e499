package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.registry.Holder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The server's IPv6 endpoints by ID: an entry lives as long as its registration, a newer one replaces it. */
class Ipv6BookTest {
    private static InetSocketAddress at(String literal, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(literal), port);
    }

    @Test
    void anEndpointGoesWithItsRegistrationAndNotWithAnOlderOne() throws Exception {
        Ipv6Book book = new Ipv6Book();
        Holder first = new Holder("s", 1);
        Holder second = new Holder("s", 2);
        book.put("alice", first, at("2001:db8::1", 4000));
        assertEquals(at("2001:db8::1", 4000), book.of("alice"));
        book.put("alice", second, at("2001:db8::2", 4001)); // registered again before the old one's close
        book.forget(first); // the old registration's close must not take the new endpoint
        assertEquals(at("2001:db8::2", 4001), book.of("alice"));
        book.forget(second);
        assertNull(book.of("alice"));
        assertEquals(0, book.size());
        assertNull(book.of("bob"));
        book.forget(new Holder("s", 9)); // nothing registered: nothing happens
    }
}
