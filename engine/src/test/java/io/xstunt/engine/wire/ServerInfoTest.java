package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * {@code struct ServerInfo { CHAR chID[33]; INT32 nIP1; INT32 nIP2; INT16 wPort1..wPort8; }}:
 * chID 0..32, 3 pad bytes, nIP1 at 36, nIP2 at 40, wPort1 at 44, wPort2 at 46, wPort3..8 at 48..59.
 */
class ServerInfoTest {
    /** "alice", 10.0.0.1, 10.0.0.2, echo ports 8124 (1f bc) and 8125 (1f bd). */
    static final String ALICE = """
            "alice" 00*28  00 00 00
            0a 00 00 01
            0a 00 00 02
            1f bc  1f bd
            00 00  00 00  00 00  00 00  00 00  00 00
            """;

    @Test
    void sizeAndOffsets() {
        assertEquals(60, ServerInfo.SIZE);
        assertEquals(0, ServerInfo.OFF_ID);
        assertEquals(36, ServerInfo.OFF_IP1);
        assertEquals(40, ServerInfo.OFF_IP2);
        assertEquals(44, ServerInfo.OFF_PORT1);
        assertEquals(46, ServerInfo.OFF_PORT2);
        assertEquals(48, ServerInfo.OFF_PORT3);
        assertEquals(60, Hex.bytes(ALICE).length);
    }

    @Test
    void roundTrip() {
        Codec.roundTrip(ALICE, new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125),
                ServerInfo::write, ServerInfo::read);
    }

    @Test
    void refusalHasAnEmptyId() {
        Codec.roundTrip("00*33 00 00 00  7f 00 00 01  7f 00 00 02  1f bc 1f bd  00*12",
                new ServerInfo("", 0x7F000001, 0x7F000002, 8124, 8125), ServerInfo::write, ServerInfo::read);
    }

    @Test
    void portsAreUnsignedAndIpsKeepTheirHighBit() {
        Codec.roundTrip("\"x\" 00*32 00 00 00  cb 00 71 07  ff ff ff ff  ff ff 80 00  00*12",
                new ServerInfo("x", 0xCB007107, 0xFFFFFFFF, 65535, 32768), ServerInfo::write, ServerInfo::read);
    }

    @Test
    void paddingIsIgnoredAndReservedPortsAreTheExtensionFields() {
        byte[] v = Hex.bytes("\"alice\" 00*28 ee ee ee  0a 00 00 01  0a 00 00 02  1f bc 1f bd  12*12");
        assertEquals(new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125, 0x1212, 0x1212, 0x1212121212121212L),
                Codec.decode(v, ServerInfo::read));
    }

    @Test
    void extensionFieldsInWPort3ToWPort8() {
        Codec.roundTrip("\"alice\" 00*28 00 00 00  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00 03  00 14"
                        + "  01 02 03 04 05 06 07 08",
                new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125, 3, 20, 0x0102030405060708L),
                ServerInfo::write, ServerInfo::read);
        ServerInfo original = new ServerInfo("alice", 0x0A000001, 0x0A000002, 8124, 8125);
        assertEquals(false, original.hasToken() || original.proofRequired(), "an original ServerInfo has none");
    }

    @Test
    void idWithoutTerminatorIsAWireFormatError() {
        byte[] v = Hex.bytes("41*33 00 00 00  0a 00 00 01  0a 00 00 02  1f bc 1f bd  00*12");
        assertThrows(WireFormatException.class, () -> ServerInfo.read(ByteBuffer.wrap(v)));
    }
}
