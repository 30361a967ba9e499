package io.xstunt.engine.server;

import io.xstunt.engine.proc.Outbound;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Echo;
import java.nio.ByteBuffer;

/**
 * The echo service's procedure for one connection: write the client's public address as an
 * {@link Echo} and close after it. A client that writes anything is closed at once. Sans-IO
 * ({@link Procedure}, one connection; its only action is a {@link Refused}).
 */
final class EchoResponder extends Procedure<Refused> {
    private final Outbound out = outbound(0);
    private final int clientIp;
    private final int clientPort;
    private final long lingerNs;

    /** @param lingerNs how long the reply may take to flush before the connection is dropped */
    EchoResponder(int clientIp, int clientPort, long lingerNs) {
        super(1);
        this.clientIp = clientIp;
        this.clientPort = clientPort;
        this.lingerNs = lingerNs;
    }

    /**
     * The connection was accepted: the reply ({@link Echo#addressReply}, in the reference's
     * variant, since the client says nothing from which to tell its own).
     */
    void start(long nowNs) {
        out.send(Echo.addressReply(clientIp, clientPort));
        out.closeAfterFlush();
        deadline(nowNs + lingerNs);
    }

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        emit(new Refused(Rejection.UNEXPECTED_DATA, in.remaining() + " bytes written to the echo service"));
        in.position(in.limit());
        out.closeNow();
    }

    @Override
    public void handleTimeout(long nowNs) {
        if (expired(nowNs)) {
            out.closeNow();
        }
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        clearDeadline();
    }
}
