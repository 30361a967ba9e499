package io.xstunt.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** E_ErrorStat exactly as the reference's table: every name, value and description, in order. */
class ErrorStatTest {
    private record Row(String name, int value, String description) {
    }

    private static final List<Row> REFERENCE = List.of(
            new Row("ERR_NONE", 0, "Successful"),
            new Row("ERR_FAIL", -1, "Fail"),
            new Row("ERR_CREATE_SOCKET", -4000, "Fail to create socket"),
            new Row("ERR_CONNECT", -3999, "Fail to connect"),
            new Row("ERR_VERSION", -3998, "Versions of server and client are mismatched"),
            new Row("ERR_DUPLICATE_ID", -3997, "The ID is already registered on the server"),
            new Row("ERR_PROBE", -3996, "Failed during probing"),
            new Row("ERR_TIMEOUT", -3995, "Timeout"),
            new Row("ERR_COMM_TIMEOUT", -3994, "Timeout during reading response from communication service"),
            new Row("ERR_ECHO_TIMEOUT", -3993, "Timeout during reading echo"),
            new Row("ERR_SELECT", -3992, "Select error"),
            new Row("ERR_RECEIVE", -3991, "Fail to receive"),
            new Row("ERR_SYN_RECEIVE", -3990, "Failed during receiving proprietary SYN"),
            new Row("ERR_SYN_SEND", -3989, "Failed during sending proprietary SYN"),
            new Row("ERR_ADDRPORT_RECEIVE", -3988, "Failed during receiving address and port"),
            new Row("ERR_ADDRPORT_SEND", -3987, "Failed during sending address and port"),
            new Row("ERR_ASYMSERVER", -3986, "Failed in XAsymServer()"),
            new Row("ERR_ASYMCLIENT", -3985, "Failed in XAsymClient()"),
            new Row("ERR_PREDICT", -3984, "Failed during port predicting"),
            new Row("ERR_SEND", -3983, "Failed to send"),
            new Row("ERR_TRYCONNECT", -3982, "Failed in XTryConnect()"),
            new Row("ERR_SETSOCKOPT", -3981, "Failed to set socket option"),
            new Row("ERR_BIND", -3980, "Failed to bind"),
            new Row("ERR_LISTEN", -3979, "Failed to listen"),
            new Row("ERR_ASYM_TIMEOUT", -3978, "Timeout during waiting the connection from AsymServer"),
            new Row("ERR_ACCEPT", -3977, "Failed to accept"),
            new Row("ERR_MATCH", -3976, "Failed to find the destination peer on the server"),
            new Row("ERR_SAME_NAT", -3975, "Peer client is in the same NAT"),
            new Row("ERR_HAIRPIN", -3974, "Hairpin problem"));

    @Test
    void tableMatchesTheReferenceExactly() {
        List<Row> actual = Arrays.stream(ErrorStat.values())
                .map(c -> new Row(c.name(), c.value(), c.description()))
                .toList();
        assertEquals(REFERENCE, actual);
    }

    @Test
    void ofValueFindsEveryCode() {
        for (Row r : REFERENCE) {
            assertSame(ErrorStat.valueOf(r.name()), ErrorStat.ofValue(r.value()));
        }
    }

    @Test
    void ofValueRejectsUnknownValues() {
        for (int v : new int[] {1, -2, -3973, -4001, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThrows(IllegalArgumentException.class, () -> ErrorStat.ofValue(v));
        }
    }

    @Test
    void exceptionCarriesCodeAndDetail() {
        // pnErrCode of ERR_SAME_NAT as the original reads the answer c0 a8 01 14 on x86: little-endian
        Failure e = new Failure(ErrorStat.ERR_SAME_NAT, 0x1401A8C0, "same NAT");
        assertSame(ErrorStat.ERR_SAME_NAT, e.code());
        assertEquals(0x1401A8C0, e.detail());
        assertEquals("192.168.1.20", e.peerLocalAddress().getHostAddress());
        Failure asym = new Failure(ErrorStat.ERR_ASYMCLIENT, ErrorStat.ERR_HAIRPIN.value(), "hairpin");
        assertSame(ErrorStat.ERR_HAIRPIN, asym.asymmetricCause());
        assertNull(new Failure(ErrorStat.ERR_ASYMSERVER, 0, "no detail").asymmetricCause());
        assertNull(new Failure(ErrorStat.ERR_TIMEOUT, ErrorStat.ERR_HAIRPIN.value(), "not asym").asymmetricCause());
        assertEquals("ERR_SAME_NAT (-3975): same NAT", e.getMessage());
        assertNull(new Failure(ErrorStat.ERR_MATCH, 0, "x").peerLocalAddress());
        assertThrows(IllegalArgumentException.class, () -> new Failure(ErrorStat.ERR_NONE, 0, "ok"));
    }
}
