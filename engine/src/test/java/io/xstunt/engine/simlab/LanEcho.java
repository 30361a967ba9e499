package io.xstunt.engine.simlab;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.sim.SimHost;
import io.xstunt.engine.sim.SimNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The CLI's {@code --lan-port} fallback after ERR_SAME_NAT (natlab's scenario 3), on the
 * simulated lab: a plain TCP listener on a host's LAN address whose first connection is handed
 * over as a blocking channel, and a plain connect to it. Both over the engine's {@code Network}
 * seam of the host, so the LAN path is the simulated one (no NAT between h1 and h3).
 */
final class LanEcho {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final SimNetwork net;
    private final CompletableFuture<ByteChannel> accepted = new CompletableFuture<>();
    private InetSocketAddress remote;

    private LanEcho(SimNetwork net) {
        this.net = net;
    }

    /** Listens on {@code host}'s address, port {@code port} (the CLI's {@code listen --lan-port}). */
    static LanEcho listen(SimNetwork net, SimHost host, int port) {
        LanEcho echo = new LanEcho(net);
        try {
            host.network().listen(SocketSpec.listener(new InetSocketAddress(host.address(), port)), 16, (a, in) -> {
                echo.remote = in.remoteAddress();
                in.handOver(echo.accepted::complete, echo.accepted::completeExceptionally);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + " port " + port, e);
        }
        return echo;
    }

    /** @return the first connection accepted, as a blocking channel (runs the simulation until it came, bounded) */
    ByteChannel accepted() {
        return net.await("a connection on the LAN port", accepted, WAIT);
    }

    /** @return where the first connection came from */
    InetSocketAddress remote() {
        return remote;
    }

    /** @return a connection from {@code host} to {@code to}, handed over as a blocking channel (the CLI's {@code connect --lan-port}) */
    static ByteChannel connect(SimNetwork net, SimHost host, InetSocketAddress to) {
        CompletableFuture<ByteChannel> channel = new CompletableFuture<>();
        try {
            host.network().connect(SocketSpec.DEFAULTS, to, new ConnectionListener() {
                @Override
                public void onConnected(Connection c) {
                    c.handOver(channel::complete, channel::completeExceptionally);
                }

                @Override
                public void onRead(Connection c, ByteBuffer in) {
                    // handed over at connect: nothing is read here
                }

                @Override
                public void onClosed(Connection c, Throwable cause) {
                    channel.completeExceptionally(cause != null ? cause : new IOException("closed before it connected"));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect from " + host + " to " + to, e);
        }
        return net.await("the LAN connect from " + host + " to " + to, channel, WAIT);
    }
}
