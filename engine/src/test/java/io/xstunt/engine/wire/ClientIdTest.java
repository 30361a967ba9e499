package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientIdTest {
    private static final String ID32 = "abcdefghijklmnopqrstuvwxyz012345";

    private static final WireVariant V32 = WireVariant.ID32;
    private static final WireVariant V31 = WireVariant.ID31;

    @Test
    void fieldIsMaxIdLenPlusOne() {
        assertEquals(33, V32.idFieldSize());
        assertEquals(32, V31.idFieldSize());
    }

    @Test
    void thePublishedVariantTakesAtMost31Bytes() {
        String id31 = ID32.substring(0, 31);
        assertEquals(id31, ClientId.validate(id31, V31));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(ID32, V31));
        assertEquals(Hex.of(Hex.bytes("\"" + id31 + "\" 00")),
                Hex.of(Codec.encode(32, b -> ClientId.write(b, id31, V31))));
        assertEquals(id31, Codec.decode(Hex.bytes("\"" + id31 + "\" 00"), b -> ClientId.read(b, V31)));
        assertThrows(WireFormatException.class,
                () -> ClientId.read(ByteBuffer.wrap(Hex.bytes("\"" + ID32 + "\"")), V31));
        assertEquals("alice", Codec.decode(Hex.bytes("\"alice\" 00*27"), b -> ClientId.read(b, V31)));
        assertTrue(ClientId.fits(id31, V31));
        assertFalse(ClientId.fits(ID32, V31));
        assertTrue(ClientId.fits(ID32, V32));
    }

    @Test
    void aTerminatorIsFoundOnlyWithinTheLengthGiven() {
        ByteBuffer b = ByteBuffer.wrap(Hex.bytes("41*32 00"));
        assertFalse(ClientId.hasTerminator(b, 32));
        assertTrue(ClientId.hasTerminator(b, 33));
        assertEquals(0, b.position());
    }

    @Test
    void writesNulTerminatedAndPadded() {
        assertEquals(Hex.of(Hex.bytes("\"alice\" 00*28")),
                Hex.of(Codec.encode(33, b -> ClientId.write(b, "alice", V32))));
    }

    @Test
    void emptyIdIsAllNul() {
        assertEquals(Hex.of(Hex.bytes("00*33")), Hex.of(Codec.encode(33, b -> ClientId.write(b, "", V32))));
        assertEquals("", Codec.decode(Hex.bytes("00*33"), b -> ClientId.read(b, V32)));
    }

    @Test
    void exactly32BytesFitWithTheTerminator() {
        byte[] field = Hex.bytes("\"" + ID32 + "\" 00");
        assertEquals(Hex.of(field), Hex.of(Codec.encode(33, b -> ClientId.write(b, ID32, V32))));
        assertEquals(ID32, Codec.decode(field, b -> ClientId.read(b, V32)));
        assertEquals(ID32, ClientId.validate(ID32));
    }

    @Test
    void thirtyThreeBytesAreRejected() {
        String id33 = ID32 + "6";
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(id33));
        assertThrows(IllegalArgumentException.class, () -> ClientId.write(ByteBuffer.allocate(64), id33, V32));
        // 33 non-NUL bytes: no room for the terminator.
        assertThrows(WireFormatException.class,
                () -> ClientId.read(ByteBuffer.wrap(Hex.bytes("\"" + id33 + "\"")), V32));
    }

    @Test
    void lengthCountsUtf8BytesNotChars() {
        String sixteenEAcute = "é".repeat(16); // 32 bytes of UTF-8
        assertEquals(sixteenEAcute, ClientId.validate(sixteenEAcute));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(sixteenEAcute + "a"));
        byte[] field = Hex.bytes("c3 a9 ".repeat(16) + "00");
        assertEquals(sixteenEAcute, Codec.decode(field, b -> ClientId.read(b, V32)));
        assertEquals(Hex.of(field), Hex.of(Codec.encode(33, b -> ClientId.write(b, sixteenEAcute, V32))));
    }

    @Test
    void supplementaryCharactersAreValid() {
        String smile = "\uD83D\uDE00x"; // U+1F600: f0 9f 98 80
        assertEquals(smile, ClientId.validate(smile));
        assertEquals(smile, Codec.decode(Hex.bytes("f0 9f 98 80 \"x\" 00*28"), b -> ClientId.read(b, V32)));
    }

    @Test
    void noNulTerminatorIsAWireFormatError() {
        assertThrows(WireFormatException.class, () -> ClientId.read(ByteBuffer.wrap(Hex.bytes("41*33")), V32));
        // The NUL right after the field does not count: the field is 33 bytes.
        assertThrows(WireFormatException.class, () -> ClientId.read(ByteBuffer.wrap(Hex.bytes("41*33 00")), V32));
    }

    @Test
    void bytesAfterTheTerminatorAreIgnored() {
        assertEquals("bob", Codec.decode(Hex.bytes("\"bob\" 00 ff*29"), b -> ClientId.read(b, V32)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "c3 28",       // bad continuation byte
        "80",          // lone continuation byte
        "c0 80",       // overlong NUL
        "ed a0 80",    // UTF-16 surrogate encoded in UTF-8
        "f4 90 80 80", // beyond U+10FFFF
        "e2 82",       // truncated sequence before the NUL
        "ff",
    })
    void invalidUtf8IsAWireFormatError(String prefix) {
        int n = Hex.bytes(prefix).length;
        byte[] field = Hex.bytes(prefix + " 00*" + (33 - n));
        assertThrows(WireFormatException.class, () -> ClientId.read(ByteBuffer.wrap(field), V32));
    }

    @ParameterizedTest
    @ValueSource(strings = {"01", "09", "0a", "1f", "7f", "c2 85", "c2 9f"})
    void controlCharactersAreAWireFormatError(String control) {
        byte[] field = Hex.bytes("\"ab\" " + control + " 00*" + (31 - Hex.bytes(control).length));
        assertThrows(WireFormatException.class, () -> ClientId.read(ByteBuffer.wrap(field), V32));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\nb", "\t", "x\u007f", "y\u0085", "\u0000", "a\u0000b"})
    void validateRejectsControlCharacters(String id) {
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(id));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "\u0000", "a\nb", "x\u007f", "y\u0085", "a\uD800", "\uDC00a"})
    void writeRejectsWhatReadWouldRejectOrChange(String id) {
        ByteBuffer b = ByteBuffer.allocate(33);
        assertThrows(IllegalArgumentException.class, () -> ClientId.write(b, id, V32));
        assertEquals(0, b.position(), "nothing written");
    }

    @Test
    void validateRejectsEmptyNullAndBrokenSurrogates() {
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(""));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate(null));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate("a\uD800"));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate("\uDC00a"));
        assertThrows(IllegalArgumentException.class, () -> ClientId.validate("\uDE00\uD83D"));
    }
}
