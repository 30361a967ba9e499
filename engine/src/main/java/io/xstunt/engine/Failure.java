package io.xstunt.engine;

import java.util.Objects;

/**
 * A failed engine operation: the reference's return value ({@link #code()}) and its
 * {@code pnErrCode} out-parameter ({@link #detail()}). Internal to the engine; the API hands
 * applications an {@code io.xstunt.api.XstuntException} with the same code, detail and message.
 *
 * <p>For {@link ErrorStat#ERR_SAME_NAT} the detail is the peer's local IPv4 address as the
 * original passes it in {@code pnErrCode}: the comm answer's four bytes (the address bytes) read as
 * an INT32 in x86 host order, little-endian, so that {@code detail & 0xff} is the address's first
 * byte; {@link #peerLocalAddress()} reads it as an address. For {@link ErrorStat#ERR_ASYMCLIENT}
 * and {@link ErrorStat#ERR_ASYMSERVER} it is the value of the code the asymmetric phase failed
 * with. For other codes the detail is 0 unless the operation says otherwise.
 */
public final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorStat code;
    private final int detail;
    private final String reason;

    /**
     * @param code the reference's error code; never {@link ErrorStat#ERR_NONE}
     * @param detail the reference's {@code pnErrCode}
     * @param message what went wrong, for people
     */
    public Failure(ErrorStat code, int detail, String message) {
        this(code, detail, message, null);
    }

    /**
     * @param code the reference's error code; never {@link ErrorStat#ERR_NONE}
     * @param detail the reference's {@code pnErrCode}
     * @param message what went wrong, for people
     * @param cause the underlying failure, or null
     */
    public Failure(ErrorStat code, int detail, String message, Throwable cause) {
        super(Objects.requireNonNull(code, "code").name() + " (" + code.value() + "): " + message, cause);
        if (code == ErrorStat.ERR_NONE) {
            throw new IllegalArgumentException("ERR_NONE is not a failure");
        }
        this.code = code;
        this.detail = detail;
        this.reason = message;
    }

    /** @return what went wrong, without the "CODE (value): " prefix of {@link #getMessage()} */
    public String reason() {
        return reason;
    }

    /** @return the reference's error code (the function's return value in XSTUNT 1.0) */
    public ErrorStat code() {
        return code;
    }

    /** @return the reference's {@code pnErrCode} out-parameter */
    public int detail() {
        return detail;
    }

    /**
     * @return for {@link ErrorStat#ERR_ASYMCLIENT} and {@link ErrorStat#ERR_ASYMSERVER}, the code the
     *     asymmetric phase failed with (its {@link #detail()}), or null if the detail names none;
     *     otherwise null
     */
    public ErrorStat asymmetricCause() {
        if (code != ErrorStat.ERR_ASYMCLIENT && code != ErrorStat.ERR_ASYMSERVER || detail == 0) {
            return null;
        }
        try {
            return ErrorStat.ofValue(detail);
        } catch (IllegalArgumentException notACode) {
            return null;
        }
    }

    /**
     * @return for {@link ErrorStat#ERR_SAME_NAT}, the peer's local (LAN) IPv4 address;
     *     otherwise null
     */
    public java.net.Inet4Address peerLocalAddress() {
        if (code != ErrorStat.ERR_SAME_NAT) {
            return null;
        }
        return io.xstunt.engine.wire.Ipv4.toAddress(Integer.reverseBytes(detail));
    }
}
