package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A client ID and its wire field {@code CHAR chID[MAX_ID_LEN + 1]}, whose size is the
 * {@link WireVariant}'s.
 *
 * <p>Decision (the reference only bounds the length): an ID is 1 to {@code MAX_ID_LEN} bytes of
 * UTF-8 with no NUL and no control characters. On the wire it is NUL-terminated and NUL-padded to
 * the field's size.
 */
public final class ClientId {
    private ClientId() {
    }

    /**
     * Checks an ID that a caller wants to register or reach with the reference's
     * {@code MAX_ID_LEN} ({@link WireVariant#ID32}, the longest).
     *
     * @return the ID
     * @throws IllegalArgumentException with the reason when it is empty, too long or not valid
     */
    public static String validate(String id) {
        return validate(id, WireVariant.ID32);
    }

    /**
     * Checks an ID that a caller wants to register or reach in {@code variant}.
     *
     * @return the ID
     * @throws IllegalArgumentException with the reason when it is empty, longer than the variant's
     *     {@code MAX_ID_LEN} or not valid
     */
    public static String validate(String id, WireVariant variant) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("a client ID must not be empty");
        }
        int len = id.getBytes(StandardCharsets.UTF_8).length;
        if (len > variant.maxIdLen()) {
            throw new IllegalArgumentException("client ID '" + id + "' is " + len
                    + " bytes of UTF-8; at most " + variant.maxIdLen() + " are allowed (MAX_ID_LEN of "
                    + variant + ")");
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

    /** @return true if {@code id} fits in {@code variant}'s ID field ({@link #validate} would accept it) */
    public static boolean fits(String id, WireVariant variant) {
        try {
            validate(id, variant);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /**
     * Writes an ID field at the buffer's position and advances it by the variant's field size.
     * An empty string writes an all-NUL field (the server's "ID taken" answer).
     *
     * @throws IllegalArgumentException if a non-empty ID fails {@link #validate(String, WireVariant)}:
     *     what {@link #read} would reject or read back differently (a NUL cuts it, a broken
     *     surrogate becomes '?')
     */
    public static void write(ByteBuffer dst, String id, WireVariant variant) {
        if (!id.isEmpty()) {
            validate(id, variant);
        }
        byte[] b = id.getBytes(StandardCharsets.UTF_8);
        dst.put(b);
        for (int i = b.length; i < variant.idFieldSize(); i++) {
            dst.put((byte) 0);
        }
    }

    /**
     * Reads an ID field at the buffer's position and advances it by the variant's field size.
     *
     * @return the ID, or "" for an empty field
     * @throws WireFormatException if the field has no NUL, is not UTF-8 or has control characters
     */
    public static String read(ByteBuffer src, WireVariant variant) {
        int start = src.position();
        int size = variant.idFieldSize();
        int nul = -1;
        for (int i = 0; i < size; i++) {
            if (src.get(start + i) == 0) {
                nul = i;
                break;
            }
        }
        if (nul < 0) {
            throw new WireFormatException("ID field is not NUL-terminated within " + size + " bytes");
        }
        ByteBuffer text = src.slice(start, nul);
        src.position(start + size);
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

    /**
     * @param src at least {@code length} bytes from its position, which does not move
     * @return true if a NUL is among the first {@code length} bytes: the end of an ID field's text
     */
    public static boolean hasTerminator(ByteBuffer src, int length) {
        for (int i = 0; i < length; i++) {
            if (src.get(src.position() + i) == 0) {
                return true;
            }
        }
        return false;
    }
}
