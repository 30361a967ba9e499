package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@code struct ServerInfo { CHAR chID[MAX_ID_LEN + 1]; INT32 nIP1; INT32 nIP2; INT16 wPort1..wPort8; }}.
 * Reference (MAX_ID_LEN 32): chID 0..32, 3 pad bytes, nIP1 at 36, nIP2 at 40, wPort1 at 44, wPort2 at
 * 46, wPort3..8 at 48..59. Published client (31): chID 0..31, nIP1 at 32, nIP2 36, wPort1 40, wPort2
 * 42, wPort3..8 44..55.
 */
class ServerInfoTest {
    private static final WireVariant V32 = WireVariant.ID32;
    private static final WireVariant V31 = WireVariant.ID31;

    /** "alice", 10.0.0.1, 10.0.0.2, echo ports 8124 (1f bc) and 8125 (1f bd). */
    static final String ALICE = """
            "alice" 00*28  00 00 00
            0a 00 00 01
            0a 00 00 02
            1f bc  1f bd
            00 00  00 00  00 00  00 00  00 00  00 00
            """;

    /** The same in the published client's variant: no pad after the 32-byte ID field. */
    static final String ALICE_31 = """
            "alice" 00*27
            0a 00 00 01
            0a 00 00 02
            1f bc  1f bd
            00 00  00 00  00 00  00 00  00 00  00 00
            """;

    @Test
    void vectorsHaveTheVariantsSizes() {
        assertEquals(60, Hex.bytes(ALICE).length);
        assertEquals(56, Hex.bytes(ALICE_31).length);
    }

    @Test
    void roundTrip() {
        ServerInfo s = new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125);
        Codec.roundTrip(ALICE, s, (v, b) -> v.write(b, V32), b -> ServerInfo.read(b, V32));
        Codec.roundTrip(ALICE_31, s, (v, b) -> v.write(b, V31), b -> ServerInfo.read(b, V31));
    }

    @Test
    void refusalHasAnEmptyId() {
        ServerInfo refused = new ServerInfo("", 0x7F000001, 0x7F000002, 8124, 8125);
        Codec.roundTrip("00*33 00 00 00  7f 00 00 01  7f 00 00 02  1f bc 1f bd  00*12", refused,
                (v, b) -> v.write(b, V32), b -> ServerInfo.read(b, V32));
        Codec.roundTrip("00*32  7f 00 00 01  7f 00 00 02  1f bc 1f bd  00*12", refused,
                (v, b) -> v.write(b, V31), b -> ServerInfo.read(b, V31));
    }

    @Test
    void portsAreUnsignedAndIpsKeepTheirHighBit() {
        ServerInfo s = new ServerInfo("x", 0xCB007107, 0xFFFFFFFF, 65535, 32768);
        Codec.roundTrip("\"x\" 00*32 00 00 00  cb 00 71 07  ff ff ff ff  ff ff 80 00  00*12", s,
                (v, b) -> v.write(b, V32), b -> ServerInfo.read(b, V32));
        Codec.roundTrip("\"x\" 00*31  cb 00 71 07  ff ff ff ff  ff ff 80 00  00*12", s,
                (v, b) -> v.write(b, V31), b -> ServerInfo.read(b, V31));
    }

    @Test
    void paddingIsIgnoredAndReservedPortsAreTheExtensionFields() {
        byte[] v = Hex.bytes("\"alice\" 00*28 ee ee ee  0a 00 00 01  0a 00 00 02  1f bc 1f bd  12*12");
        assertEquals(new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125, 0x1212, 0x1212, 0x1212121212121212L),
                Codec.decode(v, b -> ServerInfo.read(b, V32)));
    }

    @Test
    void extensionFieldsInWPort3ToWPort8() {
        ServerInfo ext = new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125, 3, 20, 0x0102030405060708L);
        Codec.roundTrip("\"alice\" 00*28 00 00 00  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00 03  00 14"
                        + "  01 02 03 04 05 06 07 08", ext, (v, b) -> v.write(b, V32), b -> ServerInfo.read(b, V32));
        Codec.roundTrip("\"alice\" 00*27  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00 03  00 14"
                        + "  01 02 03 04 05 06 07 08", ext, (v, b) -> v.write(b, V31), b -> ServerInfo.read(b, V31));
        ServerInfo original = new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125);
        assertEquals(false, original.hasToken() || original.proofRequired(), "an original ServerInfo has none");
    }

    @Test
    void anIdOfThirtyTwoBytesFitsOnlyTheReferenceVariant() {
        String id = "p".repeat(32);
        Codec.roundTrip("70*32 00 00 00 00  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00*12",
                new ServerInfo(id, 0x0A000001, 0x0A000002, 8124, 8125), (v, b) -> v.write(b, V32),
                b -> ServerInfo.read(b, V32));
        assertThrows(IllegalArgumentException.class,
                () -> new ServerInfo(id, 1, 2, 3, 4).write(ByteBuffer.allocate(56), V31));
    }

    @Test
    void idWithoutTerminatorIsAWireFormatError() {
        byte[] v = Hex.bytes("41*33 00 00 00  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00*12");
        assertThrows(WireFormatException.class, () -> ServerInfo.read(ByteBuffer.wrap(v), V32));
        byte[] v31 = Hex.bytes("41*32  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00*12");
        assertThrows(WireFormatException.class, () -> ServerInfo.read(ByteBuffer.wrap(v31), V31));
    }
}
