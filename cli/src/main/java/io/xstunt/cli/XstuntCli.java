package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntSession;
import io.xstunt.engine.ErrorCode;
import io.xstunt.engine.XstuntException;
import io.xstunt.engine.client.PunchStrategy;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Inet4Address;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code xstunt} command line: {@code server} runs a STUNT server, {@code listen} registers
 * an ID and echoes what connecting peers send (XInit + XListen), {@code connect} registers an ID,
 * connects to a peer, sends a message and prints the reply (XInit + XConnect), {@code probe}
 * prints the NAT fingerprint (XInit + XGenFingerprint). {@code --json} prints one JSON object per
 * event on stdout. Exit codes: 0 done, 1 runtime failure, 2 bad arguments.
 */
public final class XstuntCli {
    /** Exit code of a run that failed (an XSTUNT error code, I/O). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of bad arguments. */
    public static final int EXIT_USAGE = 2;

    private static final String DEFAULT_SERVER = "127.0.0.1,127.0.0.2";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(12);
    private static final Set<String> CLIENT_OPTIONS =
            Set.of("id", "server", "local", "fingerprint", "log-port", "comm-port", "timeout");

    private static final String USAGE = """
            usage: xstunt COMMAND [OPTIONS]      (./xstunt cli COMMAND ...)

              server   run a STUNT server
                       --ip1 IP (127.0.0.1)  --ip2 IP (127.0.0.2)  --log-port N (8123)
                       --comm-port N (8132)  --echo-ports P1,P2 (8124,8125); port 0 = any free one
                       --server-version N (1)  --session-timeout SEC (30)  --duration SEC (forever)
                       --secret-file FILE (none: admit only clients that prove this secret)
                       --require-tokens (holder token required to connect or deregister)
                       --max-clients N (10000)  --max-per-source N (256)  --max-sessions N (1000)
                       --idle-timeout SEC (60: silence allowed to a keepalive client)
              listen   register an ID and echo back what connecting peers send (XInit, XListen)
                       --id ID (required)  --count N (forever)  --strategy race|original (race)
                       --lan-port N (none: also echo plain TCP connections from the LAN on port N)
              connect  register an ID, connect to a peer, send a message, print the reply (XConnect)
                       --id ID (required)  --peer ID[,ID...] (required; each in turn, one registration)
                       --message TEXT ("hello from ID")  --strategy race|original (race)
                       --lan-port N (none: on ERR_SAME_NAT connect to the peer's LAN address port N)
              probe    print this host's NAT fingerprint, e.g. TCP PORT-PRESERVING CONE
                       --id ID (probe-PID)

            client options (listen, connect, probe):
              --server IP1[,IP2] (127.0.0.1,127.0.0.2)  --local ADDR (any: the local address to bind)
              --fingerprint FILE (fingerprint.dat)  --log-port N (8123)  --comm-port N (8132)
              --timeout SEC (12: the rendezvous bound, XListen/XConnect's nTimeoutSec)
            every command:
              --json   one JSON object per line per event on stdout
              --help   this text
            exit codes: 0 done, 1 failure (the error is printed), 2 bad arguments
            """;

    private XstuntCli() {
    }

