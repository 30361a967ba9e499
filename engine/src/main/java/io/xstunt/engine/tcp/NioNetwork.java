package io.xstunt.engine.tcp;

import io.xstunt.engine.loop.DeadlineTimers;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.AcceptHandler;
import io.xstunt.engine.net.Acceptor;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The {@link Network} of real TCP sockets on an {@link EventLoop}: NIO channels registered with
 * the loop's selector, timers on its deadline heap, its clock. Blocking calls here are only socket
 * creation, option setting and bind, which do not wait on the network.
 */
public final class NioNetwork implements Network {
    private final EventLoop loop;
    private final LongSupplier epochMillis;
    private final TcpAcceptor.WarnClock warnClock = new TcpAcceptor.WarnClock();

    /** Sockets on {@code loop}, log time stamps from the system's wall clock. */
    public NioNetwork(EventLoop loop) {
        this(loop, System::currentTimeMillis);
    }

    /** @param epochMillis the wall clock for time stamps people read (tests pass a fixed one) */
    public NioNetwork(EventLoop loop, LongSupplier epochMillis) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.epochMillis = Objects.requireNonNull(epochMillis, "epochMillis");
    }

    /** @return the loop it runs on */
    public EventLoop loop() {
        return loop;
    }

    @Override
    public long nowNs() {
        return loop.clockNs();
    }

    @Override
    public long epochMillis() {
        return epochMillis.getAsLong();
    }

    @Override
    public DeadlineTimers.Timer scheduleAt(long deadlineNs, Runnable task) {
        return loop.scheduleAt(deadlineNs, task);
    }

    @Override
    public void rescheduleAt(DeadlineTimers.Timer timer, long deadlineNs) {
        loop.rescheduleAt(timer, deadlineNs);
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public boolean inThread() {
        return loop.inLoop();
    }

    @Override
    public void afterClosesSettle(Runnable task) {
        loop.afterNextSelect(task);
    }

    @Override
    public Connection connect(SocketSpec local, InetSocketAddress remote, ConnectionListener listener)
            throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            if (local.noDelay()) {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            if (local.sendBuffer() > 0) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, local.sendBuffer());
            }
            bind(ch, local);
        } catch (IOException | RuntimeException e) {
            TcpConnection.closeQuietly(ch);
            throw e;
        }
        return TcpConnection.connect(loop, ch, remote, listener);
    }

    /**
     * Binds as {@code spec} says: a fresh port first (see {@link FreshPorts}; SO_REUSEADDR is set
     * after it, and the kernel checks it at each later bind of that port), a given one with the
     * reuse options set before. Without an address or reuse options and with a fresh port, the
     * connect picks address and port itself, which is cheap.
     */
    private static void bind(SocketChannel ch, SocketSpec spec) throws IOException {
        InetAddress address = spec.address();
        if (spec.port() == 0) {
            if (address == null && !spec.reuseAddress() && !spec.reusePort()) {
                return;
            }
            FreshPorts.bind(ch, address);
        }
        if (spec.reuseAddress()) {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        }
        if (spec.reusePort()) {
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        }
        if (spec.port() != 0) {
            ch.bind(new InetSocketAddress(address, spec.port()));
        }
    }

    @Override
    public Acceptor listen(SocketSpec local, int backlog, AcceptHandler handler) throws IOException {
        InetSocketAddress address = new InetSocketAddress(local.address(), local.port());
        if (!local.reusePort()) {
            return TcpAcceptor.open(loop, address, backlog, handler, warnClock);
        }
        // a punch's listener shares its port with the connecting sockets
        ServerSocketChannel ch = address.getAddress() instanceof Inet4Address
                ? ServerSocketChannel.open(StandardProtocolFamily.INET) : ServerSocketChannel.open();
        try {
            if (address.getPort() == 0) {
                FreshPorts.bindShared(ch, address.getAddress(), backlog); // not the kernel's port search
            } else {
                ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                ch.bind(address, backlog);
            }
            return TcpAcceptor.adopt(loop, ch, handler, warnClock);
        } catch (IOException | RuntimeException e) {
            TcpConnection.closeQuietly(ch);
            throw e;
        }
    }

    @Override
    public String toString() {
        return "NioNetwork[" + loop.name() + "]";
    }
}
