package io.xstunt.engine.server;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;

/** What a client writes on its log connection to register (XInit), as buffers in read mode. */
final class RegistrationBytes {
    private RegistrationBytes() {
    }

    /** @return the ID field of an original client */
    static ByteBuffer idField(String id) {
        return idField(id, false);
    }

    /** @return the ID field, asking for the xstunt extensions if {@code ask} */
    static ByteBuffer idField(String id, boolean ask) {
        return idField(id, ask, WireVariant.ID32);
    }

    /** @return the ID field in {@code variant}, asking for the xstunt extensions if {@code ask} */
    static ByteBuffer idField(String id, boolean ask, WireVariant variant) {
        ByteBuffer b = ByteBuffer.allocate(variant.idFieldSize());
        ClientId.write(b, id, variant);
        if (ask) {
            b.put(variant.extensionRequestOffset(), Protocol.EXT_REQUEST);
        }
        return b.flip();
    }

    /** @return LogState: the state byte and the local IP */
    static ByteBuffer state(int state, int localIp) {
        return state(state, localIp, null);
    }

    /** @return LogState followed by the proof of the shared secret ({@code proof} null: none) */
    static ByteBuffer state(int state, int localIp, byte[] proof) {
        ByteBuffer b = ByteBuffer.allocate(LogState.SIZE + (proof == null ? 0 : proof.length));
        new LogState(state, localIp).write(b);
        if (proof != null) {
            b.put(proof);
        }
        return b.flip();
    }
}
