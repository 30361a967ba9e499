package io.xstunt.cli;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code xstunt listen}: XInit, then echo every incoming connection (XListen) until {@code --count} are done. */
@Command(name = "listen",
        description = "Register an ID and echo back what connecting peers send (XInit, XListen).")
final class ListenCommand extends EventCommand {
    @Option(names = "--id", required = true, paramLabel = "ID", converter = OptionTypes.ClientIdText.class,
            description = "The ID to register (at most 32 bytes of UTF-8; 31 with --id-length 31).")
    private String id;

    @Mixin
    private StrategyOption punch;

    @Option(names = "--count", paramLabel = "N", converter = OptionTypes.Positive.class,
            description = "Exit after N connections (default: serve until Ctrl-C).")
    private int count;

    @Option(names = "--lan-port", paramLabel = "N", converter = OptionTypes.Port.class,
            description = "Also echo plain TCP connections from the LAN on port N: the other end of connect"
                    + " --lan-port (default: none).")
    private int lanPort;

    @Option(names = "--sha256",
            description = "Echo in bulk: no \"data\" event per read, a \"transfer\" event per connection at its end"
                    + " with the bytes and SHA-256 of each direction (the other end of connect --send-bytes).")
    private boolean sha256;

    @Mixin
    private ClientOptions client;

    @Override
    int run(EventOutput o) throws XstuntException, InterruptedException {
        fitting(client, id);
        XstuntOptions options;
        try {
            options = client.sessionOptions(punch);
        } catch (IllegalArgumentException e) {
            throw usageError(e.getMessage());
        }
        Duration timeout = client.timeout;
        try (XstuntClient s = client.register(id, options);
             LanEcho lan = lanPort == 0 ? null : LanEcho.open(id, options.localAddress(), lanPort, timeout, o)) {
            o.registered(s);
            o.info("listening as '" + id + "'" + (count > 0 ? " for " + count + " connection(s)" : "")
                    + "; Ctrl-C to stop");
            // The callback runs on the event loop: it only queues; the echoing runs on virtual threads.
            BlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
            XstuntAsync.onIncoming(s, incoming::add, incoming::add);
            int accepted = 0;
            try (ExecutorService echoes = Executors.newVirtualThreadPerTaskExecutor()) {
                while (count == 0 || accepted < count) {
                    Object next = incoming.poll(1, TimeUnit.SECONDS);
                    if (next instanceof XstuntConnection r) {
                        accepted++;
                        echoes.submit(() -> serve(r, timeout, o));
                    } else if (next instanceof Throwable t) {
                        reportIncomingFailure(t, o);
                    }
                }
            } // waits for the echoes in flight, each bounded by its read timeout
            XstuntAsync.onIncoming(s, null, null);
            // Connections that came up after the last one counted are not served: close them.
            for (Object late : incoming) {
                if (late instanceof XstuntConnection r) {
                    closeQuietly(r);
                }
            }
            Xstunt.xDeRegister(s);
        }
        return 0;
    }

    /**
     * {@code --lan-port}: echoes plain TCP connections from the LAN, the other end of
     * {@code connect --lan-port}'s fallback after ERR_SAME_NAT. Each connection on a virtual thread.
     */
    private static final class LanEcho implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;

