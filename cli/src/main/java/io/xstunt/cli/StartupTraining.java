package io.xstunt.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The training run of the CLI's start-up cache: the build runs it once in a JVM that records what
 * it loads, links and profiles (JDK 25: {@code -XX:AOTCacheOutput}, JEP 483/514/515; JDK 21 to 24:
 * AppCDS, {@code -XX:ArchiveClassesAtExit}). It does in one process what the program's users do
 * in many: a server on loopback, a listener and a connector through a full rendezvous, a probe,
 * in JSON and in text, each parsed by the same command line as from a shell. Once all of that
 * worked it writes the stamp file that {@code ./xstunt} reads before it uses the cache (which JDK
 * made it, which kind it is); without the stamp the launcher starts without the cache.
 *
 * <p>Usage: {@code StartupTraining STAMP_FILE KIND} ({@code KIND}: {@code aot} or {@code cds}).
 * Exit 0 always: a failed training costs start-up time, not the build; it says why on stderr
 * (in {@code cli/target/startup-training.log}). Its threads are daemons, so that a step that failed
 * half-way cannot keep the JVM (and the build) waiting.
 */
public final class StartupTraining {
    /** Each step of the training is bounded by this; a cold JVM registers in well under a second. */
    private static final long STEP_S = 20;
    /** Two peers on one host: distinct addresses, or the server sees them behind one NAT (as the demo's). */
    private static final String LISTENER_IP = "127.0.0.12";
    private static final String CONNECTOR_IP = "127.0.0.11";
    private static final Pattern PORT = Pattern.compile("\"(logPort|commPort)\":(\\d+)");

    private StartupTraining() {
    }

    /**
     * @param args the stamp file to write on success, and the cache's kind
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[1].equals("aot") || args[1].equals("cds"))) {
            System.err.println("usage: StartupTraining STAMP_FILE aot|cds");
            System.exit(2);
        }
        Path stamp = Path.of(args[0]);
        Files.deleteIfExists(stamp);
        try {
            train();
            Files.writeString(stamp, "kind=" + args[1] + "\njava.home=" + System.getProperty("java.home")
                    + "\njava.runtime.version=" + System.getProperty("java.runtime.version") + "\n",
                    StandardCharsets.UTF_8);
        } catch (Exception | AssertionError e) {
            System.err.println("startup training failed, the CLI will start without a cache: " + e);
        }
        System.exit(0); // the JVM writes the cache on its way out
    }

    private static void train() throws Exception {
        Path tmp = Files.createTempDirectory("xstunt-training");
        Lines server = new Lines();
        Thread serverThread = Thread.ofPlatform().daemon().name("training-server").start(() -> XstuntCli.run(new String[] {
            "server", "--json", "--ip1", "127.0.0.1", "--ip2", "127.0.0.2", "--log-port", "0", "--comm-port", "0",
            "--echo-ports", "0,0"}, server.stream(), server.stream()));
        try {
            String up = server.await("\"event\":\"server\"");
            List<String> ports = new ArrayList<>();
            Matcher m = PORT.matcher(up);
            while (m.find()) {
                ports.add(m.group(2));
            }
            if (ports.size() != 2) {
                throw new IllegalStateException("no ports in the server's event: " + up);
            }
            String[] common = {"--server", "127.0.0.1,127.0.0.2", "--log-port", ports.get(0),
                "--comm-port", ports.get(1), "--timeout", "10"};
            Lines listener = new Lines();
            Thread listen = Thread.ofPlatform().daemon().name("training-listen").start(() -> XstuntCli.run(concat(
                    new String[] {"listen", "--json", "--id", "training-listener", "--count", "1", "--local", LISTENER_IP,
                        "--fingerprint", tmp.resolve("l.dat").toString()}, common),
                    listener.stream(), listener.stream()));
            listener.await("\"event\":\"registered\"");
            Lines connector = new Lines();
            int rc = XstuntCli.run(concat(new String[] {"connect", "--json", "--id", "training-connector",
                "--peer", "training-listener", "--local", CONNECTOR_IP, "--fingerprint", tmp.resolve("c.dat").toString()}, common),
                    connector.stream(), connector.stream());
            connector.await("\"direction\":\"received\"");
            join(listen, "listen");
            check(rc == 0, "connect exited " + rc);
            // text mode and the fingerprint file read back: what a second start of a peer does
            Lines probe = new Lines();
            rc = XstuntCli.run(concat(new String[] {"probe", "--id", "training-probe", "--local", CONNECTOR_IP,
                "--fingerprint", tmp.resolve("c.dat").toString()}, common), probe.stream(), probe.stream());
            check(rc == 0, "probe exited " + rc);
        } finally {
            serverThread.interrupt(); // the server command ends on interruption, closing the server
            join(serverThread, "server");
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(tmp);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void join(Thread t, String what) throws InterruptedException {
        if (!t.join(java.time.Duration.ofSeconds(STEP_S))) {
            throw new IllegalStateException(what + " did not end within " + STEP_S + " s");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    /** A command's output, line by line, to wait on. */
    private static final class Lines extends OutputStream {
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private final List<String> seen = new ArrayList<>();
        private final PrintStream stream = new PrintStream(this, true, StandardCharsets.UTF_8);

        PrintStream stream() {
            return stream;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                lines.add(partial.toString());
                partial.setLength(0);
            } else {
                partial.append((char) b);
            }
        }

        /** @return the first line containing {@code text}, waiting at most {@link #STEP_S} */
        String await(String text) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(STEP_S);
            while (true) {
                String line = lines.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new UncheckedIOException(new IOException("no line with " + text + " within " + STEP_S
                            + " s; saw " + seen));
                }
                seen.add(line);
                if (line.contains(text)) {
                    return line;
                }
            }
        }
    }
}
