package io.xstunt.engine.sim;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A simulated connection handed over to the application ({@code Connection.handOver},
 * {@code Incoming.handOver}): a {@link SocketChannel}, as a real handed-over channel is, so that
 * code which expects one (the client's {@code Rendezvous}) takes it unchanged. It is in blocking
 * mode, like the real one, and a blocking read with nothing to read runs the simulation (on the
 * simulation's thread, outside any simulated callback) until bytes, the peer's FIN or an error
 * arrive, at most {@link #BLOCKING_LIMIT} of virtual time; in non-blocking mode a read returns 0.
 * Writes never block: the simulation has no flow control. It cannot be registered with a
 * selector and has no {@link Socket}.
 */
final class SimChannel extends SocketChannel {
    /** The longest virtual time a blocking read runs the simulation. */
    static final Duration BLOCKING_LIMIT = Duration.ofSeconds(60);

    private final SimSocket socket;
    private final SimNetwork net;
    private final Map<SocketOption<?>, Object> options = new HashMap<>();
    private boolean inputShut;

    SimChannel(SimSocket socket, SimNetwork net) {
        super(SelectorProvider.provider());
        this.socket = socket;
        this.net = net;
        socket.owner(null);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (!dst.hasRemaining()) {
            return 0;
        }
        while (true) {
            if (inputShut) {
                return -1;
            }
            if (socket.available() > 0) {
                return socket.read(dst);
            }
            if (socket.atEof()) {
                return -1;
            }
            if (socket.error() != null) {
                throw new SocketException(socket.error().getMessage());
            }
            if (!isBlocking()) {
                return 0;
            }
            net.runUntil("bytes on " + this,
                    () -> socket.available() > 0 || socket.atEof() || socket.error() != null, BLOCKING_LIMIT);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                int k = read(dsts[i]);
                if (k < 0) {
                    return n == 0 ? -1 : n;
                }
                n += k;
                if (dsts[i].hasRemaining()) {
                    break;
                }
            }
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureOpen();
        int n = src.remaining();
        socket.write(src);
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += write(srcs[i]);
        }
        return n;
    }

    @Override
    public SocketChannel bind(SocketAddress local) {
        throw new AlreadyBoundException();
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        ensureOpen();
        options.put(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        ensureOpen();
        return name.type().cast(options.get(name));
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Set.of(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_SNDBUF,
                StandardSocketOptions.SO_RCVBUF, StandardSocketOptions.SO_KEEPALIVE, StandardSocketOptions.SO_LINGER);
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        inputShut = true;
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        socket.shutdownOutput();
        return this;
    }

    @Override
    public Socket socket() {
        throw new UnsupportedOperationException("a simulated channel has no java.net.Socket");
    }

    @Override
    public boolean isConnected() {
        return isOpen() && socket.wasEstablished();
    }

    @Override
    public boolean isConnectionPending() {
        return false;
    }

    @Override
    public boolean connect(SocketAddress remote) {
        throw new AlreadyConnectedException();
    }

    @Override
    public boolean finishConnect() {
        return true;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        ensureOpen();
        return socket.remote().toSocketAddress();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        ensureOpen();
        return socket.local().toSocketAddress();
    }

    @Override
    protected void implCloseSelectableChannel() {
        socket.close();
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        // reads check isBlocking() themselves
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public String toString() {
        return "SimChannel[" + socket.local() + " -> " + socket.remote() + (isOpen() ? "" : ", closed") + "]";
    }
}
