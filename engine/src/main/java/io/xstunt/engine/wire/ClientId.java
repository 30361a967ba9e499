package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A client ID and its wire field {@code CHAR chID[MAX_ID_LEN + 1]}.
 *
 * <p>Decision (the reference only bounds the length): an ID is 1 to {@link Protocol#MAX_ID_LEN}
 * bytes of UTF-8 with no NUL and no control characters. On the wire it is NUL-terminated and
 * NUL-padded to {@link Protocol#ID_FIELD_LEN} bytes.
 */
public final class ClientId {
    private ClientId() {
    }

    /**
     * Checks an ID that a caller wants to register or reach.
     *
     * @return the ID
     * @throws IllegalArgumentException with the reason when it is empty, too long or not valid
     */
    public static String validate(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a client ID must not be empty");
        }
        int len = id.getBytes(StandardCharsets.UTF_8).length;
        if (len > Protocol.MAX_ID_LEN) {
            throw new IllegalArgumentException("client ID '" + id + "' is " + len
                    + " bytes of UTF-8; at most " + Protocol.MAX_ID_LEN + " are allowed");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogateAt(id, i)) {
                throw new IllegalArgumentException("client ID contains a control character or broken"
                        + " surrogate at index " + i);
            }
        }
        return id;
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /**
     * Writes an ID field at the buffer's position and advances it by {@link Protocol#ID_FIELD_LEN}.
     * An empty string writes an all-NUL field (the server's "ID taken" answer).
     *
     * @throws IllegalArgumentException if a non-empty ID fails {@link #validate}: what {@link #read}
     *     would reject or read back differently (a NUL cuts it, a broken surrogate becomes '?')
     */
    public static void write(ByteBuffer dst, String id) {
        if (!id.isEmpty()) {
            validate(id);
        }
        byte[] b = id.getBytes(StandardCharsets.UTF_8);
        dst.put(b);
        for (int i = b.length; i < Protocol.ID_FIELD_LEN; i++) {
            dst.put((byte) 0);
        }
    }

    /**
     * Reads an ID field at the buffer's position and advances it by {@link Protocol#ID_FIELD_LEN}.
     *
     * @return the ID, or "" for an empty field
     * @throws WireFormatException if the field has no NUL, is not UTF-8 or has control characters
     */
    public static String read(ByteBuffer src) {
        int start = src.position();
        int nul = -1;
        for (int i = 0; i < Protocol.ID_FIELD_LEN; i++) {
            if (src.get(start + i) == 0) {
                nul = i;
                break;
            }
        }
        if (nul < 0) {
            throw new WireFormatException("ID field is not NUL-terminated within "
                    + Protocol.ID_FIELD_LEN + " bytes");
        }
        ByteBuffer text = src.slice(start, nul);
        src.position(start + Protocol.ID_FIELD_LEN);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String id;
        try {
            CharBuffer chars = dec.decode(text);
            id = chars.toString();
        } catch (CharacterCodingException e) {
            throw new WireFormatException("ID field is not valid UTF-8");
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                throw new WireFormatException("ID field contains a control character");
            }
        }
        return id;
    }
}
