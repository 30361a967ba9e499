package io.xstunt.engine.wire;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/**
 * Hand-written byte vectors for the codec tests. A vector is whitespace-separated tokens:
 * {@code 1f} is one byte, {@code 00*28} is 28 such bytes, {@code "alice"} is the ASCII text.
 * Vectors are written from the reference's struct definitions, never produced by the codecs.
 */
final class Hex {
    private Hex() {
    }

    static byte[] bytes(String vector) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String token : vector.trim().split("\\s+")) {
            if (token.startsWith("\"") && token.endsWith("\"") && token.length() >= 2) {
                for (char c : token.substring(1, token.length() - 1).toCharArray()) {
                    if (c > 0x7e || c < 0x20) {
                        throw new IllegalArgumentException("only printable ASCII in quotes: " + token);
                    }
                    out.write(c);
                }
                continue;
            }
            int star = token.indexOf('*');
            String hex = star < 0 ? token : token.substring(0, star);
            int times = star < 0 ? 1 : Integer.parseInt(token.substring(star + 1));
            if (hex.length() != 2) {
                throw new IllegalArgumentException("a byte is two hex digits: " + token);
            }
            int b = HexFormat.fromHexDigits(hex);
            for (int i = 0; i < times; i++) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    static String of(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }
}
