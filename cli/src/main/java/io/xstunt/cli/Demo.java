package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.ErrorCode;
import io.xstunt.api.ServerOptions;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntServer;
import io.xstunt.api.XstuntConnection;


import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ./xstunt demo}: a STUNT server on 127.0.0.1 + 127.0.0.2 and two peers, alice on
 * 127.0.0.11 and bob on 127.0.0.12, on one machine. Both register (XInit), alice connects to bob
 * through the full traversal (XConnect / XListen: distinct addresses, so not the same-NAT
 * shortcut), they exchange data both ways, deregister (XDeRegister), and every phase is printed
 * with its time. Exit 0 when all of it worked, 1 with the error otherwise.
 */
@Command(name = "demo",
        description = "Run a STUNT server on 127.0.0.1 + 127.0.0.2 and two peers, alice (127.0.0.11) and bob"
                + " (127.0.0.12), through the full traversal, printing each phase with its time."
                + " Ends with 'demo OK' (exit 0) or 'demo FAILED: <error>' (exit 1).")
public final class Demo implements Callable<Integer> {
    private static final String SERVER_IP1 = "127.0.0.1";
    private static final String SERVER_IP2 = "127.0.0.2";
    private static final Duration TIMEOUT = Duration.ofSeconds(12);
    private static final long WAIT_S = 20;

    /** The program, for its output stream. */
    @ParentCommand
    private XstuntCli cli;

    private PrintStream out;

    /** Made by picocli for {@code xstunt demo}, or by {@link #run}. */
    Demo() {
    }

    /** {@code xstunt demo}. */
    @Override
    public Integer call() {
        return run(cli.out());
    }

    /**
     * Runs the demo.
     *
     * @param out where the report goes
     * @return 0 if every step worked, 1 otherwise
     */
    public static int run(PrintStream out) {
        Demo d = new Demo();
        d.out = out;
        try {
            d.runAll();
            out.println();
            out.println("demo OK: registered, connected through the traversal, exchanged data, deregistered");
            return 0;
        } catch (XstuntException e) {
            out.println();
            out.println("demo FAILED: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            out.println();
            out.println("demo FAILED: " + e);
            return 1;
        }
    }

    private void runAll() throws Exception {
        out.println("xstunt demo: TCP NAT traversal on loopback");
        out.println("  server 127.0.0.1 + 127.0.0.2, peers alice 127.0.0.11 and bob 127.0.0.12");
        out.println();
        Path tmp = Files.createTempDirectory("xstunt-demo");
        try (XstuntServer server = startServer()) {
            out.printf("[server] log %s, comm %s, echo ports %d and %d on both IPs%n",
                    EventOutput.address(server.logAddress()), EventOutput.address(server.commAddress()),
                    server.echoPorts()[0], server.echoPorts()[1]);
            out.println();
            try (XstuntClient alice = register("alice", "127.0.0.11", server, tmp);
                 XstuntClient bob = register("bob", "127.0.0.12", server, tmp)) {
                out.println();
                connectAndTalk(alice, bob);
                out.println();
                Xstunt.xDeRegister(alice);
                out.println("[alice] XDeRegister sent");
                Xstunt.xDeRegister(bob);
                out.println("[bob]   XDeRegister sent");
                awaitRegistrations(server, 0);
                out.println("[server] no ID registered any more");
            }
        } finally {
            deleteTree(tmp);
        }
    }

    /** The server on the reference's ports, or on free ones (said so) if those are taken. */
    private XstuntServer startServer() throws XstuntException {
        try {
            return XstuntServer.start(ServerOptions.of(SERVER_IP1, SERVER_IP2));
        } catch (XstuntException e) {
            if (e.code() != ErrorCode.ERR_BIND) {
                throw e;
            }
            out.printf("[server] default ports %d/%d/%d/%d are taken (%s); using free ports instead%n",
                    Xstunt.SERVER_LOG_PORT, Xstunt.SERVER_COMM_PORT, Xstunt.DEFAULT_ECHO_PORT1,
                    Xstunt.DEFAULT_ECHO_PORT2, e.getMessage());
            return XstuntServer.start(ServerOptions.of(SERVER_IP1, SERVER_IP2).logPort(0).commPort(0).echoPort1(0)
                    .echoPort2(0));
        }
    }

    private XstuntClient register(String id, String local, XstuntServer server, Path tmp) throws XstuntException {
        XstuntOptions options = XstuntOptions.builder()
                .logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort())
                .localAddress(local)
                .fingerprintFile(tmp.resolve(id + ".fingerprint"))
                .listenTimeout(TIMEOUT)
                .build();
        long t0 = System.nanoTime();
        XstuntClient s = Xstunt.xInit(SERVER_IP1, SERVER_IP2, id, options);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        out.printf("%-7s XInit: registered as %s, NAT %s (%s) in %s ms%n", "[" + id + "]",
                s.publicAddress().getHostAddress(), s.fingerprint().description(),
                s.fingerprintCached() ? "fingerprint file" : "probed", EventOutput.ms(took));
        phases(s.registrationPhases());
        return s;
    }

