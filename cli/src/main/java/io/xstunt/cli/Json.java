package io.xstunt.cli;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A JSON object written on one line, fields in insertion order: the CLI's {@code --json} events.
 * Values may be strings, numbers, booleans, null, nested {@link Json} objects, maps and
 * iterables of those. Hand-written rather than jackson-jr: the library made each {@code --json}
 * start about 45 ms slower (loading and initialising it) for the same output, and the CLI's
 * start-up has a target; EventOutputJsonTest pins the output.
 */
public final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    private Json() {
    }

    /** @return an empty object */
    public static Json object() {
        return new Json();
    }

    /** @return this object with {@code name} set to {@code value} (replacing an earlier value) */
    public Json put(String name, Object value) {
        fields.put(name, value);
        return this;
    }

    /** @return the object as one line of JSON */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        writeValue(sb, fields);
        return sb.toString();
    }

    // An instanceof chain, not a pattern switch: a type switch spins a class at its first use
    // (SwitchBootstraps, a few ms on a cold JVM), and every CLI event goes through here.
    private static void writeValue(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            writeString(sb, s);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Number n) {
            writeNumber(sb, n.doubleValue());
        } else if (v instanceof Json j) {
            writeValue(sb, j.fields);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeString(sb, String.valueOf(e.getKey()));
                sb.append(':');
                writeValue(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Iterable<?> it) {
            sb.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeValue(sb, o);
            }
            sb.append(']');
        } else {
            writeString(sb, v.toString());
        }
    }

    private static void writeNumber(StringBuilder sb, double d) {
        if (!Double.isFinite(d)) {
            sb.append("null"); // JSON has no NaN or infinity
            return;
        }
        sb.append(BigDecimal.valueOf(d).stripTrailingZeros().toPlainString());
    }

    /** Writes {@code s} as a JSON string literal (RFC 8259 escaping, plus U+2028/U+2029 and lone surrogates). */
    static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || loneSurrogate(s, i)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static boolean loneSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
        }
        return false;
    }
}
