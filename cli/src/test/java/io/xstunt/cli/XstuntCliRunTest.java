package io.xstunt.cli;

import io.xstunt.testkit.Lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.testkit.LoopbackServer;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code listen} and {@code connect} run in-process against a real server, with --json. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class XstuntCliRunTest {
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static List<String> args(LoopbackServer s, String... more) {
        List<String> a = new ArrayList<>(List.of(more));
        a.addAll(List.of("--server", LoopbackServer.IP1 + "," + LoopbackServer.IP2, "--log-port", String.valueOf(s.logPort()),
                "--comm-port", String.valueOf(s.commPort()), "--json"));
        return a;
    }

    private static int run(List<String> args, Lines out, Lines err) {
        return XstuntCli.run(args.toArray(String[]::new), out.stream(), err.stream());
    }

    @Test
    void listenEchoesWhatConnectSends() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines listenOut = new Lines();
            Lines listenErr = new Lines();
            CompletableFuture<Integer> listening = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> listening.complete(run(args(server, "listen", "--id", "bob",
                    "--local", "127.0.0.12", "--fingerprint", dir.resolve("bob.fp").toString(), "--count", "1"),
                    listenOut, listenErr)));
            String registered = listenOut.await(l -> l.startsWith("{\"event\":\"registered\""), BOUND);
            assertTrue(registered.contains("\"id\":\"bob\",\"publicIp\":\"127.0.0.12\""), registered);
            server.awaitIdle("bob", BOUND);

            Lines out = new Lines();
            Lines err = new Lines();
            String message = "hi \"bob\"\n\u20ac";
            int code = run(args(server, "connect", "--id", "alice", "--peer", "bob", "--local", "127.0.0.11",
                    "--fingerprint", dir.resolve("alice.fp").toString(), "--message", message), out, err);
            assertEquals(0, code, out.text() + err.text());
            List<String> lines = out.all();
            assertEquals(4, lines.size(), out.text());
            assertTrue(lines.get(0).startsWith("{\"event\":\"registered\",\"id\":\"alice\",\"publicIp\":\"127.0.0.11\""),
                    lines.get(0));
            assertTrue(lines.get(1).startsWith("{\"event\":\"connected\",\"id\":\"alice\",\"peer\":\"bob\",\"role\":\"connect\","
                    + "\"local\":\"127.0.0.11:"), lines.get(1));
            assertTrue(lines.get(1).contains("\"remote\":\"127.0.0.12:"), lines.get(1));
            assertTrue(lines.get(1).contains("\"phases\":{") && lines.get(1).contains("\"totalMs\":"), lines.get(1));
            String escaped = "\"text\":\"hi \\\"bob\\\"\\n\u20ac\"";
            assertTrue(lines.get(2).startsWith("{\"event\":\"data\",\"id\":\"alice\",\"peer\":\"bob\",\"direction\":\"sent\""),
                    lines.get(2));
            assertTrue(lines.get(2).endsWith(escaped + "}"), lines.get(2));
            assertTrue(lines.get(3).contains("\"direction\":\"received\"") && lines.get(3).endsWith(escaped + "}"),
                    lines.get(3));
            for (String l : lines) {
                assertEquals(-1, l.indexOf('\n'));
            }

            assertEquals(0, listening.get(BOUND.toSeconds(), TimeUnit.SECONDS), listenOut.text() + listenErr.text());
            String bobHeard = String.join("\n", listenOut.all());
            assertTrue(bobHeard.contains("\"event\":\"connected\",\"id\":\"bob\",\"peer\":\"alice\",\"role\":\"listen\""),
                    bobHeard);
            assertTrue(bobHeard.contains("\"direction\":\"received\",\"bytes\":12," + escaped), bobHeard);
        }
    }

    @Test
    void unknownPeerIsErrMatchWithExitOne() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines out = new Lines();
            Lines err = new Lines();
            int code = run(args(server, "connect", "--id", "alice", "--peer", "nobody", "--local", "127.0.0.11",
                    "--fingerprint", dir.resolve("alice.fp").toString()), out, err);
            assertEquals(XstuntCli.EXIT_FAILURE, code);
            String last = out.all().get(out.all().size() - 1);
            assertTrue(last.startsWith("{\"event\":\"error\",\"code\":\"ERR_MATCH\",\"value\":-3976,\"detail\":0,\"message\":\""),
                    last);
        }
    }

    @Test
    void severalPeersAreTriedInTurnAndOneFailureMakesExitOne() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines listenOut = new Lines();
            CompletableFuture<Integer> listening = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> listening.complete(run(args(server, "listen", "--id", "bob",
                    "--local", "127.0.0.12", "--fingerprint", dir.resolve("bob.fp").toString(), "--count", "1"),
                    listenOut, new Lines())));
            listenOut.await(l -> l.startsWith("{\"event\":\"registered\""), BOUND);
            server.awaitIdle("bob", BOUND);

            Lines out = new Lines();
            Lines err = new Lines();
            int code = run(args(server, "connect", "--id", "alice", "--peer", "nobody,bob", "--local", "127.0.0.11",
                    "--fingerprint", dir.resolve("alice.fp").toString(), "--message", "hi"), out, err);
            assertEquals(XstuntCli.EXIT_FAILURE, code, out.text() + err.text());
            List<String> lines = out.all();
            assertEquals(5, lines.size(), out.text()); // registered, error, connected, sent, received
            assertTrue(lines.get(1).startsWith("{\"event\":\"error\",\"code\":\"ERR_MATCH\""), lines.get(1));
            assertTrue(lines.get(2).startsWith("{\"event\":\"connected\",\"id\":\"alice\",\"peer\":\"bob\""),
                    "the next peer is tried in the same registration: " + lines.get(2));
            assertTrue(lines.get(4).contains("\"direction\":\"received\",\"bytes\":2,\"text\":\"hi\""), lines.get(4));
            assertEquals(0, listening.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        }
    }

    @Test
    void unreachableServerIsErrConnectWithExitOneInTextMode() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closedPort = s.getLocalPort();
        }
        Lines out = new Lines();
        Lines err = new Lines();
        int code = XstuntCli.run(new String[] {"probe", "--server", LoopbackServer.IP1 + "," + LoopbackServer.IP2, "--log-port",
            String.valueOf(closedPort), "--local", "127.0.0.11", "--fingerprint", dir.resolve("p.fp").toString()},
                out.stream(), err.stream());
        assertEquals(XstuntCli.EXIT_FAILURE, code);
        assertTrue(err.text().startsWith("error: ERR_CONNECT (-3999)"), err.text());
        assertEquals("\n", out.text());
    }

    @Test
    void serverServesForItsDurationAndReportsItsPorts() {
        Lines out = new Lines();
        Lines err = new Lines();
        int code = XstuntCli.run(new String[] {"server", "--log-port", "0", "--comm-port", "0", "--echo-ports", "0,0",
            "--server-version", "7", "--duration", "0.2", "--json"}, out.stream(), err.stream());
        assertEquals(0, code, err.text());
        assertEquals(1, out.all().size(), out.text());
        String line = out.all().get(0);
        assertTrue(line.matches("\\{\"event\":\"server\",\"ip1\":\"127.0.0.1\",\"ip2\":\"127.0.0.2\",\"logPort\":[1-9]\\d*,"
                + "\"commPort\":[1-9]\\d*,\"echoPorts\":\\[[1-9]\\d*,[1-9]\\d*],\"serverVersion\":7}"), line);
    }

    @Test
    void serverOnATakenPortIsErrBindWithExitOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            Lines out = new Lines();
            Lines err = new Lines();
            int code = XstuntCli.run(new String[] {"server", "--log-port", String.valueOf(taken.getLocalPort()),
                "--comm-port", "0", "--echo-ports", "0,0", "--duration", "5"}, out.stream(), err.stream());
            assertEquals(XstuntCli.EXIT_FAILURE, code);
            assertTrue(err.text().startsWith("error: ERR_BIND (-3980)"), err.text());
        }
    }

    @Test
    void probePrintsTheFingerprintAsTheReference() throws Exception {
        try (LoopbackServer server = LoopbackServer.start()) {
            Lines out = new Lines();
            Lines err = new Lines();
            List<String> a = args(server, "probe", "--local", "127.0.0.13", "--fingerprint", dir.resolve("p.fp").toString());
            a.remove("--json");
            assertEquals(0, run(a, out, err), err.text());
            assertEquals(List.of("TCP PORT-PRESERVING CONE"), out.all());
        }
    }
}
