package io.xstunt.engine.sim;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.tcp.TcpConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link Connection} over a simulated socket that treats its listener as
 * {@code tcp.TcpConnection} does: each read offers at most the inbound cap, the kept bytes of a
 * partial message first; what the listener leaves is kept and offered again with more; a listener
 * that replaces itself within {@code onRead} is offered the rest at once; a full buffer that the
 * listener does not touch closes the connection as an oversized message; {@code onClosed} comes
 * exactly once, after the last {@code onRead}, except after {@link #closeSilently} and
 * {@link #handOver}. Bytes sent before the connect completes wait, bounded by the outbound cap.
 * Once connected the socket takes every byte at once: the simulation has no flow control, so
 * {@link #pendingOutbound()} is 0 from then on and a peer that does not read never pushes back.
 */
final class SimConnection implements Connection, SimSocket.Owner {
    private final HostNetwork network;
    private final int maxInbound;
    private final int maxOutbound;
    private final ArrayDeque<ByteBuffer> outbound = new ArrayDeque<>();
    private SimSocket socket;
    private ConnectionListener listener;
    /** The kept bytes of a partial message (write mode), or null. */
    private ByteBuffer partial;
    private int outboundBytes;
    private boolean connected;
    private boolean closed;
    private boolean closeWhenFlushed;
    /** Reading stopped ({@link #reading(boolean)}): bytes wait in the socket. */
    private boolean readingOff;
    private InetSocketAddress local;
    private InetSocketAddress remote;

    private SimConnection(HostNetwork network, ConnectionListener listener, int maxInbound, int maxOutbound) {
        this.network = network;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.maxInbound = maxInbound;
        this.maxOutbound = maxOutbound;
    }

    /** Starts a connect on {@code network} (the socket's events come later, never from within this call). */
    static SimConnection connect(HostNetwork network, BindRequest bind, Endpoint remote, ConnectionListener listener)
            throws IOException {
        SimConnection c = new SimConnection(network, listener, TcpConnection.DEFAULT_INBOUND,
                TcpConnection.DEFAULT_MAX_OUTBOUND);
        c.socket = network.stack().connect(bind, remote, c);
        c.local = c.socket.local().toSocketAddress();
        return c;
    }

    /**
     * Adopts an accepted socket. What already happened to it (bytes, the peer's FIN, a reset) is
     * reported right after, as the next select would.
     */
    static SimConnection accepted(HostNetwork network, SimSocket socket, ConnectionListener listener, int maxInbound,
                                  int maxOutbound) {
        SimConnection c = new SimConnection(network, listener, maxInbound, maxOutbound);
        c.socket = socket;
        c.connected = true;
        c.local = socket.local().toSocketAddress();
        c.remote = socket.remote().toSocketAddress();
        socket.owner(c);
        network.simulation().events().after(0, c::catchUp);
        return c;
    }

    private void catchUp() {
        if (closed) {
            return;
        }
        if (socket.error() != null && socket.available() == 0) {
            close(socket.error());
        } else {
            readAll();
        }
    }

    // ---- the socket's events

    @Override
    public void established(SimSocket s) {
        connected = true;
        remote = s.remote().toSocketAddress();
        listener.onConnected(this);
        if (!closed && outboundBytes > 0) {
            flush();
        }
    }

    @Override
    public void readable(SimSocket s) {
        if (!closed && !readingOff) {
            readAll();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Bytes that arrive meanwhile wait in the simulated socket (which has no window: the
     * sender is not slowed); on again, they are offered after the current event.
     */
    @Override
    public void reading(boolean on) {
        if (readingOff != on || closed) {
            return;
        }
        readingOff = !on;
        if (on) {
            network.simulation().events().after(0, () -> {
                if (!closed && !readingOff) {
                    readAll();
                }
            });
        }
    }

    @Override
    public void failed(SimSocket s, IOException cause) {
        close(cause);
    }

    private void readAll() {
        while (!closed && !readingOff && (socket.available() > 0 || socket.atEof())) {
            if (!readOnce()) {
                return;
            }
        }
        if (!closed && socket.error() != null) {
            close(socket.error());
        }
    }

    /** One read as TcpConnection does it. @return true if bytes were read and the connection is still open */
    private boolean readOnce() {
        ByteBuffer in = ByteBuffer.allocate(maxInbound);
        int kept = partial == null ? 0 : partial.position();
        if (kept > 0) {
            in.put(partial.array(), 0, kept);
        }
        int n = socket.available() > 0 ? socket.read(in) : -1;
        if (n < 0) {
            close(null); // the peer's FIN
            return false;
        }
        partial = null;
        in.flip();
        if (Connection.offer(this, in, maxInbound)) {
            close(new IOException("inbound message larger than " + maxInbound + " bytes"));
            return false;
        }
        if (closed) {
            return false;
        }
        if (in.hasRemaining()) {
            partial = ByteBuffer.allocate(in.remaining()).put(in);
        }
        return true;
    }

    // ---- Connection

    @Override
    public void send(ByteBuffer src) {
        if (closed || closeWhenFlushed) {
            return;
        }
        if (connected && outbound.isEmpty()) {
            write(src);
            return;
        }
        int need = outboundBytes + src.remaining();
        if (need > maxOutbound) {
            close(new IOException("peer does not read: " + need + " bytes would be queued, limit " + maxOutbound));
            return;
        }
        ByteBuffer copy = ByteBuffer.allocate(src.remaining()).put(src).flip();
        outbound.add(copy);
        outboundBytes = need;
    }

    /**
     * Writes to the socket. A write that fails is news only if the peer did not close first, as
     * TcpConnection has it: what arrived before is offered first, and a FIN makes it a clean close.
     */
    private void write(ByteBuffer src) {
        try {
            socket.write(src);
        } catch (IOException e) {
            readAll();
            close(e);
        }
    }

    private void flush() {
        ByteBuffer b;
        while (!closed && (b = outbound.poll()) != null) {
            write(b);
        }
        outboundBytes = 0;
        if (closeWhenFlushed) {
            close(null);
        }
    }

    @Override
    public void closeAfterFlush() {
        if (closed) {
            return;
        }
        if (outboundBytes == 0) {
            close(null);
        } else {
            closeWhenFlushed = true;
        }
    }

    @Override
    public void close() {
        close(null);
    }

    private void close(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        partial = null;
        socket.close();
        listener.onClosed(this, cause);
    }

    @Override
    public void reset() {
        if (closed) {
            return;
        }
        closed = true;
        partial = null;
        socket.abort();
        listener.onClosed(this, null);
    }

    @Override
    public void closeSilently() {
        if (!closed) {
            closed = true;
            partial = null;
            socket.close();
        }
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public boolean isOpen() {
        return connected && !closed;
    }

    @Override
    public int pendingOutbound() {
        return outboundBytes;
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
    public ConnectionListener listener() {
        return listener;
    }

    @Override
    public void listener(ConnectionListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
    }

    @Override
    public void readNow() {
        if (connected && !closed) {
            try {
                readAll();
            } catch (RuntimeException | Error e) {
                close(e);
                throw e;
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>As with the real connection, the channel comes right after, not within this call. It is
     * a {@link SimChannel}; its blocking reads run the simulation.
     */
    @Override
    public void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError) {
        if (closed) {
            onError.accept(new IOException("connection already closed"));
            return;
        }
        closed = true;
        socket.owner(null);
        network.simulation().events().after(0, () -> onDone.accept(new SimChannel(socket, network.simulation())));
    }

    @Override
    public String toString() {
        return "SimConnection[" + local + " -> " + remote + (closed ? ", closed" : "") + "]";
    }
}
