package io.xstunt.cli;

import io.xstunt.testkit.Lines;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.SessionReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code --json} events byte for byte: field order, numbers (milliseconds with at most two
 * decimals, no trailing zeros), nulls, nesting, string escaping. The NAT lab and scripts parse them.
 */
class EventOutputJsonTest {
    private final Lines out = new Lines();
    private final Lines err = new Lines();
    private final EventOutput o = new EventOutput(true, out.stream(), err.stream());

    private String only() {
        assertEquals(1, out.all().size(), out.text());
        assertEquals("\n", err.text(), "nothing on stderr in json mode");
        return out.all().get(0);
    }

    @Test
    void dataEventsKeepTheirFieldOrder() {
        o.data("alice", "bob", "sent", "hi bob", 6);
        assertEquals("{\"event\":\"data\",\"id\":\"alice\",\"peer\":\"bob\",\"direction\":\"sent\",\"bytes\":6,"
                + "\"text\":\"hi bob\"}", only());
    }

    @Test
    void escapesQuotesBackslashesAndControlCharactersOnOneLine() {
        o.data("a", "b", "received", "q\" b\\ \n\r\t\b\f \u0000\u001f", 14);
        assertEquals("{\"event\":\"data\",\"id\":\"a\",\"peer\":\"b\",\"direction\":\"received\",\"bytes\":14,"
                + "\"text\":\"q\\\" b\\\\ \\n\\r\\t\\b\\f \\u0000\\u001f\"}", only());
    }

    @Test
    void keepsNonAsciiTextAsItIs() {
        o.data("a", "b", "sent", "h\u00e9llo \u20ac \ud83d\ude00", 14);
        assertEquals("{\"event\":\"data\",\"id\":\"a\",\"peer\":\"b\",\"direction\":\"sent\",\"bytes\":14,"
                + "\"text\":\"h\u00e9llo \u20ac \ud83d\ude00\"}", only());
    }

    @Test
    void millisecondsHaveAtMostTwoDecimalsAndNoTrailingZeros() {
        InetSocketAddress local = new InetSocketAddress("127.0.0.11", 40000);
        InetSocketAddress remote = new InetSocketAddress("127.0.0.12", 40001);
        o.connectedLan("alice", "bob", "connect", local, remote, Duration.ofMillis(12));
        o.connectedLan("alice", "bob", "connect", local, remote, Duration.ofNanos(1_504_999));
        o.connectedLan("alice", "bob", "connect", local, remote, Duration.ofNanos(123_456_789_012L));
        o.connectedLan("alice", "bob", "connect", local, remote, Duration.ZERO);
        List<String> totals = out.all().stream().map(l -> l.substring(l.indexOf("\"totalMs\":"))).toList();
        assertEquals(List.of("\"totalMs\":12,\"via\":\"lan\"}", "\"totalMs\":1.5,\"via\":\"lan\"}",
                "\"totalMs\":123456.79,\"via\":\"lan\"}", "\"totalMs\":0,\"via\":\"lan\"}"), totals);
    }

    @Test
    void aLanConnectionFromAnUnknownPeerHasANullPeer() {
        o.connectedLan("bob", null, "listen", new InetSocketAddress("10.0.1.10", 7000),
                new InetSocketAddress("10.0.1.11", 50000), Duration.ZERO);
        assertEquals("{\"event\":\"connected\",\"id\":\"bob\",\"peer\":null,\"role\":\"listen\","
                + "\"local\":\"10.0.1.10:7000\",\"remote\":\"10.0.1.11:50000\",\"path\":\"lan\",\"totalMs\":0,"
                + "\"via\":\"lan\"}", only());
    }

    @Test
    void serverEventListsItsPortsInOrder() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("ip1", "127.0.0.1");
        fields.put("ip2", "127.0.0.2");
        fields.put("logPort", 8123);
        fields.put("commPort", 8132);
        fields.put("echoPorts", List.of(8124, 8125));
        fields.put("serverVersion", 1);
        o.server(fields);
        assertEquals("{\"event\":\"server\",\"ip1\":\"127.0.0.1\",\"ip2\":\"127.0.0.2\",\"logPort\":8123,"
                + "\"commPort\":8132,\"echoPorts\":[8124,8125],\"serverVersion\":1}", only());
    }

    @Test
    void sessionEventNestsTheRelayedBytes() {
        o.session(new SessionReport(7, "alice", "bob", 1L << 40, 96, "done"), 0, 2);
        assertEquals("{\"event\":\"session\",\"session\":7,\"initiator\":\"alice\",\"listener\":\"bob\","
                + "\"relayedBytes\":{\"fromInitiator\":1099511627776,\"fromListener\":96},\"reason\":\"done\","
                + "\"path\":\"unreported\",\"relayedData\":{\"fromInitiator\":0,\"fromListener\":0},"
                + "\"strategy\":\"normal\",\"phases\":{},\"sessionsInFlight\":0,\"registered\":2}", only());
    }

    @Test
    void aFastSessionEventSaysItsStrategyAndThePhasesTheServerTimed() {
        o.session(new SessionReport(8, "alice", "bob", 0, 0, "FAST: the listener's punch won", "direct", null, 0, 0,
                "fast", java.util.Map.of("punch", java.time.Duration.ofMillis(3))), 0, 2);
        assertEquals("{\"event\":\"session\",\"session\":8,\"initiator\":\"alice\",\"listener\":\"bob\","
                + "\"relayedBytes\":{\"fromInitiator\":0,\"fromListener\":0},"
                + "\"reason\":\"FAST: the listener's punch won\",\"path\":\"direct\","
                + "\"relayedData\":{\"fromInitiator\":0,\"fromListener\":0},\"strategy\":\"fast\","
                + "\"phases\":{\"punch\":3},\"sessionsInFlight\":0,\"registered\":2}", only());
    }

    @Test
    void errorEventsCarryTheCodeItsValueAndTheDetail() {
        o.error(new XstuntException(ErrorCode.ERR_MATCH, 0, "no match for peer 'nobody'"));
        o.failure("I/O on the connection to 'bob'", new IOException("Connection reset"));
        o.error(new XstuntException(ErrorCode.ERR_ASYMCLIENT, ErrorCode.ERR_ASYM_TIMEOUT.value(), "no direct connection"));
        assertEquals(List.of(
                "{\"event\":\"error\",\"code\":\"ERR_MATCH\",\"value\":-3976,\"detail\":0,"
                        + "\"message\":\"no match for peer 'nobody'\"}",
                "{\"event\":\"error\",\"code\":\"ERR_FAIL\",\"value\":" + ErrorCode.ERR_FAIL.value() + ",\"detail\":0,"
                        + "\"message\":\"I/O on the connection to 'bob': java.io.IOException: Connection reset\"}",
                "{\"event\":\"error\",\"code\":\"ERR_ASYMCLIENT\",\"value\":-3985,\"detail\":-3978,"
                        + "\"message\":\"no direct connection\",\"cause\":\"ERR_ASYM_TIMEOUT\"}"),
                out.all());
    }

    @Test
    void textModeWritesNoJson() {
        EventOutput text = new EventOutput(false, out.stream(), err.stream());
        text.data("alice", "bob", "sent", "hi", 2);
        text.failure("LAN accept", new IOException("closed"));
        assertEquals(List.of("> hi"), out.all());
        assertEquals("error: LAN accept: java.io.IOException: closed\n", err.text());
    }
}