        private LanEcho(ServerSocket server, String id, Duration idle, EventOutput o) {
            this.server = server;
            this.acceptor = Thread.ofVirtual().name("lan-echo").start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket c = server.accept();
                        Thread.ofVirtual().start(() -> echoLan(id, c, idle, o));
                    } catch (IOException e) {
                        if (!server.isClosed()) {
                            o.failure("LAN accept", e);
                        }
                        return;
                    }
                }
            });
        }

        static LanEcho open(String id, Inet4Address local, int port, Duration idle, EventOutput o)
                throws XstuntException {
            try {
                ServerSocket s = new ServerSocket();
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(local, port));
                return new LanEcho(s, id, idle, o);
            } catch (IOException e) {
                throw new XstuntException(ErrorCode.ERR_LISTEN, 0, "cannot listen on LAN port " + port + ": " + e, e);
            }
        }

        private static void echoLan(String id, Socket c, Duration idle, EventOutput o) {
            try (c) {
                o.connectedLan(id, null, "listen", (InetSocketAddress) c.getLocalSocketAddress(),
                        (InetSocketAddress) c.getRemoteSocketAddress(), Duration.ZERO);
                c.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
                pump(id, null, c, o);
            } catch (SocketTimeoutException e) {
                o.info("LAN peer " + c.getRemoteSocketAddress() + " was silent for " + idle.toSeconds() + " s; closed");
            } catch (IOException e) {
                o.failure("LAN echo to " + c.getRemoteSocketAddress(), e);
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                // nothing was accepted on it any more
            }
            try {
                acceptor.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Echoes what {@code socket} receives until the peer closes it. */
    private static void pump(String id, String peer, Socket socket, EventOutput o) throws IOException {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) > 0) {
            String text = new String(buf, 0, n, StandardCharsets.UTF_8);
            o.data(id, peer, "received", text, n);
            out.write(buf, 0, n);
            out.flush();
            o.data(id, peer, "sent", text, n);
        }
    }

    private static void closeQuietly(XstuntConnection r) {
        try {
            r.channel().close();
        } catch (IOException e) {
            // it was never used
        }
    }

    private static void reportIncomingFailure(Throwable t, EventOutput o) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof XstuntException x) {
            o.error(x);
        } else {
            o.failure("incoming connection", new Exception(c));
        }
    }

    /**
     * Echoes one connection that XListen returned. A relayed one also takes the way back to direct:
     * a direct connection to the same peer offered meanwhile is echoed as well (event
     * "directOffer"), and how the relay ended is reported once its stream ended.
     */
    private void serve(XstuntConnection r, Duration idle, EventOutput o) {
        long connectedAt = System.nanoTime();
        CompletableFuture<XstuntConnection> offer = null;
        CompletableFuture<Void> direct = null;
        if (r.path() == ConnectionPath.RELAYED) {
            offer = r.directOffer();
            // the offer completes on the event loop: the echo of the direct connection gets its own thread
            direct = offer.thenAcceptAsync(d -> {
                try {
                    o.directOffer(id, r, d, Duration.ofNanos(System.nanoTime() - connectedAt));
                } catch (IOException e) {
                    o.failure("direct offer from '" + r.peerId() + "'", e);
                }
                echo(d, idle, o, false);
            }, runnable -> Thread.ofVirtual().name("direct-echo").start(runnable));
        }
        echo(r, idle, o, true);
        if (direct != null) {
            if (offer.isDone()) {
                // the peer moved to the direct connection: serve it to its end before leaving
                direct.orTimeout(idle.toMillis() + RelayWatch.END_NOTICE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        .exceptionally(e -> null).join();
            }
            RelayWatch.reportEnd(id, r, o);
        }
    }

    /**
     * Echoes one connection until the peer closes it or stays silent for {@code idle};
     * {@code announce}: report it as "connected" first (an offered direct one has its "directOffer").
     */
    private void echo(XstuntConnection r, Duration idle, EventOutput o, boolean announce) {
        try (var ch = r.channel()) {
            if (announce) {
                o.connected(id, r, sum(r.phases().values()));
            }
            Socket socket = ch.socket();
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
            if (sha256) {
                BulkTransfer.Outcome t = BulkTransfer.echo(socket);
                o.transfer(id, r.peerId(), r, t, t.failure() == null && t.sent().sha256().equals(t.received().sha256()));
            } else {
                pump(id, r.peerId(), socket, o);
            }
        } catch (SocketTimeoutException e) {
            o.info("'" + r.peerId() + "' was silent for " + idle.toSeconds() + " s; closed");
        } catch (IOException e) {
            o.failure("echo to '" + r.peerId() + "'", e);
        }
    }

    private static Duration sum(Iterable<Duration> ds) {
        Duration t = Duration.ZERO;
        for (Duration d : ds) {
            t = t.plus(d);
        }
        return t;
    }
}
