package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntException;
import io.xstunt.api.XstuntOptions;

import io.xstunt.testkit.Await;
import io.xstunt.testkit.LoopbackServer;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server and a client as separate JVMs (the CLI) killed mid-handshake with SIGKILL, and the
 * server stopped with SIGTERM: the other side notices at once and cleanly, nothing is left behind,
 * and a restarted server is found again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessFaultsTest {
    private static final long WAIT_S = 20;
    private static final Pattern PORTS = Pattern.compile(
            "\"logPort\":(\\d+),\"commPort\":(\\d+),\"echoPorts\":\\[(\\d+),(\\d+)]");

    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(WAIT_S, TimeUnit.SECONDS);
        }
    }

    /** A JVM running the CLI with {@code args}. */
    private Process cli(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                XstuntCli.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        return p;
    }

    /** A server process; returns its ports {log, comm, echo1, echo2} once it reports them. */
    private int[] serverProcess(int[] ports) throws Exception {
        Process p = cli("server", "--log-port", String.valueOf(ports[0]), "--comm-port", String.valueOf(ports[1]),
                "--echo-ports", ports[2] + "," + ports[3], "--json");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        String line = first.get(WAIT_S, TimeUnit.SECONDS);
        Matcher m = PORTS.matcher(String.valueOf(line));
        assertTrue(m.find(), "server line: " + line);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4))};
    }

    private static Socket socket(String local, int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_S));
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    private static byte[] read(Socket s, int n) throws IOException {
        byte[] b = new byte[n];
        new DataInputStream(s.getInputStream()).readFully(b);
        return b;
    }

    /** An original client's IDLE registration with raw bytes; returns its log connection. */
    private Socket registered(String local, int logPort, String id) throws IOException {
        Socket s = socket(local, logPort);
        closeables.add(s);
        read(s, 12);
        byte[] field = new byte[33];
        byte[] t = id.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, field, 0, t.length);
        s.getOutputStream().write(field);
        byte[] info = read(s, 60);
        assertEquals(t[0], info[0], "registered");
        s.getOutputStream().write(new byte[] {1, 10, 0, 0, 1});
        return s;
    }

    /** Asserts a clean close by the peer: EOF (FIN), not a reset. */
    private static void assertCleanEof(Socket s) throws IOException {
        try {
            assertEquals(-1, s.getInputStream().read(), "EOF");
        } catch (SocketException e) {
            fail("a reset instead of a clean close: " + e);
        }
    }

    private static void await(String what, BooleanSupplier cond) {
        Await.until(what, Duration.ofSeconds(WAIT_S), cond);
    }

    @Test
    void sigtermClosesEveryClientCleanly() throws Exception {
        int[] ports = serverProcess(new int[4]);
        Process server = processes.get(0);
        Socket alice = registered("127.0.0.81", ports[0], "alice");
        Socket bob = registered("127.0.0.82", ports[0], "bob");
        Socket halfway = socket("127.0.0.83", ports[0]);
        closeables.add(halfway);
        read(halfway, 12); // greeting read, ID not sent: mid-handshake
        server.destroy(); // SIGTERM
        for (Socket s : new Socket[] {alice, bob, halfway}) {
            assertCleanEof(s);
        }
        assertTrue(server.waitFor(WAIT_S, TimeUnit.SECONDS), "the server exits within " + WAIT_S + " s");
    }

    @Test
    void sigkillOfTheServerMidHandshakeIsReportedAndARestartedServerIsFoundAgain() throws Exception {
        int[] ports = serverProcess(new int[4]);
        XstuntOptions options = XstuntOptions.builder().logPort(ports[0]).commPort(ports[1]).localAddress("127.0.0.84")
                .fingerprintFile(dir.resolve("a.fp")).echoTimeout(Duration.ofSeconds(3)).autoReRegister(true).build();
        XstuntClient alice = Xstunt.xInit("127.0.0.1", "127.0.0.2", "alice", options);
        closeables.add(alice);
        Socket mallory = registered("127.0.0.85", ports[0], "mallory");
        Duration connectTimeout = Duration.ofSeconds(10);
        CompletableFuture<XstuntConnection> out = XstuntAsync.xConnect(alice, "mallory", connectTimeout);
        byte[] e = read(mallory, 56);
        int controlPort = (e[4] & 0xff) << 8 | (e[5] & 0xff);
        Socket control = socket("127.0.0.85", controlPort);
        closeables.add(control);
        read(control, 6); // alice's first OK(one): the rendezvous is under way
        long start = System.nanoTime();
        processes.get(0).destroyForcibly(); // SIGKILL
        ExecutionException x = assertThrows(ExecutionException.class, () -> out.get(WAIT_S, TimeUnit.SECONDS));
        assertInstanceOf(XstuntException.class, x.getCause());
        long ms = (System.nanoTime() - start) / 1_000_000;
        // failed because the server went away, not by running out its timeout
        assertTrue(ms < connectTimeout.toMillis(), "the client's XConnect failed after " + ms + " ms, not at once: "
                + x.getCause());
        await("alice notices the server is gone", () -> !alice.isRegistered());

        serverProcess(ports); // the same ports again
        await("alice registers again on her own", () -> alice.isRegistered() && alice.registrations() == 2);
    }

    @Test
    void sigkillOfAClientMidHandshakeLeavesNothingOnTheServer() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Socket mallory = registered("127.0.0.87", server.logPort(), "mallory");
            server.awaitIdle("mallory", Duration.ofSeconds(WAIT_S));
            Process client = cli("connect", "--id", "alice", "--peer", "mallory", "--local", "127.0.0.86",
                    "--server", LoopbackServer.IP1 + "," + LoopbackServer.IP2, "--log-port", String.valueOf(server.logPort()),
                    "--comm-port", String.valueOf(server.commPort()), "--fingerprint",
                    dir.resolve("c.fp").toString(), "--timeout", "30", "--json");
            byte[] e = read(mallory, 56);
            int controlPort = (e[4] & 0xff) << 8 | (e[5] & 0xff);
            Socket control = socket("127.0.0.87", controlPort);
            closeables.add(control);
            read(control, 6); // alice's first OK(one)
            client.destroyForcibly(); // SIGKILL mid-handshake
            assertTrue(client.waitFor(WAIT_S, TimeUnit.SECONDS));
            try {
                assertEquals(-1, control.getInputStream().read(), "the server closes mallory's side");
            } catch (SocketException reset) {
                // closed as well
            }
            await("the server forgets the session and alice",
                    () -> server.server().sessionsInFlight() == 0 && server.server().stateOf("alice").isEmpty());
            server.awaitIdle("mallory", Duration.ofSeconds(WAIT_S));
            assertEquals(1, server.server().registeredCount());
        }
    }
}
