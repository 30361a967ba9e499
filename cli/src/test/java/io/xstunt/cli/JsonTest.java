package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static String str(String s) {
        StringBuilder sb = new StringBuilder();
        Json.writeString(sb, s);
        return sb.toString();
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"a\\\"b\\\\c\"", str("a\"b\\c"));
        assertEquals("\"\\n\\r\\t\\b\\f\"", str("\n\r\t\b\f"));
        assertEquals("\"\\u0000\\u001f\\u007f\"", str("\u0000\u001f\u007f"));
        assertEquals("\"\\u2028\\u2029\"", str("\u2028\u2029"));
    }

    @Test
    void keepsNonAsciiTextAndPairedSurrogatesButEscapesLoneOnes() {
        assertEquals("\"h\u00e9llo \u20ac \ud83d\ude00\"", str("h\u00e9llo \u20ac \ud83d\ude00"));
        assertEquals("\"\\ud83d x \\ude00\"", str("\ud83d x \ude00"));
    }

    @Test
    void writesNestedObjectsListsAndNumbersOnOneLine() {
        Map<String, Object> phases = new LinkedHashMap<>();
        phases.put("comm", 1.5);
        phases.put("punch", 12.0);
        String line = Json.object().put("event", "connected").put("phases", phases)
                .put("ports", List.of(8124, 8125)).put("cached", false).put("detail", null)
                .put("value", -3976).put("big", 1L << 40).put("nan", Double.NaN)
                .put("inner", Json.object().put("k", "v")).toString();
        assertEquals("{\"event\":\"connected\",\"phases\":{\"comm\":1.5,\"punch\":12},\"ports\":[8124,8125],"
                + "\"cached\":false,\"detail\":null,\"value\":-3976,\"big\":1099511627776,\"nan\":null,"
                + "\"inner\":{\"k\":\"v\"}}", line);
    }

    @Test
    void messageWithNewlineStaysOnOneLine() {
        String line = Json.object().put("message", "two\nlines").toString();
        assertEquals(-1, line.indexOf('\n'));
    }
}
