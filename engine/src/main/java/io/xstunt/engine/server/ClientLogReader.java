package io.xstunt.engine.server;

import io.xstunt.engine.wire.Protocol;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads the text lines a registered client writes on its log connection (XSTUNT 1.0's client log):
 * each line up to its newline, a trailing CR dropped, UTF-8 with malformed bytes replaced and
 * control characters shown as '?', handed to a {@link ClientLogSink}. An empty line is a keepalive,
 * not recorded. A line is decoded only for a sink that records it, so a filtered client log costs
 * no allocation per line. A line that starts with the byte 0x01 is a protocol extension's (its
 * two-character tag, a space, its arguments: docs/PROTOCOL.md "Extension lines"), handed to the
 * {@link ExtensionLine} handler whatever the sink records.
 */
final class ClientLogReader {
    /** Where extension lines go: {@code tag} (two characters) and what follows it. */
    interface ExtensionLine {
        /**
         * @param tag the two characters after {@link Protocol#EXT_LINE_MARK}
         * @param body the rest of the line, without its newline (a FAST line's may start with a
         *     letter, an A6 line's with a space)
         */
        void line(String tag, String body);
    }

    private final ClientLogSink sink;
    private final ExtensionLine extensions;
    private long emptyLines;
    private final int maxLine;

    /** @param maxLine the longest line accepted, in bytes (without its newline) */
    ClientLogReader(ClientLogSink sink, int maxLine) {
        this(sink, (tag, arguments) -> { }, maxLine);
    }

    /** @param extensions where lines that start with 0x01 go (they are not recorded as log lines) */
    ClientLogReader(ClientLogSink sink, ExtensionLine extensions, int maxLine) {
        this.sink = sink;
        this.extensions = extensions;
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
            if (end > start && in.get(start) == Protocol.EXT_LINE_MARK) {
                extension(in, start + 1, end);
            } else if (end > start && sink.enabled()) {
                sink.line(id, printable(in, start, end));
            } else if (end == start) {
                emptyLines++;
            }
            in.position(nl + 1);
        }
        return true;
    }

    /** An extension line: its tag (two characters), then a space and its arguments. */
    private void extension(ByteBuffer in, int start, int end) {
        String s = StandardCharsets.UTF_8.decode(in.slice(start, end - start)).toString();
        if (s.length() >= 2) {
            extensions.line(s.substring(0, 2), s.substring(2));
        }
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

    /**
     * @return the empty lines read so far: a client's keepalive, and a FAST client's immediate answer
     *     to the server's keepalive record or IDLE acknowledgement (its round-trip samples)
     */
    long emptyLines() {
        return emptyLines;
    }
}
