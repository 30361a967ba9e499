package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The IPv6 address extension's two forms, byte by byte (docs/PROTOCOL.md "IPv6"). */
class Ipv6ExtensionTest {
    private static InetSocketAddress endpoint(String literal, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(literal), port);
    }

    @Test
    void theRegistrationLineIsTheMarkTheTagAndTheEndpointInText() throws Exception {
        ByteBuffer b = Ipv6Extension.line(endpoint("2001:db8:0:0:0:0:0:a", 40001));
        assertEquals("01 41 36 20 32 30 30 31 3a 64 62 38 3a 3a 61 20 34 30 30 30 31 0a", Hex.of(b.array()).trim());
        assertEquals("\u0001A6 2001:db8::a 40001\n", new String(b.array(), StandardCharsets.US_ASCII));
    }

    @Test
    void aLineReadsBack() throws Exception {
        assertEquals(endpoint("2001:db8::a", 40001), Ipv6Extension.parseLine("2001:db8::a 40001"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "2001:db8::a", "2001:db8::a 0", "2001:db8::a 65536", "2001:db8::a x",
        "203.0.113.5 40001", "localhost 40001", "fe80::1%eth0 40001", "2001:db8::a 1 2", "[2001:db8::a] 1"})
    void aBadLineIsAClearError(String arguments) {
        assertThrows(WireFormatException.class, () -> Ipv6Extension.parseLine(arguments));
    }

    @ParameterizedTest
    @CsvSource({"2001:db8:0:0:0:0:0:1, 2001:db8::1", "0:0:0:0:0:0:0:1, ::1", "2001:db8:0:1:0:0:0:0, 2001:db8:0:1::",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", "2001:0:0:1:0:0:0:1, 2001:0:0:1::1", "0:0:0:0:0:0:0:0, ::"})
    void literalsAreRfc5952(String full, String compressed) throws Exception {
        assertEquals(compressed, Ipv6Extension.literal(InetAddress.getByName(full)));
    }

    @ParameterizedTest
    @EnumSource(WireVariant.class)
    void thePeerRecordIsEchoSizedWithTheMarkerAndReadsBack(WireVariant variant) throws Exception {
        ByteBuffer b = Ipv6Extension.record(0x01020304, endpoint("2001:db8::7", 40002), variant);
        assertEquals(variant.echoSize(), b.remaining());
        byte[] head = new byte[32];
        b.get(0, head);
        assertEquals("00 00 00 00 00 00 41 36 01 02 03 04 9c 42 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 07",
                Hex.of(head).trim());
        for (int i = 32; i < variant.echoSize(); i++) {
            assertEquals(0, b.get(i), "byte " + i);
        }
        assertTrue(Ipv6Extension.at(b));
        assertFalse(RelayNotice.at(b));
        Ipv6Extension.PeerRecord r = Ipv6Extension.read(b, variant);
        assertEquals(new Ipv6Extension.PeerRecord(0x01020304, endpoint("2001:db8::7", 40002)), r);
        assertEquals(variant.echoSize(), b.position());
    }

    @Test
    void aKeepaliveOrAnAnnouncementIsNoPeerRecord() {
        assertFalse(Ipv6Extension.at(ByteBuffer.allocate(WireVariant.ID32.echoSize())));
        ByteBuffer announcement = ByteBuffer.allocate(WireVariant.ID32.echoSize());
        new Echo(0x7f000001, 4000, 9, "bob", 0, Protocol.ROLE_INITIATOR).write(announcement, WireVariant.ID32);
        RelayFrame.writeAnnouncementFlags(announcement, 0, Ipv6Extension.MARKER);
        assertFalse(Ipv6Extension.at(announcement.flip()), "an address in nIP: an announcement whatever its flags");
    }

    @Test
    void onlyIpv6EndpointsWithAPort() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Ipv6Extension.line(endpoint("203.0.113.5", 1)));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Extension.line(endpoint("2001:db8::1", 0)));
    }
}
