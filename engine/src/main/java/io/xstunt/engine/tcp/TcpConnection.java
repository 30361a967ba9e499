package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.IoHandler;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A nonblocking TCP {@link Connection} on an {@link EventLoop}: bytes read are handed to a
 * {@link ConnectionListener}, at most the inbound cap at a time; bytes to send are written at once,
 * and what the socket does not take waits in a bounded {@link OutboundBuffer} flushed on
 * OP_WRITE. Every method runs on the loop thread.
 *
 * <p>Memory: a server holds one connection per registered client, most of them silent. So a
 * connection owns no buffer while it has nothing pending: reads go into the loop's one read
 * buffer ({@link EventLoop#lendReadBuffer}), and only the bytes of a partial message are kept,
 * in an {@link InboundBuffer}.
 */
public final class TcpConnection implements Connection, IoHandler {
    /** Default inbound cap: larger than any XSTUNT message, log lines included. */
    public static final int DEFAULT_INBOUND = 4096;
    /** Default cap of bytes queued for a peer that does not read. */
    public static final int DEFAULT_MAX_OUTBOUND = 64 * 1024;
    /** Inbound or outbound storage up to this size is kept when it empties; larger is released. */
    static final int KEPT_STORAGE = 256;

    private final EventLoop loop;
    private final SocketChannel channel;
    private final InboundBuffer inbound;
    private final OutboundBuffer outbound;
    private ConnectionListener listener;
    private SelectionKey key;
    private boolean connected;
    private boolean closed;
    private boolean closeWhenFlushed;
    /** Reading stopped by {@link #reading(boolean)}: OP_READ stays off. */
    private boolean readingOff;
    private InetSocketAddress local;
    private InetSocketAddress remote;

    private TcpConnection(EventLoop loop, SocketChannel channel, ConnectionListener listener, int maxInbound,
                          int maxOutbound) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.channel = Objects.requireNonNull(channel, "channel");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.inbound = new InboundBuffer(maxInbound);
        this.outbound = new OutboundBuffer(maxOutbound);
    }

    /**
     * Starts a nonblocking connect on a channel the caller created (and bound, with any socket
     * options it needs). {@link ConnectionListener#onConnected} or {@code onClosed} follows.
     *
     * @throws IOException if the connect cannot even start (the channel is then closed)
     */
    public static TcpConnection connect(EventLoop loop, SocketChannel channel, SocketAddress remote,
                                        ConnectionListener listener) throws IOException {
        TcpConnection c = new TcpConnection(loop, channel, listener, DEFAULT_INBOUND, DEFAULT_MAX_OUTBOUND);
        try {
            channel.configureBlocking(false);
            c.local = (InetSocketAddress) channel.getLocalAddress();
            if (channel.connect(remote)) {
                c.key = loop.register(channel, SelectionKey.OP_READ, c);
                c.onConnectDone();
            } else {
                c.key = loop.register(channel, SelectionKey.OP_CONNECT, c);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
        return c;
    }

    /** Opens a channel, binds it to {@code local} (null: any) and connects it. */
    public static TcpConnection connect(EventLoop loop, InetSocketAddress local, SocketAddress remote,
                                        ConnectionListener listener) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            if (local != null) {
                ch.bind(local);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
        return connect(loop, ch, remote, listener);
    }

    /** Adopts an accepted (connected) channel. */
    public static TcpConnection accepted(EventLoop loop, SocketChannel channel, ConnectionListener listener,
                                         int maxInbound, int maxOutbound) throws IOException {
        TcpConnection c = new TcpConnection(loop, channel, listener, maxInbound, maxOutbound);
        try {
            c.key = loop.register(channel, SelectionKey.OP_READ, c);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
        c.connected = true;
        c.cacheAddresses();
        return c;
    }

    private void cacheAddresses() {
        try {
            local = (InetSocketAddress) channel.getLocalAddress();
            remote = (InetSocketAddress) channel.getRemoteAddress();
        } catch (IOException e) {
            // closed already: the next read or write reports it
        }
    }

    @Override
    public void listener(ConnectionListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
    }

    @Override
    public ConnectionListener listener() {
        return listener;
    }

    /** @return the loop that drives this connection */
    public EventLoop loop() {
        return loop;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public boolean isOpen() {
        return connected && !closed;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public int pendingOutbound() {
        return outbound.pending();
    }

    /** @return bytes of a partial message kept until more arrive (tests) */
    int pendingInbound() {
        return inbound.kept();
    }

    /** @return the capacity of the storage held for inbound and outbound bytes (tests) */
    int storageBytes() {
        return inbound.storageBytes() + outbound.storageBytes();
    }

    @Override
    public void onReady(SelectionKey k) {
        if (closed) {
            return;
        }
        if (!k.isValid()) {
            close(new IOException("selection key cancelled"), true);
            return;
        }
        int ready = k.readyOps();
        if ((ready & SelectionKey.OP_CONNECT) != 0) {
            try {
                if (!channel.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                close(e, true);
                return;
            }
            k.interestOps((readingOff ? 0 : SelectionKey.OP_READ) | (pendingOutbound() > 0 ? SelectionKey.OP_WRITE : 0));
            onConnectDone();
            return;
        }
        if ((ready & SelectionKey.OP_WRITE) != 0) {
            flush();
            if (closed) {
                return;
            }
        }
        if ((ready & SelectionKey.OP_READ) != 0 && !readingOff) {
            read();
        }
    }

    @Override
    public void reading(boolean on) {
        if (readingOff != on || closed) {
            return;
        }
        readingOff = !on;
        if (key != null && key.isValid() && connected) {
            key.interestOps(on ? key.interestOps() | SelectionKey.OP_READ : key.interestOps() & ~SelectionKey.OP_READ);
        }
    }

    private void onConnectDone() {
        connected = true;
        cacheAddresses();
        listener.onConnected(this);
        if (!closed && pendingOutbound() > 0) {
            flush();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The request is usually there by then, and a connection answered and closed before the
     * loop's next select never reaches epoll (no epoll_ctl to add it and none to remove it). If
     * nothing has arrived yet it costs one read that returns nothing. A listener that throws
     * closes this connection with that cause, as on a read the selector reported, and the
     * exception goes on to the caller.
     */
    @Override
    public void readNow() {
        if (connected && !closed) {
            try {
                read();
            } catch (RuntimeException | Error e) {
                close(e, true);
                throw e;
            }
        }
    }

    private void read() {
        ByteBuffer in = loop.lendReadBuffer(inbound.max());
        try {
            read(in);
        } finally {
            loop.returnReadBuffer(in);
        }
    }

    /** Reads into {@code in} (the loop's, cleared) after the kept partial message, offers, keeps the rest. */
    private void read(ByteBuffer in) {
        inbound.prependTo(in);
        int n;
        try {
            n = channel.read(in);
        } catch (IOException e) {
            close(e, true);
            return;
        }
        if (n > 0) {
            inbound.consumed();
            in.flip();
            if (Connection.offer(this, in, inbound.max())) {
                close(new IOException("inbound message larger than " + inbound.max() + " bytes"), true);
                return;
            }
            if (closed) {
                return;
            }
            inbound.keep(in);
        } else if (n < 0) {
            close(null, false); // the peer's FIN came first: ours needs no hurry
        }
    }

    @Override
    public void send(ByteBuffer src) {
        if (closed || closeWhenFlushed) {
            return;
        }
        if (pendingOutbound() == 0 && connected) {
            try {
                channel.write(src);
            } catch (IOException e) {
                writeFailed(e);
                return;
            }
            if (!src.hasRemaining()) {
                return; // the common case: no outbound buffer, no OP_WRITE interest
            }
        }
        try {
            outbound.add(src);
        } catch (IOException e) {
            close(e, true);
            return;
        }
        if (connected) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    /** Queues bytes for the peer. */
    public void send(byte[] bytes) {
        send(ByteBuffer.wrap(bytes));
    }

    private void flush() {
        boolean done;
        try {
            done = outbound.flush(channel);
        } catch (IOException e) {
            writeFailed(e);
            return;
        }
        if (done) {
            if (key.isValid()) {
                key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            }
            if (closeWhenFlushed) {
                close(null, true);
            } else if (connected) {
                listener.onDrained(this);
            }
        } else if (key.isValid()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    /**
     * A write failed (a reset, a broken pipe). When the peer closed first, that is the news, not
     * the failed write: what it sent before its FIN is offered and its close reported as a clean
     * one, as a read would have found them. Otherwise the write's error closes the connection.
     */
    private void writeFailed(IOException e) {
        if (!closed) {
            read();
        }
        close(e, true);
    }

    @Override
    public void closeAfterFlush() {
        if (closed) {
            return;
        }
        if (pendingOutbound() == 0) {
            close(null, true);
        } else {
            closeWhenFlushed = true;
        }
    }

    @Override
    public void close() {
        close(null, true);
    }

    /**
     * {@inheritDoc}
     *
     * <p>SO_LINGER 0 makes the close send a RST; no output shutdown before it, which would send a
     * FIN and leave this side in FIN_WAIT/TIME_WAIT.
     */
    @Override
    public void reset() {
        if (closed) {
            return;
        }
        try {
            channel.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | RuntimeException e) {
            // already reset or never connected: the close releases it all the same
        }
        close(null, false);
    }

    private void close(Throwable cause, boolean finNow) {
        if (closed) {
            return;
        }
        closed = true;
        release(finNow);
        listener.onClosed(this, cause);
    }

    /**
     * Cancels the key and closes the channel once the selector has let go of it. Closed while
     * still registered, the JDK reads SO_LINGER and shuts the output down (two system calls per
     * connection) and defers the descriptor's close to the next select anyway; closed after that
     * select it is a single close(2). When this side closes first ({@code finNow}) the output is
     * shut down here, one call, so that the FIN leaves at once as before: the side that closes
     * first keeps the TIME_WAIT, and that should stay the server, which binds no addresses (a
     * client that binds its address explicitly pays for every TIME_WAIT left on it). After the
     * peer's FIN there is no such hurry. Off the loop thread, or once the loop is closing (its
     * shutdown closes every channel it still holds), the channel is closed at once.
     */
    private void release(boolean finNow) {
        inbound.release();
        if (key == null) {
            closeQuietly(channel);
            return;
        }
        key.cancel();
        if (loop.inLoop() && loop.isRunning()) {
            if (finNow && connected) {
                try {
                    channel.shutdownOutput();
                } catch (IOException | RuntimeException e) {
                    // reset or never connected: the close after the next select releases it all the same
                }
            }
            loop.afterNextSelect(() -> closeQuietly(channel));
        } else {
            closeQuietly(channel);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The selector lets go of a channel only at its next select, so the channel is handed over,
     * in blocking mode, after that.
     */
    @Override
    public void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError) {
        if (closed) {
            onError.accept(new IOException("connection already closed"));
            return;
        }
        closed = true;
        key.cancel();
        loop.afterNextSelect(() -> {
            try {
                channel.configureBlocking(true);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                onError.accept(e instanceof IOException io ? io : new IOException(e));
                return;
            }
            onDone.accept(channel);
        });
    }

    @Override
    public void closeSilently() {
        if (closed) {
            return;
        }
        closed = true;
        release(true);
    }

    @Override
    public void onFailure(Throwable cause) {
        close(cause, true);
    }

    static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do: the descriptor is released either way
        }
    }

    @Override
    public String toString() {
        return "TcpConnection[" + local + " -> " + remote + (closed ? ", closed" : "") + "]";
    }
}
