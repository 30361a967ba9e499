package io.xstunt.engine.proc;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link Connection} of a {@link FakeNetwork} whose peer the test plays: it {@link #receive}s
 * bytes, reads what was sent ({@link #takeRead}) or stops reading ({@link #peerReads}), closes
 * ({@link #peerCloses}) or fails. Sends, closes and what the peer does are noted in the network's
 * journal under the connection's name. Inbound bytes not consumed are kept and offered again with
 * the next, in a bounded buffer: a full buffer that the listener consumes nothing of closes the
 * connection, as a real one does.
 */
public final class FakeConnection implements Connection {
    private final FakeNetwork network;
    private final String name;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final ByteBuffer inbound;
    private final ByteArrayOutputStream read = new ByteArrayOutputStream();
    private final ByteArrayOutputStream unread = new ByteArrayOutputStream();
    private ConnectionListener listener;
    private boolean connected;
    private boolean closed;
    private boolean closeWhenFlushed;
    private boolean reading = true;
    private boolean failNextSend;

    FakeConnection(FakeNetwork network, String name, ConnectionListener listener, InetSocketAddress local,
                   InetSocketAddress remote, int maxInbound, boolean connected) {
        this.network = network;
        this.name = name;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.local = local;
        this.remote = remote;
        this.inbound = ByteBuffer.allocate(maxInbound);
        this.connected = connected;
    }

    // ---- the engine's side

    @Override
    public void send(ByteBuffer src) {
        if (closed || closeWhenFlushed) {
            return;
        }
        if (failNextSend) {
            failNextSend = false;
            network.note(name + " send fails");
            closeWith(new IOException("broken pipe"));
            return;
        }
        byte[] b = new byte[src.remaining()];
        src.get(b);
        network.note(name + " send " + b.length);
        (reading && unread.size() == 0 ? read : unread).writeBytes(b);
    }

    @Override
    public void closeAfterFlush() {
        if (closed || closeWhenFlushed) {
            return;
        }
        network.note(name + " closeAfterFlush");
        if (unread.size() == 0) {
            closeWith(null);
        } else {
            closeWhenFlushed = true;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            network.note(name + " close");
            closeWith(null);
        }
    }

    @Override
    public void closeSilently() {
        if (!closed) {
            network.note(name + " closeSilently");
            closed = true;
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
        return unread.size();
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return connected ? remote : null;
    }

    @Override
    public ConnectionListener listener() {
        return listener;
    }

    @Override
    public void listener(ConnectionListener l) {
        this.listener = Objects.requireNonNull(l, "listener");
        readNow();
    }

    @Override
    public void readNow() {
        if (!closed && inbound.position() > 0) {
            offer();
        }
    }

    @Override
    public void handOver(Consumer<ByteChannel> onDone, Consumer<IOException> onError) {
        throw new UnsupportedOperationException("not in the fake network");
    }

    // ---- the peer's side, played by the test

    /** The connect went through. */
    public void connects() {
        connected = true;
        network.note(name + " connected");
        listener.onConnected(this);
    }

    /** Bytes from the peer arrive. */
    public void receive(byte[] bytes) {
        if (closed) {
            throw new AssertionError(name + " is closed: nothing arrives on it");
        }
        inbound.put(bytes);
        offer();
    }

    /** Bytes from the peer arrive. */
    public void receive(ByteBuffer bytes) {
        byte[] b = new byte[bytes.remaining()];
        bytes.get(b);
        receive(b);
    }

    /** The peer reads everything sent so far and then reads at once ({@code true}), or stops reading. */
    public void peerReads(boolean reads) {
        this.reading = reads;
        if (reads) {
            read.writeBytes(unread.toByteArray());
            unread.reset();
            if (closeWhenFlushed) {
                closeWith(null);
            }
        }
    }

    /** @return the bytes the peer has read since the last call */
    public byte[] takeRead() {
        byte[] b = read.toByteArray();
        read.reset();
        return b;
    }

    /** The peer closes (its FIN). */
    public void peerCloses() {
        network.note(name + " closed by the peer");
        closeWith(null);
    }

    /** The connection fails with {@code cause}. */
    public void fails(IOException cause) {
        network.note(name + " fails");
        closeWith(cause);
    }

    /** The next send fails and closes the connection at once, as a send over its outbound cap does. */
    public void failNextSend() {
        this.failNextSend = true;
    }

    private void offer() {
        inbound.flip();
        boolean stuck = Connection.offer(this, inbound, inbound.capacity());
        inbound.compact();
        if (stuck) {
            fails(new IOException("a message larger than the inbound buffer"));
        }
    }

    private void closeWith(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        listener.onClosed(this, cause);
    }

    @Override
    public String toString() {
        return name;
    }
}
