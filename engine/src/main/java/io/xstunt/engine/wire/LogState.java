package io.xstunt.engine.wire;

import java.nio.ByteBuffer;

/**
 * What a client writes on the log connection after the ServerInfo: one state byte
 * ({@link Protocol#CSTATE_PROBE} or {@link Protocol#CSTATE_IDLE}) and its local IPv4.
 *
 * @param state CSTATE_PROBE or CSTATE_IDLE
 * @param localIp the client's local (private) IPv4, big-endian int
 */
public record LogState(int state, int localIp) {
    /** Size on the wire. */
    public static final int SIZE = Protocol.LOG_STATE_LEN;

    /** Writes it at the buffer's position. */
    public void write(ByteBuffer dst) {
        dst.put((byte) state).put((byte) (localIp >>> 24)).put((byte) (localIp >>> 16))
                .put((byte) (localIp >>> 8)).put((byte) localIp);
    }

    /**
     * Reads it at the buffer's position.
     *
     * @throws WireFormatException if the state is neither PROBE nor IDLE
     */
    public static LogState read(ByteBuffer src) {
        int state = src.get() & 0xff;
        int ip = (src.get() & 0xff) << 24 | (src.get() & 0xff) << 16 | (src.get() & 0xff) << 8 | (src.get() & 0xff);
        if (state != Protocol.CSTATE_PROBE && state != Protocol.CSTATE_IDLE) {
            throw new WireFormatException("registration state must be PROBE (0) or IDLE (1), got " + state);
        }
        return new LogState(state, ip);
    }
}
