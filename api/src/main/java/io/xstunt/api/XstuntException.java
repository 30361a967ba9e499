package io.xstunt.api;

import io.xstunt.engine.Failure;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
import java.util.Objects;

/**
 * A failed XSTUNT call: the reference's return value ({@link #code()}) and its {@code pnErrCode}
 * out-parameter ({@link #detail()}).
 *
 * <p>For {@link ErrorCode#ERR_SAME_NAT} the detail is the peer's local IPv4 address as XSTUNT 1.0
 * passes it in {@code pnErrCode}: the comm answer's four address bytes read as an INT32 in x86
 * host order (little-endian), so {@code detail & 0xff} is the address's first byte, as the
 * reference's example, {@code sin_addr.s_addr = nErr}, takes it; {@link #peerLocalAddress()} reads
 * it as an address. For {@link ErrorCode#ERR_ASYMCLIENT} (XConnect) and
 * {@link ErrorCode#ERR_ASYMSERVER} (XListen) the detail is the value of the code the asymmetric
 * phase (prediction, address exchange, "ready", the direct connection) failed with, as the
 * original's {@code pnErrCode}; {@link #asymmetricCause()} reads it as an {@link ErrorCode}. The
 * blocking and the asynchronous API report the same. Otherwise the detail is 0.
 */
public final class XstuntException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final int detail;

    /**
     * @param code the reference's error code; never {@link ErrorCode#ERR_NONE}
     * @param detail the reference's {@code pnErrCode}
     * @param message what went wrong, for people
     */
    public XstuntException(ErrorCode code, int detail, String message) {
        this(code, detail, message, null);
    }

    /**
     * @param code the reference's error code; never {@link ErrorCode#ERR_NONE}
     * @param detail the reference's {@code pnErrCode}
     * @param message what went wrong, for people
     * @param cause the underlying failure, or null
     */
    public XstuntException(ErrorCode code, int detail, String message, Throwable cause) {
        super(Objects.requireNonNull(code, "code").name() + " (" + code.value() + "): " + message, cause);
        if (code == ErrorCode.ERR_NONE) {
            throw new IllegalArgumentException("ERR_NONE is not a failure");
        }
        this.code = code;
        this.detail = detail;
    }

    /** The public form of an engine failure: same code, detail and message; the failure is the cause. */
    static XstuntException of(Failure f) {
        return new XstuntException(ErrorCode.of(f.code()), f.detail(), f.reason(), f);
    }

    /** @return the reference's error code (the C function's return value in XSTUNT 1.0) */
    public ErrorCode code() {
        return code;
    }

    /** @return the reference's {@code pnErrCode} out-parameter */
    public int detail() {
        return detail;
    }

    /**
     * @return for {@link ErrorCode#ERR_SAME_NAT}, the peer's local (LAN) IPv4 address, to connect
     *     to directly; otherwise null
     */
    public Inet4Address peerLocalAddress() {
        return code == ErrorCode.ERR_SAME_NAT ? Ipv4.toAddress(Integer.reverseBytes(detail)) : null;
    }

    /**
     * @return for {@link ErrorCode#ERR_ASYMCLIENT} and {@link ErrorCode#ERR_ASYMSERVER}, the code
     *     the asymmetric phase failed with (its {@link #detail()}: ERR_PREDICT, ERR_ADDRPORT_RECEIVE,
     *     ERR_HAIRPIN, ERR_ASYM_TIMEOUT, ...), or null if the detail names no code; otherwise null
     */
    public ErrorCode asymmetricCause() {
        if (code != ErrorCode.ERR_ASYMCLIENT && code != ErrorCode.ERR_ASYMSERVER || detail == 0) {
            return null;
        }
        try {
            return ErrorCode.ofValue(detail);
        } catch (IllegalArgumentException notACode) {
            return null;
        }
    }
}
