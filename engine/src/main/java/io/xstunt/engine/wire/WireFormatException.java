package io.xstunt.engine.wire;

/** Bytes that do not decode to a valid XSTUNT message. Unchecked: decoders are pure functions. */
public final class WireFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the bytes */
    public WireFormatException(String message) {
        super(message);
    }
}
