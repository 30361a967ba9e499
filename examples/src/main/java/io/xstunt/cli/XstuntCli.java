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
              listen   register an ID and echo back what connecting peers send (XInit, XListen)
                       --id ID (required)  --count N (forever)
              connect  register an ID, connect to a peer, send a message, print the reply (XConnect)
                       --id ID (required)  --peer ID (required)  --message TEXT ("hello from ID")
                       --strategy race|original (race)
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
                case "server" -> ServerCommand.run(CliArgs.parse(rest, ServerCommand.OPTIONS, Set.of("json")), o);
                case "listen" -> listen(CliArgs.parse(rest, with(CLIENT_OPTIONS, "count"), Set.of("json")), o);
                case "connect" -> connect(CliArgs.parse(rest, with(CLIENT_OPTIONS, "peer", "message", "strategy"),
                        Set.of("json")), o);
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
        } catch (IOException e) {
            o.failure("I/O on the direct connection", e);
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
        XstuntOptions options = clientOptions(a, PunchStrategy.RACE);
        try (XstuntSession s = init(a, id, options)) {
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
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                String text = new String(buf, 0, n, StandardCharsets.UTF_8);
                o.data(id, r.peerId(), "received", text, n);
                out.write(buf, 0, n);
                out.flush();
                o.data(id, r.peerId(), "sent", text, n);
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

    /** {@code connect}: XInit, XConnect, send the message, print the reply, XDeRegister. */
    static int connect(CliArgs a, EventOutput o) throws UsageException, XstuntException, IOException {
        String id = id(a, "id", null);
        String peer = id(a, "peer", null);
        String message = a.get("message", "hello from " + id);
        if (message.isEmpty()) {
            throw new UsageException("--message must not be empty");
        }
        Duration timeout = a.seconds("timeout", DEFAULT_TIMEOUT);
        PunchStrategy strategy = PunchStrategy.valueOf(a.choice("strategy", "race", "race", "original")
                .toUpperCase(java.util.Locale.ROOT));
        try (XstuntSession s = init(a, id, clientOptions(a, strategy))) {
            o.registered(s);
            long t0 = System.nanoTime();
            Rendezvous r = Xstunt.xConnect(s, peer, timeout);
            o.connected(id, r, Duration.ofNanos(System.nanoTime() - t0));
            byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
            try (var ch = r.channel()) {
                Socket socket = ch.socket();
                socket.setSoTimeout((int) timeout.toMillis());
                socket.getOutputStream().write(bytes);
                o.data(id, peer, "sent", message, bytes.length);
                byte[] reply = socket.getInputStream().readNBytes(bytes.length);
                if (reply.length == 0) {
                    throw new XstuntException(ErrorCode.ERR_RECEIVE, 0, "'" + peer + "' closed without a reply");
                }
                o.data(id, peer, "received", new String(reply, StandardCharsets.UTF_8), reply.length);
            }
            Xstunt.xDeRegister(s);
        }
        return 0;
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
