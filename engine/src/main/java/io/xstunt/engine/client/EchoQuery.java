package io.xstunt.engine.client;

import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.proc.Procedure;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.WireVariant;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One echo query (XCheckConeTCPProbe; also XPredict's query) as a sans-IO state machine
 * ({@link Procedure}, one connection): from a given local port, connect to an echo endpoint, read
 * one {@link Echo} address reply and close, as the original does: the query is answered as soon
 * as the record is in, whether or not the server closes. The close is a reset (SO_LINGER 0), so
 * that neither side keeps the connection in TIME_WAIT: the client's probing port stays free (the
 * probe's next query and the punch bind it again) and no TIME_WAIT piles up on the client's address
 * or the server's. Its only deadline is its owner's: the probe and the rendezvous bound it and
 * abort it.
 */
final class EchoQuery extends Procedure<EchoQuery.Action> {
    /** What the owner must do. */
    sealed interface Action {
        /** Open connection 0 as {@code local} says to {@code endpoint}. */
        record Open(SocketSpec local, InetSocketAddress endpoint) implements Action {
        }

        /** The echo arrived: from {@code boundPort}, the server saw {@code observation}. */
        record Answered(int boundPort, Observation observation) implements Action {
        }

        /** The query failed. */
        record Failed(String reason) implements Action {
        }
    }

    private final SocketSpec local;
    private final InetSocketAddress endpoint;
    private final WireVariant variant;
    private int boundPort;
    private boolean finished;

    /**
     * @param localAddress the address to bind (null: any)
     * @param localPort the port to bind (0: a fresh one)
     * @param reusePort also SO_REUSEPORT (the prediction's port is bound again by the punch)
     * @param variant the wire variant: the size of the record to read
     */
    EchoQuery(InetAddress localAddress, int localPort, boolean reusePort, InetSocketAddress endpoint,
              WireVariant variant) {
        super(1);
        this.local = SocketSpec.shared(localAddress, localPort, reusePort);
        this.endpoint = endpoint;
        this.variant = variant;
    }

    /** Starts: open the connection. */
    void start(long nowNs) {
        emit(new Action.Open(local, endpoint));
    }

    @Override
    public void handleConnected(int connection, InetSocketAddress localAddress, long nowNs) {
        boundPort = localAddress.getPort();
    }

    @Override
    public void handleConnectFailed(int connection, String reason, long nowNs) {
        finish(new Action.Failed("cannot connect from port " + local.port() + " to " + endpoint + ": " + reason));
    }

    @Override
    public void handleBytes(int connection, ByteBuffer in, long nowNs) {
        if (finished) {
            in.position(in.limit()); // the server sends one record; anything after it is of no interest
            return;
        }
        if (in.remaining() < variant.echoSize()) {
            return;
        }
        Echo echo = Echo.read(in, variant);
        in.position(in.limit());
        outbound(0).resetNow();
        finish(new Action.Answered(boundPort, new Observation(echo.ip(), echo.port())));
    }

    @Override
    public void handleClosed(int connection, String ioError, long nowNs) {
        if (finished) {
            return; // our own close after the record, or an abort
        }
        if (boundPort == 0) {
            handleConnectFailed(connection, ioError == null ? "closed" : ioError, nowNs);
        } else {
            finish(new Action.Failed(ioError == null ? "closed before the echo" : ioError));
        }
    }

    @Override
    public void handleTimeout(long nowNs) {
        // bounded by its owner
    }

    /** Closes the query's socket without an outcome (its owner gave up on it). */
    void abort() {
        finished = true;
        outbound(0).closeNow();
    }

    private void finish(Action outcome) {
        if (!finished) {
            finished = true;
            emit(outcome);
        }
    }
}
