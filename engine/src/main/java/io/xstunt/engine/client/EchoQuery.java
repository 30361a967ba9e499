package io.xstunt.engine.client;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.nat.NatAnalysis.Observation;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.WireFormatException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The I/O of one echo query (XCheckConeTCPProbe; also XPredict's query): from a given local
 * port, connect to an echo endpoint, read the {@link Echo} address reply, and wait for the
 * server to close first. Thin adapter: the procedures that use it bound it with their own
 * deadlines and {@link #abort} it. Loop thread only.
 */
final class EchoQuery implements ConnectionListener {
    /** Outcome of a query; exactly one call, never after {@link #abort}. */
    interface Callback {
        void onResult(int boundPort, Observation observation);

        void onFailed(String reason);
    }

    private final Callback callback;
    private TcpConnection connection;
    private Echo echo;
    private int boundPort;
    private boolean finished;

    private EchoQuery(Callback callback) {
        this.callback = callback;
    }

    /**
     * Starts a query. A failure to even start is reported through the callback, synchronously.
     *
     * @param localAddress the address to bind (null: any)
     * @param localPort the port to bind (0: a fresh one)
     * @param reusePort also set SO_REUSEPORT (the prediction's port is rebound by the punch)
     */
    static EchoQuery start(EventLoop loop, InetAddress localAddress, int localPort, boolean reusePort,
                           InetSocketAddress endpoint, Callback callback) {
        EchoQuery q = new EchoQuery(callback);
        try {
            SocketChannel ch = ClientSockets.bound(localAddress, localPort, reusePort);
            q.boundPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            q.connection = TcpConnection.connect(loop, ch, endpoint, q);
        } catch (IOException | RuntimeException e) {
            q.finish();
            callback.onFailed("cannot connect from port " + localPort + " to " + endpoint + ": " + e);
        }
        return q;
    }

    @Override
    public void onRead(Connection c, ByteBuffer in) {
        if (echo != null) {
            in.position(in.limit()); // the server sends one record; ignore anything after it
            return;
        }
        if (in.remaining() < Echo.SIZE) {
            return;
        }
        try {
            echo = Echo.read(in);
        } catch (WireFormatException e) {
            in.position(in.limit());
            fail("malformed echo: " + e.getMessage());
        }
    }

    @Override
    public void onClosed(Connection c, Throwable cause) {
        if (finished) {
            return;
        }
        if (echo != null) {
            // the echo arrived; an error on the way out (e.g. a reset) does not spoil it
            finish();
            callback.onResult(boundPort, new Observation(echo.ip(), echo.port()));
        } else {
            finish();
            callback.onFailed(cause == null ? "closed before the echo" : cause.toString());
        }
    }

    private void fail(String reason) {
        finish();
        connection.closeSilently();
        callback.onFailed(reason);
    }

    private void finish() {
        finished = true;
    }

    /** Closes the query's socket without reporting. Idempotent. */
    void abort() {
        finished = true;
        if (connection != null) {
            connection.closeSilently();
        }
    }
}
