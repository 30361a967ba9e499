package io.xstunt.engine.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The log service's greeting: INT32 build, INT32 server version, client's public IPv4; network order. */
class LogHelloTest {
    @Test
    void sizeIsTwelve() {
        assertEquals(12, LogHello.SIZE);
    }

    @Test
    void roundTrip() {
        Codec.roundTrip("00 00 00 0a  00 00 00 01  cb 00 71 07", new LogHello(10, 1, 0xCB007107),
                LogHello::write, LogHello::read);
    }

    @Test
    void largeValuesKeepTheirSign() {
        Codec.roundTrip("01 02 03 04  ff ff ff fe  ff ff ff ff", new LogHello(0x01020304, -2, 0xFFFFFFFF),
                LogHello::write, LogHello::read);
    }
}
