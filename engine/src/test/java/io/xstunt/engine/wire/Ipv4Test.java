package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4Test {
    @Test
    void intIsTheAddressBytesBigEndian() throws Exception {
        assertEquals(0x7F000001, Ipv4.toInt(InetAddress.getByAddress(new byte[] {127, 0, 0, 1})));
        assertEquals(0xCB007107, Ipv4.toInt(InetAddress.getByAddress(new byte[] {(byte) 203, 0, 113, 7})));
        assertArrayEquals(new byte[] {(byte) 192, (byte) 168, 1, 20}, Ipv4.toAddress(0xC0A80114).getAddress());
    }

    @Test
    void formats() {
        assertEquals("127.0.0.1", Ipv4.toString(0x7F000001));
        assertEquals("0.0.0.0", Ipv4.toString(0));
        assertEquals("255.255.255.255", Ipv4.toString(0xFFFFFFFF));
        assertEquals("203.0.113.7", Ipv4.toString(0xCB007107));
        assertEquals("128.1.2.3", Ipv4.toString(0x80010203));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "203.0.113.7", "10.20.30.40", "128.0.0.12"})
    void parseAndFormatRoundTrip(String text) {
        int ip = Ipv4.toInt(Ipv4.parse(text));
        assertEquals(text, Ipv4.toString(ip));
        assertEquals(ip, Ipv4.toInt(Ipv4.toAddress(ip)));
    }

    @Test
    void parseValues() {
        assertEquals(0x7F00000C, Ipv4.toInt(Ipv4.parse("127.0.0.12")));
        assertEquals(0xFFFFFFFF, Ipv4.toInt(Ipv4.parse("255.255.255.255")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "1..2.3", "1.2.3.", ".1.2.3",
        " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "-1.2.3.4", "+1.2.3.4", "1.2.3.0x4", "1234.1.1.1", "1.2.3.4/8",
        "::1", "localhost", "\u0661.\u0662.\u0663.\u0664", "1.2.3.\uff14", "1.2.3.\u0664",
    })
    void badLiteralsAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> Ipv4.parse(text));
    }

    @Test
    void ipv6IsRejected() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        assertThrows(IllegalArgumentException.class, () -> Ipv4.toInt(v6));
    }
}
