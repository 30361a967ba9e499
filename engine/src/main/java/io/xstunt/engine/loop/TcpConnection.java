package io.xstunt.engine.loop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A nonblocking TCP connection on the loop: a bounded inbound buffer handed to a
 * {@link ConnectionListener} and a bounded outbound buffer flushed on OP_WRITE.
 * Every method runs on the loop thread.
 */
public final class TcpConnection implements IoHandler {
    /** Default inbound buffer: larger than any XSTUNT message, log lines included. */
    public static final int DEFAULT_INBOUND = 4096;
    /** Default cap of bytes queued for a peer that does not read. */
    public static final int DEFAULT_MAX_OUTBOUND = 64 * 1024;

    private final EventLoop loop;
    private final SocketChannel channel;
    private final ByteBuffer in;
    private final int maxOutbound;
    private ByteBuffer out = ByteBuffer.allocate(0);
    private ConnectionListener listener;
    private SelectionKey key;
    private boolean connected;
    private boolean closed;
    private boolean closeWhenFlushed;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private Object attachment;

    private TcpConnection(EventLoop loop, SocketChannel channel, ConnectionListener listener, int inbound,
                          int maxOutbound) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.channel = Objects.requireNonNull(channel, "channel");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.in = ByteBuffer.allocate(inbound);
        this.maxOutbound = maxOutbound;
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
                                         int inbound, int maxOutbound) throws IOException {
        TcpConnection c = new TcpConnection(loop, channel, listener, inbound, maxOutbound);
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

    /** Replaces the listener: a procedure hands the connection to the next one. */
    public void listener(ConnectionListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
    }

    /** @return the current listener */
    public ConnectionListener listener() {
        return listener;
    }

    /** Attaches an object of the owner's choosing. */
    public void attach(Object o) {
        attachment = o;
    }

    /** @return the attached object */
    public Object attachment() {
        return attachment;
    }

    /** @return the loop that drives this connection */
    public EventLoop loop() {
        return loop;
    }

    /** @return the local address once connected (null before) */
    public InetSocketAddress localAddress() {
        return local;
    }

    /** @return the remote address once connected (null before) */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** @return true once connected and until closed */
    public boolean isOpen() {
        return connected && !closed;
    }

    /** @return true once closed or detached */
    public boolean isClosed() {
        return closed;
    }

    /** @return bytes queued for the peer */
    public int pendingOutbound() {
        return out.remaining();
    }

    @Override
    public void onReady(SelectionKey k) {
        if (closed) {
            return;
        }
        if (!k.isValid()) {
            fail(new IOException("selection key cancelled"));
            return;
        }
        int ready = k.readyOps();
        if ((ready & SelectionKey.OP_CONNECT) != 0) {
            try {
                if (!channel.finishConnect()) {
                    return;
                }
            } catch (IOException e) {
                fail(e);
                return;
            }
            k.interestOps(SelectionKey.OP_READ | (out.hasRemaining() ? SelectionKey.OP_WRITE : 0));
            onConnectDone();
            return;
        }
        if ((ready & SelectionKey.OP_WRITE) != 0) {
            flush();
            if (closed) {
                return;
            }
        }
        if ((ready & SelectionKey.OP_READ) != 0) {
            read();
        }
    }

    private void onConnectDone() {
        connected = true;
        cacheAddresses();
        listener.onConnected(this);
        if (!closed && out.hasRemaining()) {
            flush();
        }
    }

    private void read() {
        int n;
        try {
            n = channel.read(in);
        } catch (IOException e) {
            fail(e);
            return;
        }
        if (n > 0) {
            in.flip();
            int before;
            ConnectionListener offered;
            do {
                // A listener that hands the connection over leaves the rest for the next one now,
                // not when more bytes happen to arrive (they may never: the peer waits for an answer).
                offered = listener;
                before = in.remaining();
                offered.onRead(this, in);
            } while (!closed && listener != offered && in.hasRemaining());
            if (closed) {
                return;
            }
            boolean stuck = in.remaining() == before && in.limit() == in.capacity();
            in.compact();
            if (stuck) {
                fail(new IOException("inbound message larger than " + in.capacity() + " bytes"));
            }
        } else if (n < 0) {
            close(null);
        }
    }

    /** Queues bytes for the peer and writes what the socket takes now. Copies {@code src}. */
    public void send(ByteBuffer src) {
        if (closed || closeWhenFlushed) {
            return;
        }
        if (!out.hasRemaining() && connected) {
            try {
                channel.write(src);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (!src.hasRemaining()) {
                return;
            }
        }
        int need = out.remaining() + src.remaining();
        if (need > maxOutbound) {
            fail(new IOException("peer does not read: " + need + " bytes would be queued, limit " + maxOutbound));
            return;
        }
        if (out.capacity() - out.limit() < src.remaining()) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxOutbound, Math.max(256, need * 2)));
            bigger.put(out).put(src).flip();
            out = bigger;
        } else {
            int pos = out.position();
            out.position(out.limit()).limit(out.limit() + src.remaining());
            out.put(src);
            out.position(pos);
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
        try {
            channel.write(out);
        } catch (IOException e) {
            fail(e);
            return;
        }
        if (!out.hasRemaining()) {
            out.clear().limit(0);
            if (key.isValid()) {
                key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            }
            if (closeWhenFlushed) {
                close(null);
            }
        } else if (key.isValid()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    /** Closes once the queued bytes are written (or at once if none are). */
    public void closeAfterFlush() {
        if (closed) {
            return;
        }
        if (!out.hasRemaining()) {
            close(null);
        } else {
            closeWhenFlushed = true;
        }
    }

    /** Closes now and tells the listener (cause null: a normal close). */
    public void close() {
        close(null);
    }

    private void fail(Throwable cause) {
        close(cause);
    }

    private void close(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        if (key != null) {
            key.cancel();
        }
        closeQuietly(channel);
        listener.onClosed(this, cause);
    }

    /**
     * Takes the channel off the loop without closing it, for the application to own. The
     * listener hears nothing more. Bytes already read but not consumed are lost, so call it only
     * on a connection that has received nothing yet. The selector lets go of a channel only at
     * its next select, so the channel is handed over, in blocking mode, after that.
     *
     * @param onDetached gets the channel, deregistered and in blocking mode (on the loop thread)
     * @param onError gets the failure if it cannot be switched to blocking mode (channel closed)
     */
    public void detach(java.util.function.Consumer<SocketChannel> onDetached,
                       java.util.function.Consumer<IOException> onError) {
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
            onDetached.accept(channel);
        });
    }

    /** Like {@link #close()}, but without telling the listener. */
    public void closeSilently() {
        if (closed) {
            return;
        }
        closed = true;
        if (key != null) {
            key.cancel();
        }
        closeQuietly(channel);
    }

    @Override
    public void onFailure(Throwable cause) {
        close(cause);
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
