package io.xstunt.engine.loop;

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

/** A listening socket on the loop; hands each accepted channel to a callback. Loop thread only. */
public final class TcpAcceptor implements IoHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TcpAcceptor.class);
    /** Accepts per readiness event, so that one busy port cannot starve the others. */
    private static final int MAX_ACCEPTS_PER_EVENT = 64;

    /** Receives accepted channels (nonblocking, not yet registered). */
    @FunctionalInterface
    public interface AcceptHandler {
        /** A connection arrived; the handler owns {@code channel} from now on. */
        void onAccept(TcpAcceptor acceptor, SocketChannel channel);
    }

    private final ServerSocketChannel channel;
    private final AcceptHandler handler;
    private final InetSocketAddress address;
    private SelectionKey key;
    private boolean closed;

    private TcpAcceptor(ServerSocketChannel channel, AcceptHandler handler) throws IOException {
        this.channel = channel;
        this.handler = Objects.requireNonNull(handler, "handler");
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
            return adopt(loop, ch, handler);
        } catch (IOException | RuntimeException e) {
            TcpConnection.closeQuietly(ch);
            throw e;
        }
    }

    /** Puts an already bound and listening channel on the loop. */
    public static TcpAcceptor adopt(EventLoop loop, ServerSocketChannel ch, AcceptHandler handler) throws IOException {
        TcpAcceptor a = new TcpAcceptor(ch, handler);
        a.key = loop.register(ch, SelectionKey.OP_ACCEPT, a);
        return a;
    }

    /** @return the bound address (with the real port if 0 was asked) */
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
                // EMFILE and friends: log and keep listening; the next readiness retries.
                LOG.warn("accept on {} failed: {}", address, e.toString());
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
            try {
                handler.onAccept(this, ch);
            } catch (RuntimeException | Error e) {
                // The handler did not take the channel over: nobody else would ever close it.
                TcpConnection.closeQuietly(ch);
                throw e;
            }
        }
    }

    /** @return true once closed */
    public boolean isClosed() {
        return closed;
    }

    /** Stops listening and releases the port. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
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
}
