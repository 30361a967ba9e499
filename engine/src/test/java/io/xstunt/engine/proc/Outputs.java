package io.xstunt.engine.proc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Polls a {@link Procedure}'s outputs by hand, as {@link ProcedureDriver} would after an input:
 * for tests that drive a procedure the sans-IO way, without sockets.
 */
public final class Outputs {
    private Outputs() {
    }

    /**
     * Polls every buffer queued for {@code connection} and consumes it, as a socket write would.
     *
     * @return the bytes, concatenated (empty if none)
     */
    public static byte[] sent(Procedure<?> p, int connection) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteBuffer b;
        while ((b = p.outbound(connection).pollTransmit()) != null) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            o.writeBytes(a);
        }
        return o.toByteArray();
    }

    /** @return every action asked for since the last poll, in the order asked */
    public static <A> List<A> actions(Procedure<A> p) {
        List<A> all = new ArrayList<>();
        A a;
        while ((a = p.pollAction()) != null) {
            all.add(a);
        }
        return all;
    }
}
