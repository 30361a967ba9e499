package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The proof that a registering client knows the server's shared secret (xstunt extension, see
 * docs/PROTOCOL.md "Authentication and ownership"): the first {@link Protocol#PROOF_LEN} bytes of
 * HMAC-SHA256(secret, "xstunt-register\0" || holder token (8 bytes, network order) || ID's UTF-8
 * bytes). The token is fresh per registration, so a proof cannot be replayed; the secret itself
 * never travels.
 */
public final class RegistrationProof {
    private static final byte[] LABEL = "xstunt-register\0".getBytes(StandardCharsets.US_ASCII);

    private RegistrationProof() {
    }

    /**
     * @param secret the shared secret (at least 1 byte)
     * @param token the holder token the server sent in ServerInfo
     * @param id the ID being registered
     * @return the {@link Protocol#PROOF_LEN}-byte proof
     */
    public static byte[] compute(byte[] secret, long token, String id) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(LABEL);
            mac.update(ByteBuffer.allocate(Protocol.TOKEN_LEN).putLong(0, token).array());
            mac.update(id.getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(mac.doFinal(), Protocol.PROOF_LEN);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java platform", e);
        }
    }

    /** @return true if {@code proof} is right, compared in constant time */
    public static boolean verify(byte[] secret, long token, String id, byte[] proof) {
        return MessageDigest.isEqual(compute(secret, token, id), proof);
    }
}
