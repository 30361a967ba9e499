package io.xstunt.engine.loop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A nonblocking TCP connection on the loop: bytes read are handed to a {@link ConnectionListener},
 * at most a bounded number at a time; bytes to send are written at once, and what the socket does
 * not take waits in a bounded outbound buffer flushed on OP_WRITE. Every method runs on the loop
 * thread.
 *
 * <p>Memory: a server holds one connection per registered client, most of them silent. So a
 * connection owns no buffer while it has nothing pending: reads go into the loop's one read
 * buffer ({@link EventLoop#lendReadBuffer}), and only the bytes of a partial message are kept
 * here, in storage that grows with them up to the inbound cap; the outbound buffer exists only
 * while a write could not complete. Storage larger than {@link #KEPT_STORAGE} bytes is released
 * once it is empty; smaller storage stays, so that a connection that often has a partial message
 * or a slow reader does not allocate each time.
 */
public final class TcpConnection implements IoHandler {
    /** Default inbound buffer: larger than any XSTUNT message, log lines included. */
    public static final int DEFAULT_INBOUND = 4096;
    /** Default cap of bytes queued for a peer that does not read. */
    public static final int DEFAULT_MAX_OUTBOUND = 64 * 1024;
    /** Inbound or outbound storage up to this size is kept when it empties; larger is released. */
    static final int KEPT_STORAGE = 256;
    /** The least storage allocated for a partial message (it grows to the inbound cap). */
    private static final int MIN_PARTIAL = 64;

    private final EventLoop loop;
    private final SocketChannel channel;
    /** The longest message the listener can be offered: the inbound cap. */
    private final int maxInbound;
    private final int maxOutbound;
    /** Bytes of a partial message left by the listener (write mode); null while none were kept. */
    private ByteBuffer partial;
    /** Bytes the socket did not take yet (read mode); null until a write could not complete. */
    private ByteBuffer out;
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
        this.maxInbound = inbound;
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
        return out == null ? 0 : out.remaining();
    }

    /** @return bytes of a partial message kept until more arrive (tests) */
    int pendingInbound() {
        return partial == null ? 0 : partial.position();
    }

    /** @return the capacity of the storage held for inbound and outbound bytes (tests) */
    int storageBytes() {
        return (partial == null ? 0 : partial.capacity()) + (out == null ? 0 : out.capacity());
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
            k.interestOps(SelectionKey.OP_READ | (pendingOutbound() > 0 ? SelectionKey.OP_WRITE : 0));
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
        if (!closed && pendingOutbound() > 0) {
            flush();
        }
    }

    /**
     * Reads what has already arrived, without waiting for the selector to report it: for a
     * protocol in which the peer speaks first, call it right after adopting an accepted
     * connection. The request is usually there by then, and a connection answered and closed
     * before the loop's next select never reaches epoll (no epoll_ctl to add it and none to
     * remove it). If nothing has arrived yet it costs one read that returns nothing. A listener
     * that throws closes this connection with that cause, as on a read the selector reported,
     * and the exception goes on to the caller.
     */
    public void readNow() {
        if (connected && !closed) {
            try {
                read();
            } catch (RuntimeException | Error e) {
                close(e);
                throw e;
            }
        }
    }

    private void read() {
        ByteBuffer in = loop.lendReadBuffer(maxInbound);
        try {
            read(in);
        } finally {
            loop.returnReadBuffer(in);
        }
    }

    /** Reads into {@code in} (the loop's, cleared) after the kept partial message, offers, keeps the rest. */
    private void read(ByteBuffer in) {
        int kept = pendingInbound();
        if (kept > 0) {
            in.put(partial.array(), 0, kept); // the partial stays kept until the read brings more
        }
        int n;
        try {
            n = channel.read(in);
        } catch (IOException e) {
            fail(e);
            return;
        }
        if (n > 0) {
            if (partial != null) {
                partial.clear();
            }
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
            if (in.remaining() == before && in.limit() == maxInbound) {
                fail(new IOException("inbound message larger than " + maxInbound + " bytes"));
                return;
            }
            keepPartial(in);
        } else if (n < 0) {
            close(null, false); // the peer's FIN came first: ours needs no hurry
        }
    }

    /** Keeps what the listener left (a partial message) until the next read; {@code in} is not ours. */
    private void keepPartial(ByteBuffer in) {
        int left = in.remaining();
        if (left == 0) {
            if (partial != null && partial.capacity() > KEPT_STORAGE) {
                partial = null;
            }
            return;
        }
        if (partial == null || partial.capacity() < left) {
            partial = ByteBuffer.allocate(Math.min(maxInbound, Math.max(MIN_PARTIAL, 2 * left)));
        }
        partial.put(in);
    }

    /**
     * Writes what the socket takes now and queues the rest (copied: {@code src} may be reused as
     * soon as this returns, e.g. the loop's read buffer relayed to another connection). Consumes
     * all of {@code src}, unless the connection is closed, closing or fails here.
     */
    public void send(ByteBuffer src) {
        if (closed || closeWhenFlushed) {
            return;
        }
        int pending = pendingOutbound();
        if (pending == 0 && connected) {
            try {
                channel.write(src);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (!src.hasRemaining()) {
                return; // the common case: no outbound buffer, no OP_WRITE interest
            }
        }
        int need = pending + src.remaining();
        if (need > maxOutbound) {
            fail(new IOException("peer does not read: " + need + " bytes would be queued, limit " + maxOutbound));
            return;
        }
        if (out == null || out.capacity() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxOutbound, Math.max(KEPT_STORAGE, need * 2)));
            if (out != null) {
                bigger.put(out);
            }
            out = bigger.put(src).flip();
        } else {
            out.compact().put(src).flip();
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
        if (out == null) {
            return;
        }
        try {
            channel.write(out);
        } catch (IOException e) {
            fail(e);
            return;
        }
        if (!out.hasRemaining()) {
            if (out.capacity() > KEPT_STORAGE) {
                out = null;
            } else {
                out.clear().limit(0);
            }
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
        if (pendingOutbound() == 0) {
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
        close(cause, true);
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
        partial = null;
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
        release(true);
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
