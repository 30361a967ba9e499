package io.xstunt.engine.client;

import io.xstunt.engine.Failure;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Msg;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** Binds a {@link CommRequest} to the loop: the comm connection and one timer. Loop thread only. */
final class CommDriver implements ConnectionListener {
    /** The request's outcome; exactly one call. */
    interface Callback {
        /** MSG_CONNECT's answer arrived. */
        default void onAnswered(int value) {
        }

        /** A message without answer was delivered. */
        default void onDelivered() {
        }

        /** The request failed. */
        void onFailed(Failure error);
    }

    private final EventLoop loop;
    private final ClientConfig config;
    private final CommRequest request;
    private final Callback callback;
    private final DeadlineSlot timer;
    private TcpConnection connection;
    private final ActionPass pass = new ActionPass();

    private CommDriver(EventLoop loop, ClientConfig config, Msg msg, Callback callback) {
        this.loop = loop;
        this.config = config;
        this.request = new CommRequest(msg, config.commTimeout());
        this.callback = callback;
        this.timer = new DeadlineSlot(loop, () -> {
            request.onTimeout(loop.clockNs());
            pump();
        });
    }

    /** Sends {@code msg} to the comm service at serverIp1:commPort. */
    static CommDriver start(EventLoop loop, ClientConfig config, Msg msg, Callback callback) {
        CommDriver d = new CommDriver(loop, config, msg, callback);
        d.request.start(loop.clockNs());
        d.pump();
        return d;
    }

    /** Gives up; the callback hears {@code error}. */
    void abort(Failure error) {
        request.abort(error);
        pump();
    }

    private void pump() {
        if (!pass.run(() -> request.runActions(this::run))) {
            return;
        }
        timer.set(request.deadlineNs());
    }

    private void run(CommRequest.Action a) {
        switch (a) {
            case CommRequest.Action.Connect c -> connect();
            case CommRequest.Action.Send s -> {
                if (connection != null) {
                    connection.send(s.bytes());
                }
            }
            case CommRequest.Action.CloseAfterFlush c -> {
                if (connection != null) {
                    connection.closeAfterFlush();
                }
            }
            case CommRequest.Action.Close c -> {
                if (connection != null) {
                    connection.closeSilently();
                    connection = null;
                }
            }
            case CommRequest.Action.Answered r -> callback.onAnswered(r.value());
            case CommRequest.Action.Delivered d -> callback.onDelivered();
            case CommRequest.Action.Failed f -> callback.onFailed(f.error());
        }
    }

    private void connect() {
        InetSocketAddress server = new InetSocketAddress(config.serverIp1(), config.commPort());
        try {
            connection = TcpConnection.connect(loop, ClientSockets.service(config.localAddress()), server, this);
        } catch (IOException | RuntimeException e) {
            connection = null;
            request.onConnectFailed(server + ": " + e);
        }
    }

    @Override
    public void onConnected(Connection c) {
        request.onConnected(loop.clockNs());
        pump();
    }

    @Override
    public void onRead(Connection c, ByteBuffer in) {
        request.onBytes(in);
        pump();
    }

    @Override
    public void onClosed(Connection c, Throwable cause) {
        connection = null;
        if (request.state() == CommRequest.State.CONNECTING) {
            request.onConnectFailed(cause == null ? "closed" : cause.toString());
        } else {
            request.onClosed(cause == null ? null : cause.toString());
        }
        pump();
    }
}
