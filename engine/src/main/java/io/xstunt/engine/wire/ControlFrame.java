package io.xstunt.engine.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A frame on the control channel: one tag byte ({@link Protocol#TAG_OK}, {@link Protocol#TAG_ABORT},
 * {@link Protocol#TAG_ACKABORT}), one length byte, then that many bytes.
 *
 * @param tag the tag
 * @param payload the payload, at most {@link Protocol#CONTROL_MAX_PAYLOAD} bytes
 */
public record ControlFrame(int tag, byte[] payload) {
    /** The INT32 1 of the sync and "ready" frames: raw, in the sender's (x86) host order. */
    private static final byte[] ONE = ByteBuffer.allocate(Protocol.CONTROL_ONE_LEN)
            .order(ByteOrder.LITTLE_ENDIAN).putInt(1).array();

    /** Validates tag and length. */
    public ControlFrame {
        if (tag != Protocol.TAG_OK && tag != Protocol.TAG_ABORT && tag != Protocol.TAG_ACKABORT) {
            throw new IllegalArgumentException("unknown control tag " + tag);
        }
        if (payload.length > Protocol.CONTROL_MAX_PAYLOAD) {
            throw new IllegalArgumentException("control payload of " + payload.length + " bytes");
        }
    }

    /** @return OK(INT32 1): a sync or "ready" frame */
    public static ControlFrame one() {
        return new ControlFrame(Protocol.TAG_OK, ONE.clone());
    }

    /** @return OK(4 address bytes) */
    public static ControlFrame address(int ip) {
        return new ControlFrame(Protocol.TAG_OK, ByteBuffer.allocate(4).putInt(ip).array());
    }

    /** @return OK(2 port bytes, network order) */
    public static ControlFrame port(int port) {
        return new ControlFrame(Protocol.TAG_OK, ByteBuffer.allocate(2).putShort((short) port).array());
    }

    /** @return ABORT(error text), the text cut to fit one frame */
    public static ControlFrame abort(String reason) {
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length > Protocol.CONTROL_MAX_PAYLOAD) {
            b = java.util.Arrays.copyOf(b, Protocol.CONTROL_MAX_PAYLOAD);
        }
        return new ControlFrame(Protocol.TAG_ABORT, b);
    }

    /** @return ACKABORT, length 0 */
    public static ControlFrame ackAbort() {
        return new ControlFrame(Protocol.TAG_ACKABORT, new byte[0]);
    }

    /** @return true for an OK frame carrying a "one" (only its length is checked, as the original does) */
    public boolean isOne() {
        return tag == Protocol.TAG_OK && payload.length == Protocol.CONTROL_ONE_LEN;
    }

    /** @return the address of an OK(4 bytes) frame */
    public int asAddress() {
        if (tag != Protocol.TAG_OK || payload.length != 4) {
            throw new WireFormatException("expected OK(4 address bytes), got " + this);
        }
        return ByteBuffer.wrap(payload).getInt();
    }

    /** @return the port of an OK(2 bytes) frame */
    public int asPort() {
        if (tag != Protocol.TAG_OK || payload.length != 2) {
            throw new WireFormatException("expected OK(2 port bytes), got " + this);
        }
        return ByteBuffer.wrap(payload).getShort() & 0xffff;
    }

    /** @return the error text of an ABORT frame */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** @return bytes on the wire */
    public int encodedLength() {
        return Protocol.CONTROL_HEADER_LEN + payload.length;
    }

    /** Writes the frame at the buffer's position. */
    public void write(ByteBuffer dst) {
        dst.put((byte) tag).put((byte) payload.length).put(payload);
    }

    /**
     * Reads one frame if the buffer holds a whole one; otherwise leaves the buffer untouched.
     *
     * @return the frame, or null if more bytes are needed
     * @throws WireFormatException on an unknown tag
     */
    public static ControlFrame tryRead(ByteBuffer src) {
        if (src.remaining() < Protocol.CONTROL_HEADER_LEN) {
            return null;
        }
        int p = src.position();
        int tag = src.get(p) & 0xff;
        int len = src.get(p + 1) & 0xff;
        if (tag != Protocol.TAG_OK && tag != Protocol.TAG_ABORT && tag != Protocol.TAG_ACKABORT) {
            throw new WireFormatException("unknown control tag " + tag);
        }
        if (src.remaining() < Protocol.CONTROL_HEADER_LEN + len) {
            return null;
        }
        byte[] payload = new byte[len];
        src.position(p + Protocol.CONTROL_HEADER_LEN);
        src.get(payload);
        return new ControlFrame(tag, payload);
    }

    @Override
    public String toString() {
        String name = switch (tag) {
            case Protocol.TAG_OK -> "OK";
            case Protocol.TAG_ABORT -> "ABORT";
            default -> "ACKABORT";
        };
        return name + "(" + payload.length + " bytes)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ControlFrame f && f.tag == tag && java.util.Arrays.equals(f.payload, payload);
    }

    @Override
    public int hashCode() {
        return tag * 31 + java.util.Arrays.hashCode(payload);
    }
}
