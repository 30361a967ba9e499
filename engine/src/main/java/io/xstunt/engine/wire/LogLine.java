package io.xstunt.engine.wire;

import java.nio.charset.StandardCharsets;

/**
 * A text log line that a registered client writes on its log connection:
 * {@code <epoch seconds>.<millis>:<file>:<line>:<message>\n} (the original's debug line format).
 * Line breaks inside the message become spaces, so one call is one line on the wire.
 */
public final class LogLine {
    /** The longest line written, newline included; longer messages are cut. */
    public static final int MAX_LEN = 1024;

    private LogLine() {
    }

    /**
     * Formats one line.
     *
     * @param epochMillis wall-clock time of the event
     * @param file the source the line is attributed to (the original used {@code __FILE__})
     * @param line the line number the line is attributed to (the original used {@code __LINE__})
     * @param message the text
     * @return the UTF-8 bytes, newline-terminated, at most {@link #MAX_LEN}
     */
    public static byte[] format(long epochMillis, String file, int line, String message) {
        String text = Math.floorDiv(epochMillis, 1000) + "." + String.format("%03d", Math.floorMod(epochMillis, 1000))
                + ":" + clean(file) + ":" + line + ":" + clean(message);
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(b.length, MAX_LEN - 1);
        byte[] out = new byte[n + 1];
        System.arraycopy(b, 0, out, 0, n);
        out[n] = '\n';
        return out;
    }

    private static String clean(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }
}
