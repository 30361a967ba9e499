package io.xstunt.engine.client;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.tcp.TcpAcceptor;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.WireVariant;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * A relay in front of the log service that holds back what a client writes after its ID field
 * (LogState, log lines, its close) for a fixed lag, as a lossy path's retransmission does: the
 * registration's LogState then reaches the server after the client could have sent its next
 * request. The relay connects to the server from the client's own address, so the server sees
 * the client's public IP. Runs on its own loop; nothing blocks.
 */
final class LaggingLogProxy implements AutoCloseable {
    /** Stands for the client's close in the queue of lagging chunks. */
    private static final byte[] CLOSE = new byte[0];

    private final EventLoop loop;
    private final InetSocketAddress server;
    private final long lagNs;
    private final TcpAcceptor acceptor;

    LaggingLogProxy(InetSocketAddress listen, InetSocketAddress server, long lagNs) throws Exception {
        this.loop = EventLoop.open("lagging-log-proxy").start();
        this.server = server;
        this.lagNs = lagNs;
        java.util.concurrent.CompletableFuture<TcpAcceptor> f = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(TcpAcceptor.open(loop, listen, 64, (a, ch) -> relay(ch)));
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        this.acceptor = f.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** @return where clients connect instead of the log service */
    InetSocketAddress address() {
        return acceptor.address();
    }

    private void relay(io.xstunt.engine.net.Incoming ch) {
        Pair p = new Pair();
        try {
            p.client = (TcpConnection) ch.adopt(p.fromClient, TcpConnection.DEFAULT_INBOUND,
                    TcpConnection.DEFAULT_MAX_OUTBOUND, io.xstunt.engine.net.SocketSpec.DEFAULTS);
            InetSocketAddress from = new InetSocketAddress(p.client.remoteAddress().getAddress(), 0);
            p.upstream = TcpConnection.connect(loop, from, server, p.fromServer);
        } catch (IOException e) {
            if (p.client != null) {
                p.client.close();
            }
        }
    }

    /** One client's relayed connection. */
    private final class Pair {
        TcpConnection client;
        TcpConnection upstream;
        int idBytesLeft = WireVariant.ID32.idFieldSize();
        /** Lagging chunks in order; {@link #CLOSE} stands for the client's close. */
        final ArrayDeque<byte[]> lagging = new ArrayDeque<>();

        final ConnectionListener fromClient = new ConnectionListener() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                int now = Math.min(idBytesLeft, in.remaining());
                if (now > 0) {
                    byte[] id = new byte[now];
                    in.get(id);
                    idBytesLeft -= now;
                    upstream.send(id);
                }
                if (in.hasRemaining()) {
                    byte[] rest = new byte[in.remaining()];
                    in.get(rest);
                    lag(rest);
                }
            }

            @Override
            public void onClosed(Connection c, Throwable cause) {
                lag(null);
            }
        };

        final ConnectionListener fromServer = new ConnectionListener() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                byte[] b = new byte[in.remaining()];
                in.get(b);
                client.send(b);
            }

            @Override
            public void onClosed(Connection c, Throwable cause) {
                client.closeAfterFlush();
            }
        };

        /** Sends {@code chunk} (or, if null, the close) upstream after the lag, in the order received. */
        void lag(byte[] chunk) {
            lagging.add(chunk == null ? CLOSE : chunk);
            loop.schedule(lagNs, () -> {
                byte[] next = lagging.poll();
                if (next == CLOSE) {
                    upstream.closeAfterFlush();
                } else if (next != null) {
                    upstream.send(next);
                }
            });
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
