package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.loop.IoHandler;
import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A listening socket on the loop; hands each accepted connection to an {@link AcceptHandler}. Loop thread only. */
public final class TcpAcceptor implements Acceptor, IoHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TcpAcceptor.class);
    /** Accepts per readiness event, so that one busy port cannot starve the others. */
    private static final int MAX_ACCEPTS_PER_EVENT = 64;
    /**
     * How long a listener stops accepting after accept() failed (EMFILE: the process is out of
     * descriptors). The pending connection keeps the socket readable, so retrying at once would
     * spin the loop thread and log a line per turn until a descriptor frees up.
     */
    public static final long ACCEPT_PAUSE_NS = 50_000_000L;
    /** At most one WARN line a second for failed accepts (thousands of control listeners may hit one EMFILE). */
    private static final long WARN_INTERVAL_NS = 1_000_000_000L;

    /**
     * When the listeners sharing it last logged a failed accept at WARN, on their loop's clock:
     * one per {@link NioNetwork}, so that one EMFILE is one line a second, not one per listener.
     */
    public static final class WarnClock {
        private long lastWarnNs;
        private boolean warned;

        /** @return true if a WARN line may be logged at {@code nowNs} (and takes the slot) */
        public boolean take(long nowNs) {
            if (warned && nowNs - lastWarnNs < WARN_INTERVAL_NS) {
                return false;
            }
            warned = true;
            lastWarnNs = nowNs;
            return true;
        }
    }

    private final EventLoop loop;
    private final ServerSocketChannel channel;
    private final AcceptHandler handler;
    private final WarnClock warnClock;
    private final InetSocketAddress address;
    private SelectionKey key;
    private boolean closed;
    private DeadlineTimers.Timer resume;
    private long acceptFailures;

    private TcpAcceptor(EventLoop loop, ServerSocketChannel channel, AcceptHandler handler, WarnClock warnClock)
            throws IOException {
        this.loop = loop;
        this.channel = channel;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.warnClock = warnClock;
        this.address = (InetSocketAddress) channel.getLocalAddress();
    }

    /**
     * Binds a listening socket (SO_REUSEADDR on for a fixed port, so a restarted server gets its
     * ports back at once; port 0 takes a {@link FreshPorts fresh port}, not the kernel's search,
     * which under load costs the loop thread about a millisecond per listener).
     *
     * @param address where to listen; port 0 picks a free one
     * @param backlog the accept queue's length
     * @throws IOException if it cannot bind
     */
    public static TcpAcceptor open(EventLoop loop, InetSocketAddress address, int backlog, AcceptHandler handler)
            throws IOException {
        return open(loop, address, backlog, handler, new WarnClock());
    }

    static TcpAcceptor open(EventLoop loop, InetSocketAddress address, int backlog, AcceptHandler handler,
                            WarnClock warnClock) throws IOException {
        // An IPv4 address gets an IPv4 socket: a dual-stack one costs an IPV6_V6ONLY setsockopt
        // per listener, and the server opens one listener per rendezvous session.
        ServerSocketChannel ch = address.getAddress() instanceof Inet4Address
                ? ServerSocketChannel.open(StandardProtocolFamily.INET) : ServerSocketChannel.open();
        try {
            if (address.getPort() == 0) {
                FreshPorts.bindListener(ch, address.getAddress(), backlog);
            } else {
                // a fixed port is wanted back at once after a restart (the JDK sets this on Unix
                // already; this says so on every platform)
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.bind(address, backlog);
            }
            return adopt(loop, ch, handler, warnClock);
        } catch (IOException | RuntimeException e) {
            TcpConnection.closeQuietly(ch);
            throw e;
        }
    }

    /** Puts an already bound and listening channel on the loop. */
    public static TcpAcceptor adopt(EventLoop loop, ServerSocketChannel ch, AcceptHandler handler, WarnClock warnClock)
            throws IOException {
        TcpAcceptor a = new TcpAcceptor(loop, ch, handler, warnClock);
        a.key = loop.register(ch, SelectionKey.OP_ACCEPT, a);
        return a;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void onReady(SelectionKey k) {
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT && !closed; i++) {
            SocketChannel ch;
            try {
                ch = channel.accept();
            } catch (IOException e) {
                // EMFILE and friends: keep listening, but not at once (see ACCEPT_PAUSE_NS)
                pause(e);
                return;
            }
            if (ch == null) {
                return;
            }
            try {
                ch.configureBlocking(false);
            } catch (IOException e) {
                TcpConnection.closeQuietly(ch);
                continue;
            }
            NioIncoming incoming = new NioIncoming(ch);
            try {
                handler.onAccept(this, incoming);
            } catch (RuntimeException | Error e) {
                // The handler did not take the channel over: nobody else would ever close it.
                incoming.refuse();
                throw e;
            }
            if (!incoming.taken) {
                throw new IllegalStateException("the accept handler neither adopted nor refused " + incoming);
            }
        }
    }

    private void pause(IOException cause) {
        acceptFailures++;
        if (warnClock.take(loop.nowNs())) {
            LOG.warn("accept on {} failed: {}; accepting again in {} ms", address, cause.toString(),
                    ACCEPT_PAUSE_NS / 1_000_000);
        } else {
            LOG.debug("accept on {} failed: {}", address, cause.toString());
        }
        if (key != null && key.isValid()) {
            key.interestOps(0);
            resume = loop.schedule(ACCEPT_PAUSE_NS, this::resume);
        }
    }

    private void resume() {
        resume = null;
        if (!closed && key != null && key.isValid()) {
            key.interestOps(SelectionKey.OP_ACCEPT);
        }
    }

    /** @return true while accepting is paused after a failed accept ({@link #ACCEPT_PAUSE_NS}) */
    public boolean isPaused() {
        return resume != null;
    }

    /** @return how many accept() calls failed on this listener */
    public long acceptFailures() {
        return acceptFailures;
    }

    @Override
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (resume != null) {
            resume.cancel();
            resume = null;
        }
        if (key != null) {
            key.cancel();
        }
        TcpConnection.closeQuietly(channel);
    }

    @Override
    public void onFailure(Throwable cause) {
        close();
    }

    @Override
    public String toString() {
        return "TcpAcceptor[" + address + "]";
    }

    /** An accepted channel waiting for the handler's decision. */
    private final class NioIncoming implements Incoming {
        private final SocketChannel channel;
        private boolean taken;

        NioIncoming(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public InetSocketAddress remoteAddress() {
            try {
                return (InetSocketAddress) channel.getRemoteAddress();
            } catch (IOException e) {
                return null; // reset before it was taken on: adopting it fails
            }
        }

        @Override
        public Connection adopt(ConnectionListener listener, int maxInbound, int maxOutbound, SocketSpec options)
                throws IOException {
            taken = true;
            try {
                if (options.noDelay()) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                if (options.sendBuffer() > 0) {
                    channel.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBuffer());
                }
            } catch (IOException | RuntimeException e) {
                TcpConnection.closeQuietly(channel);
                throw e;
            }
            return TcpConnection.accepted(loop, channel, listener, maxInbound, maxOutbound);
        }

        @Override
        public void refuse() {
            taken = true;
            TcpConnection.closeQuietly(channel);
        }

        @Override
        public void keep() {
            taken = true; // the holder decides later: never registered, so nothing to undo
        }

        @Override
        public void handOver(java.util.function.Consumer<java.nio.channels.ByteChannel> onDone,
                             java.util.function.Consumer<IOException> onError) {
            taken = true;
            try {
                channel.configureBlocking(true); // never registered: no select to wait for
            } catch (IOException | RuntimeException e) {
                TcpConnection.closeQuietly(channel);
                onError.accept(e instanceof IOException io ? io : new IOException(e));
                return;
            }
            onDone.accept(channel);
        }

        @Override
        public String toString() {
            return "connection from " + remoteAddress() + " on " + address;
        }
    }
}