    /**
     * Runs the CLI and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command.
     *
     * @param args the command line
     * @param out program output (text or JSON lines)
     * @param err usage messages and errors in text mode
     * @return the exit code: 0, {@link #EXIT_FAILURE} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> all = Arrays.asList(args);
        if (all.isEmpty()) {
            err.print(USAGE);
            return EXIT_USAGE;
        }
        String cmd = all.get(0);
        List<String> rest = all.subList(1, all.size());
        if (Set.of("--help", "-h", "help").contains(cmd) || rest.contains("--help") || rest.contains("-h")) {
            out.print(USAGE);
            return 0;
        }
        EventOutput o = new EventOutput(rest.contains("--json"), out, err);
        try {
            return switch (cmd) {
                case "server" -> ServerCommand.run(CliArgs.parse(rest, ServerCommand.OPTIONS, ServerCommand.FLAGS), o);
                case "listen" -> listen(CliArgs.parse(rest, with(CLIENT_OPTIONS, "count", "strategy", "lan-port"),
                        Set.of("json")), o);
                case "connect" -> connect(CliArgs.parse(rest, with(CLIENT_OPTIONS, "peer", "message", "strategy",
                        "lan-port"), Set.of("json")), o);
                case "probe" -> probe(CliArgs.parse(rest, CLIENT_OPTIONS, Set.of("json")), o);
                default -> throw new UsageException("unknown command '" + cmd + "'");
            };
        } catch (UsageException e) {
            err.println("xstunt: " + e.getMessage());
            err.print(USAGE);
            return EXIT_USAGE;
        } catch (XstuntException e) {
            o.error(e);
            return EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o.failure("interrupted", e);
            return EXIT_FAILURE;
        }
    }

    private static Set<String> with(Set<String> base, String... more) {
        java.util.HashSet<String> s = new java.util.HashSet<>(base);
        s.addAll(List.of(more));
        return s;
    }

    /** A client's ID, checked with the protocol's rules (a usage error, not a protocol error). */
    private static String id(CliArgs a, String name, String def) throws UsageException {
        String id = def == null ? a.require(name) : a.get(name, def);
        try {
            return ClientId.validate(id);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }

    private static XstuntOptions clientOptions(CliArgs a, PunchStrategy strategy) throws UsageException {
        Inet4Address local = a.ip("local", null);
        Duration timeout = a.seconds("timeout", DEFAULT_TIMEOUT);
        return XstuntOptions.builder()
                .logPort(a.port("log-port", Protocol.SERVER_LOG_PORT))
                .commPort(a.port("comm-port", Protocol.SERVER_COMM_PORT))
                .localAddress(local)
                .fingerprintFile(a.path("fingerprint", Path.of(Protocol.FINGERPRINT_FILE)))
                .punchStrategy(strategy)
                .listenTimeout(timeout)
                .build();
    }

    private static XstuntSession init(CliArgs a, String id, XstuntOptions options) throws UsageException,
            XstuntException {
        List<Inet4Address> server = a.ipPair("server", DEFAULT_SERVER);
        return Xstunt.xInit(server.get(0).getHostAddress(), server.get(1).getHostAddress(), id, options);
    }

    /** {@code listen}: XInit, then echo every incoming connection until --count are done. */
    static int listen(CliArgs a, EventOutput o) throws UsageException, XstuntException, InterruptedException {
        String id = id(a, "id", null);
        int count = a.intValue("count", 0, 1, Integer.MAX_VALUE);
        Duration timeout = a.seconds("timeout", DEFAULT_TIMEOUT);
        XstuntOptions options = clientOptions(a, strategy(a));
        int lanPort = a.intValue("lan-port", 0, 1, 65535);
        try (XstuntSession s = init(a, id, options);
             LanEcho lan = lanPort == 0 ? null : LanEcho.open(id, options.localAddress(), lanPort, timeout, o)) {
            o.registered(s);
            o.info("listening as '" + id + "'" + (count > 0 ? " for " + count + " connection(s)" : "")
                    + "; Ctrl-C to stop");
            // The callback runs on the event loop: it only queues; the echoing runs on virtual threads.
            BlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
            XstuntAsync.onIncoming(s, incoming::add, incoming::add);
            AtomicInteger done = new AtomicInteger();
            int accepted = 0;
            try (ExecutorService echoes = Executors.newVirtualThreadPerTaskExecutor()) {
                while (count == 0 || accepted < count) {
                    Object next = incoming.poll(1, TimeUnit.SECONDS);
                    if (next instanceof Rendezvous r) {
                        accepted++;
                        echoes.submit(() -> {
                            echo(id, r, timeout, o);
                            done.incrementAndGet();
                        });
                    } else if (next instanceof Throwable t) {
                        reportIncomingFailure(t, o);
                    }
                }
            } // waits for the echoes in flight, each bounded by its read timeout
            XstuntAsync.onIncoming(s, null, null);
            // Connections that came up after the last one counted are not served: close them.
            for (Object late : incoming) {
                if (late instanceof Rendezvous r) {
                    closeQuietly(r);
                }
            }
            Xstunt.xDeRegister(s);
        }
        return 0;
    }

    private static PunchStrategy strategy(CliArgs a) throws UsageException {
        return PunchStrategy.valueOf(a.choice("strategy", "race", "race", "original").toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * {@code listen --lan-port}: echoes plain TCP connections from the LAN, the other end of
     * {@code connect --lan-port}'s fallback after ERR_SAME_NAT. Each connection on a virtual thread.
     */
    private static final class LanEcho implements AutoCloseable {
        private final java.net.ServerSocket server;
        private final Thread acceptor;

        private LanEcho(java.net.ServerSocket server, String id, Duration idle, EventOutput o) {
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
                java.net.ServerSocket s = new java.net.ServerSocket();
                s.setReuseAddress(true);
                s.bind(new java.net.InetSocketAddress(local, port));
                return new LanEcho(s, id, idle, o);
            } catch (IOException e) {
                throw new XstuntException(ErrorCode.ERR_LISTEN, 0, "cannot listen on LAN port " + port + ": " + e, e);
            }
        }

        private static void echoLan(String id, Socket c, Duration idle, EventOutput o) {
            try (c) {
                o.connectedLan(id, null, "listen", (java.net.InetSocketAddress) c.getLocalSocketAddress(),
                        (java.net.InetSocketAddress) c.getRemoteSocketAddress(), Duration.ZERO);
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

    private static void closeQuietly(Rendezvous r) {
        try {
            r.channel().close();
        } catch (IOException e) {
            // it was never used
        }
    }

    private static void reportIncomingFailure(Throwable t, EventOutput o) {
        Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof XstuntException x) {
            o.error(x);
        } else {
            o.failure("incoming connection", new Exception(c));
        }
    }

    /** Echoes one connection until the peer closes it or stays silent for {@code idle}. */
    private static void echo(String id, Rendezvous r, Duration idle, EventOutput o) {
        try (var ch = r.channel()) {
            o.connected(id, r, sum(r.phases().values()));
            Socket socket = ch.socket();
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idle.toMillis()));
            pump(id, r.peerId(), socket, o);
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

    /**
     * {@code connect}: XInit, then for each peer in turn XConnect, send the message, print the
     * reply; XDeRegister. A failure with one peer is reported and the next is tried; on
     * ERR_SAME_NAT with {@code --lan-port} a plain TCP connection to the peer's LAN address.
     *
     * @return 0 if every peer answered, {@link #EXIT_FAILURE} otherwise
     */
    static int connect(CliArgs a, EventOutput o) throws UsageException, XstuntException {
        String id = id(a, "id", null);
        List<String> peers = new java.util.ArrayList<>();
        for (String p : a.require("peer").split(",", -1)) {
            try {
                peers.add(ClientId.validate(p.trim()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--peer: " + e.getMessage());
            }
        }
        String message = a.get("message", "hello from " + id);
        if (message.isEmpty()) {
            throw new UsageException("--message must not be empty");
        }
        Duration timeout = a.seconds("timeout", DEFAULT_TIMEOUT);
        int lanPort = a.intValue("lan-port", 0, 1, 65535);
        XstuntOptions options = clientOptions(a, strategy(a));
        boolean allOk = true;
        try (XstuntSession s = init(a, id, options)) {
            o.registered(s);
            for (String peer : peers) {
                allOk &= connectOnce(s, id, peer, message, timeout, lanPort, options.localAddress(), o);
            }
            Xstunt.xDeRegister(s);
        }
        return allOk ? 0 : EXIT_FAILURE;
    }

    private static boolean connectOnce(XstuntSession s, String id, String peer, String message, Duration timeout,
                                       int lanPort, Inet4Address local, EventOutput o) {
        long t0 = System.nanoTime();
        java.nio.channels.SocketChannel ch;
        try {
            Rendezvous r = Xstunt.xConnect(s, peer, timeout);
            o.connected(id, r, Duration.ofNanos(System.nanoTime() - t0));
            ch = r.channel();
        } catch (XstuntException e) {
            o.error(e);
            if (e.code() != ErrorCode.ERR_SAME_NAT || lanPort == 0) {
                return false;
            }
            // Behind the same NAT: the error carries the peer's LAN address (the reference's advice).
            try {
                ch = java.nio.channels.SocketChannel.open();
                if (local != null) {
                    ch.bind(new java.net.InetSocketAddress(local, 0));
                }
                ch.socket().connect(new java.net.InetSocketAddress(e.peerLocalAddress(), lanPort),
                        (int) timeout.toMillis());
                o.connectedLan(id, peer, "connect", (java.net.InetSocketAddress) ch.getLocalAddress(),
                        (java.net.InetSocketAddress) ch.getRemoteAddress(), Duration.ofNanos(System.nanoTime() - t0));
            } catch (IOException io) {
                o.failure("LAN connection to " + e.peerLocalAddress().getHostAddress() + ":" + lanPort, io);
                return false;
            }
        } catch (IOException e) {
            o.failure("direct connection to '" + peer + "'", e);
            return false;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        try (java.nio.channels.SocketChannel c = ch) {
            Socket socket = c.socket();
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(bytes);
            o.data(id, peer, "sent", message, bytes.length);
            byte[] reply = socket.getInputStream().readNBytes(bytes.length);
            if (reply.length == 0) {
                o.error(new XstuntException(ErrorCode.ERR_RECEIVE, 0, "'" + peer + "' closed without a reply"));
                return false;
            }
            o.data(id, peer, "received", new String(reply, StandardCharsets.UTF_8), reply.length);
            return true;
        } catch (IOException e) {
            o.failure("I/O on the connection to '" + peer + "'", e);
            return false;
        }
    }

    /** {@code probe}: XInit (probing unless the fingerprint file is valid), print the fingerprint. */
    static int probe(CliArgs a, EventOutput o) throws UsageException, XstuntException {
        String id = id(a, "id", "probe-" + ProcessHandle.current().pid());
        try (XstuntSession s = init(a, id, clientOptions(a, PunchStrategy.RACE))) {
            o.fingerprint(s);
            Xstunt.xDeRegister(s);
        }
        return 0;
    }
}
