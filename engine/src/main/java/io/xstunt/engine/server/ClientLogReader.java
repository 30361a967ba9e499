package io.xstunt.engine.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the text lines a registered client writes on its log connection (XSTUNT 1.0's client log):
 * each line up to its newline, a trailing CR dropped, UTF-8 with malformed bytes replaced and
 * control characters shown as '?', handed to a {@link ClientLogSink}. An empty line is a keepalive,
 * not recorded. A line is decoded only for a sink that records it, so a filtered client log costs
 * no allocation per line.
 */
final class ClientLogReader {
    private final ClientLogSink sink;
    private final int maxLine;

    /** @param maxLine the longest line accepted, in bytes (without its newline) */
    ClientLogReader(ClientLogSink sink, int maxLine) {
        this.sink = sink;
        this.maxLine = maxLine;
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
            if (end > start && sink.enabled()) {
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
