package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the client writes after ServerInfo: one state byte, then its local IPv4's four bytes. */
class LogStateTest {
    @Test
    void sizeIsFive() {
        assertEquals(5, LogState.SIZE);
    }

    @Test
    void idleRoundTrip() {
        // 192.168.1.20
        Codec.roundTrip("01 c0 a8 01 14", new LogState(Protocol.CSTATE_IDLE, 0xC0A80114), LogState::write, LogState::read);
    }

    @Test
    void probeRoundTrip() {
        Codec.roundTrip("00 7f 00 00 0b", new LogState(Protocol.CSTATE_PROBE, 0x7F00000B), LogState::write, LogState::read);
    }

    @ParameterizedTest
    @ValueSource(strings = {"02", "03", "04", "80", "ff"})
    void otherStatesAreAWireFormatError(String state) {
        assertThrows(WireFormatException.class,
                () -> LogState.read(ByteBuffer.wrap(Hex.bytes(state + " 7f 00 00 0b"))));
    }
}
