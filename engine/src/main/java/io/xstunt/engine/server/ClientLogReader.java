package io.xstunt.engine.server;

import io.xstunt.engine.wire.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the text lines a registered client writes on its log connection (XSTUNT 1.0's client log):
 * each line up to its newline, a trailing CR dropped, UTF-8 with malformed bytes replaced and
 * control characters shown as '?', handed to a {@link ClientLogSink}. An empty line is a keepalive,
 * not recorded. A line is decoded only for a sink that records it, so a filtered client log costs
 * no allocation per line. A line that starts with {@link Protocol#EXT_LINE} is an extension's
 * (docs/PROTOCOL.md "Extension log lines"): it goes to the {@link Extensions}, never to the sink.
 */
final class ClientLogReader {
    /** Where extension lines go: the one place that reads their tags. */
    @FunctionalInterface
    interface Extensions {
        /**
         * One extension line.
         *
         * @param tag the two characters after {@link Protocol#EXT_LINE} ({@code F1}: FAST)
         * @param body the rest of the line, without its newline
         */
        void line(String tag, String body);
    }

    private final ClientLogSink sink;
    private final int maxLine;
    private final Extensions extensions;

    /** @param maxLine the longest line accepted, in bytes (without its newline) */
    ClientLogReader(ClientLogSink sink, int maxLine, Extensions extensions) {
        this.sink = sink;
        this.maxLine = maxLine;
        this.extensions = extensions;
    }

    /**
     * Consumes every whole line of {@code in} for client {@code id}; a partial line is left.
     *
     * @return false if a line is longer than the limit (all of {@code in} is then consumed)
     */
    boolean read(String id, ByteBuffer in) {
        while (in.hasRemaining()) {
            int start = in.position();
            int nl = -1;
            for (int i = start; i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    nl = i;
                    break;
                }
            }
            int len = (nl < 0 ? in.limit() : nl) - start;
            if (len > maxLine) {
                in.position(in.limit());
                return false;
            }
            if (nl < 0) {
                return true; // a partial line waits for its newline
            }
            int end = nl > start && in.get(nl - 1) == '\r' ? nl - 1 : nl;
            if (end - start >= 3 && in.get(start) == Protocol.EXT_LINE) {
                String line = StandardCharsets.UTF_8.decode(in.slice(start + 1, end - start - 1)).toString();
                extensions.line(line.substring(0, 2), line.substring(2));
            } else if (end > start && sink.enabled()) {
                sink.line(id, printable(in, start, end));
            }
            in.position(nl + 1);
        }
        return true;
    }

    /** Decodes a line as UTF-8 (malformed bytes replaced) with control characters as '?'. */
    private static String printable(ByteBuffer in, int start, int end) {
        String s = StandardCharsets.UTF_8.decode(in.slice(start, end - start)).toString();
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                if (b == null) {
                    b = new StringBuilder(s);
                }
                b.setCharAt(i, '?');
            }
        }
        return b == null ? s : b.toString();
    }
}
