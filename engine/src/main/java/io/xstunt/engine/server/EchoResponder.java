package io.xstunt.engine.server;

import io.xstunt.engine.wire.Echo;
import java.nio.ByteBuffer;

/**
 * The echo service's procedure for one connection: write the client's public address as an
 * {@link Echo} and close after it, so that the server closes first and the client's probing port
 * is spared a TIME_WAIT. A client that writes anything is closed at once. Sans-IO.
 */
final class EchoResponder implements ConnectionProcedure {
    private final ProcedureOutput out = new ProcedureOutput();
    private final int clientIp;
    private final int clientPort;
    private final long lingerNs;

    /** @param lingerNs how long the reply may take to flush before the connection is dropped */
    EchoResponder(int clientIp, int clientPort, long lingerNs) {
        this.clientIp = clientIp;
        this.clientPort = clientPort;
        this.lingerNs = lingerNs;
    }

    @Override
    public ProcedureOutput output() {
        return out;
    }

    @Override
    public void onOpen(long nowNs) {
        ByteBuffer b = ByteBuffer.allocate(Echo.SIZE);
        Echo.writeAddress(b, clientIp, clientPort);
        out.send(b.flip());
        out.closeAfterFlush();
        out.deadline(nowNs + lingerNs);
    }

    @Override
    public void onBytes(ByteBuffer in, long nowNs) {
        out.reject(Rejection.UNEXPECTED_DATA, in.remaining() + " bytes written to the echo service");
        in.position(in.limit());
        out.closeNow();
    }

    @Override
    public void onTimeout(long nowNs) {
        if (out.expired(nowNs)) {
            out.closeNow();
        }
    }

    @Override
    public void onClosed(long nowNs) {
        out.clearDeadline();
    }
}