    private void connectAndTalk(XstuntClient alice, XstuntClient bob) throws Exception {
        CompletableFuture<XstuntConnection> incoming = new CompletableFuture<>();
        XstuntAsync.onIncoming(bob, incoming::complete, incoming::completeExceptionally);
        out.println("[bob]   waiting for connections (XListen callback)");
        long t0 = System.nanoTime();
        XstuntConnection atAlice = Xstunt.xConnect(alice, "bob", TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        XstuntConnection atBob = incoming.get(WAIT_S, TimeUnit.SECONDS);
        XstuntAsync.onIncoming(bob, null, null);
        try (SocketChannel a = atAlice.channel(); SocketChannel b = atBob.channel()) {
            out.printf("[alice] XConnect to bob: %s -> %s in %s ms%n",
                    EventOutput.address((InetSocketAddress) a.getLocalAddress()),
                    EventOutput.address(atAlice.peerAddress()), EventOutput.ms(took));
            phases(atAlice.phases());
            out.printf("[bob]   XListen: connection from %s at %s%n", atBob.peerId(),
                    EventOutput.address(atBob.peerAddress()));
            phases(atBob.phases());
            if (!atAlice.peerAddress().getAddress().equals(Xstunt.ipv4("127.0.0.12"))
                    || !atBob.peerAddress().getAddress().equals(Xstunt.ipv4("127.0.0.11"))) {
                throw new IOException("the connection does not join 127.0.0.11 and 127.0.0.12: "
                        + atAlice.peerAddress() + " / " + atBob.peerAddress());
            }
            out.println();
            talk("alice", a, "bob", b, "hello bob, this is alice");
            talk("bob", b, "alice", a, "hi alice, bob here: got you");
        }
    }

    /** Sends a message one way and checks it arrives whole, with its one-way time. */
    private void talk(String from, SocketChannel src, String to, SocketChannel dst, String message) throws IOException {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Socket in = dst.socket();
        in.setSoTimeout((int) TIMEOUT.toMillis());
        long t0 = System.nanoTime();
        src.socket().getOutputStream().write(bytes);
        byte[] got = in.getInputStream().readNBytes(bytes.length);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        String text = new String(got, StandardCharsets.UTF_8);
        if (!text.equals(message)) {
            throw new IOException(to + " got '" + text + "' instead of '" + message + "'");
        }
        out.printf("[data]  %s -> %s: \"%s\" (%d bytes, %s ms)%n", from, to, text, got.length, EventOutput.ms(took));
    }

    private void phases(Map<String, Duration> phases) {
        phases.forEach((name, d) -> out.printf("          %-10s %8s ms%n", name, EventOutput.ms(d)));
    }

    /** The pause between two questions to the server while the demo waits for it (each is a loop round trip). */
    private static final long POLL_NS = 1_000_000L;

    private static void awaitRegistrations(XstuntServer server, int expected) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (server.registeredCount() != expected) {
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("server still holds " + server.registeredCount() + " IDs after " + WAIT_S + " s");
            }
            // XDeRegister returns once its message is sent; the server frees the IDs as it reads them
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NS);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
