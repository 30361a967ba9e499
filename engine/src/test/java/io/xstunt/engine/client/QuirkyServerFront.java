package io.xstunt.engine.client;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.ConnectionListener;
import io.xstunt.engine.net.Incoming;
import io.xstunt.engine.net.SocketSpec;
import io.xstunt.engine.tcp.TcpAcceptor;
import io.xstunt.engine.tcp.TcpConnection;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.WireVariant;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A STUNT server that behaves as another implementation of the original might, put in front of
 * the real one: its echo service writes the address reply and never closes the connection, and
 * its log service writes announcements with other role bytes and peer fields (whatever
 * {@code announcement} makes of each record that has an address). The log service is relayed to
 * the real server from the client's own address (so the server sees the client's public IP), with
 * ServerInfo's echo ports pointing to this front's echo service and its reserved ports zeroed, as an
 * original server leaves them. Runs on its own loop; nothing blocks. Clients of the reference's
 * variant that do not ask for the extensions (an original server answers none). With
 * {@code poolOnIp2}, the echo service on IP2 reports the client's address 100 higher in its last
 * byte: what probes through a NAT with a pool of public addresses see.
 */
final class QuirkyServerFront implements AutoCloseable {
    private static final WireVariant V = WireVariant.ID32;
    private static final int HELLO = LogHello.SIZE;
    /** ServerInfo's offsets of wPort1 and of wPort3..wPort8 in the reference's variant. */
    private static final int PORT1 = 44;
    private static final int PORT3 = 48;

    private final EventLoop loop;
    private final InetSocketAddress logService;
    private final UnaryOperator<byte[]> announcement;
    private final boolean poolOnIp2;
    private final List<TcpAcceptor> acceptors = new ArrayList<>();
    private final List<Connection> echoConnections = new ArrayList<>();
    private final TcpAcceptor log;
    private final int[] echoPorts = new int[2];
    private int echoConnectionsOpened;

    QuirkyServerFront(InetAddress ip1, InetAddress ip2, InetSocketAddress logService,
                      UnaryOperator<byte[]> announcement, boolean poolOnIp2) throws Exception {
        this.loop = EventLoop.open("quirky-server").start();
        this.logService = logService;
        this.announcement = announcement;
        this.poolOnIp2 = poolOnIp2;
        CompletableFuture<TcpAcceptor> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                for (int i = 0; i < 2; i++) {
                    echoPorts[i] = echoOnBoth(ip1, ip2);
                }
                f.complete(TcpAcceptor.open(loop, new InetSocketAddress(ip1, 0), 64, (a, in) -> relay(in)));
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        this.log = f.get(10, TimeUnit.SECONDS);
        acceptors.add(log);
    }

    /** @return where clients register instead of the real log service */
    InetSocketAddress logAddress() {
        return log.address();
    }

    /** @return the echo connections opened so far (loop thread's count, read after the fact) */
    int echoConnectionsOpened() {
        CompletableFuture<Integer> n = new CompletableFuture<>();
        loop.execute(() -> n.complete(echoConnectionsOpened));
        return n.join();
    }

    /** Binds one echo port on IP1 and the same port on IP2 (tries again if IP2 has it taken). */
    private int echoOnBoth(InetAddress ip1, InetAddress ip2) throws IOException {
        for (int attempt = 0; ; attempt++) {
            TcpAcceptor first = TcpAcceptor.open(loop, new InetSocketAddress(ip1, 0), 64, (a, in) -> echo(in, 0));
            try {
                acceptors.add(TcpAcceptor.open(loop, new InetSocketAddress(ip2, first.address().getPort()), 64,
                        (a, in) -> echo(in, poolOnIp2 ? 100 : 0)));
                acceptors.add(first);
                return first.address().getPort();
            } catch (BindException taken) {
                first.close();
                if (attempt == 20) {
                    throw taken;
                }
            }
        }
    }

    /** The reply ({@code ipShift} added to the address seen), and the connection left open for as long as the client keeps it. */
    private void echo(Incoming in, int ipShift) {
        try {
            Connection c = in.adopt(ConnectionListener.DISCARD, 64, TcpConnection.DEFAULT_MAX_OUTBOUND,
                    SocketSpec.DEFAULTS);
            InetSocketAddress from = in.remoteAddress();
            ByteBuffer reply = ByteBuffer.allocate(V.echoSize());
            Echo.writeAddress(reply, V, Ipv4.toInt(from.getAddress()) + ipShift, from.getPort());
            c.send(reply.flip());
            echoConnections.add(c);
            echoConnectionsOpened++;
        } catch (IOException e) {
            in.refuse();
        }
    }

    private void relay(Incoming in) {
        Pair p = new Pair();
        try {
            p.client = in.adopt(p.fromClient, TcpConnection.DEFAULT_INBOUND, TcpConnection.DEFAULT_MAX_OUTBOUND,
                    SocketSpec.DEFAULTS);
            InetSocketAddress from = new InetSocketAddress(in.remoteAddress().getAddress(), 0);
            p.upstream = TcpConnection.connect(loop, from, logService, p.fromServer);
        } catch (IOException e) {
            if (p.client != null) {
                p.client.close();
            }
        }
    }

    /** One client's relayed log connection; the server's stream rewritten on its way. */
    private final class Pair {
        Connection client;
        TcpConnection upstream;
        /** What came from the server and is not passed on yet: a partial greeting, ServerInfo or record. */
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        int passed;

        final ConnectionListener fromClient = new ConnectionListener() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                byte[] b = new byte[in.remaining()];
                in.get(b);
                upstream.send(b);
            }

            @Override
            public void onClosed(Connection c, Throwable cause) {
                upstream.closeAfterFlush();
            }
        };

        final ConnectionListener fromServer = new ConnectionListener() {
            @Override
            public void onRead(Connection c, ByteBuffer in) {
                byte[] b = new byte[in.remaining()];
                in.get(b);
                pending.writeBytes(b);
                forward();
            }

            @Override
            public void onClosed(Connection c, Throwable cause) {
                client.closeAfterFlush();
            }
        };

        /** Passes on every whole unit: the greeting as it is, ServerInfo and records rewritten. */
        void forward() {
            byte[] all = pending.toByteArray();
            int at = 0;
            while (true) {
                int unit = passed == 0 ? HELLO : passed == HELLO ? V.serverInfoSize() : V.echoSize();
                if (all.length - at < unit) {
                    break;
                }
                byte[] u = java.util.Arrays.copyOfRange(all, at, at + unit);
                if (passed == HELLO) {
                    ByteBuffer info = ByteBuffer.wrap(u);
                    info.putShort(PORT1, (short) echoPorts[0]).putShort(PORT1 + 2, (short) echoPorts[1]);
                    java.util.Arrays.fill(u, PORT3, u.length, (byte) 0);
                } else if (passed > HELLO && !Echo.read(ByteBuffer.wrap(u), V).hasNoAddress()) {
                    u = announcement.apply(u);
                }
                client.send(ByteBuffer.wrap(u));
                passed += unit;
                at += unit;
            }
            pending.reset();
            pending.write(all, at, all.length - at);
        }
    }

    @Override
    public void close() {
        loop.close();
    }
}
