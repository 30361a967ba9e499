package io.xstunt.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (the Debian package) for the shared registry's tests and benchmarks:
 * started on a free loopback port with a data directory of its own and nothing persisted, stopped
 * (and started again on the same port: Redis returning after an outage) by its user.
 */
public final class RedisServer implements AutoCloseable {
    private static final Duration START_BOUND = Duration.ofSeconds(10);
    private static final Duration STOP_BOUND = Duration.ofSeconds(10);
    private static final List<String> BINARIES = List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server");

    private final Path binary;
    private final Path dir;
    private final int port;
    /** More arguments after the common ones (a Cluster node's, a replica's, a Sentinel's). */
    private final List<String> extra;
    private Process process;

    private RedisServer(Path binary, Path dir, int port, List<String> extra) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.extra = List.copyOf(extra);
    }

    /** @return the installed redis-server, or null if there is none */
    public static Path binary() {
        return BINARIES.stream().map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    }

    /**
     * Starts one with its data in {@code dir}.
     *
     * @throws IOException if redis-server is not installed or does not answer PING within 10 s
     */
    public static RedisServer start(Path dir) throws IOException, InterruptedException {
        return start(dir, freePort(), List.of());
    }

    /**
     * Starts one on {@code port} with {@code extraArgs} after the common ones ({@code --cluster-enabled
     * yes}, {@code --replicaof HOST PORT}, {@code --sentinel}, ...), its data and log in {@code dir}.
     *
     * @throws IOException if redis-server is not installed or does not answer PING within 10 s
     */
    public static RedisServer start(Path dir, int port, List<String> extraArgs) throws IOException,
            InterruptedException {
        Path binary = binary();
        if (binary == null) {
            throw new IOException("redis-server is not installed (apt-get install redis-server)");
        }
        Files.createDirectories(dir);
        RedisServer r = new RedisServer(binary, dir, port, extraArgs);
        r.start();
        return r;
    }

    /** @return a loopback port free now (the OS's choice) */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts it (again) on the same port: an empty Redis, as after a restart without persistence. */
    public void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is running");
        }
        List<String> args = new java.util.ArrayList<>(List.of(binary.toString()));
        if (extra.contains("--sentinel")) {
            // a Sentinel needs a config file it can rewrite; it persists what it learned there
            Path conf = dir.resolve("sentinel.conf");
            if (!Files.exists(conf)) {
                Files.writeString(conf, "");
            }
            args.add(conf.toString());
        }
        args.addAll(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--daemonize", "no", "--loglevel", "warning"));
        if (!extra.contains("--sentinel")) {
            args.addAll(List.of("--save", "", "--appendonly", "no"));
        }
        args.addAll(extra);
        process = new ProcessBuilder(args)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        long end = System.nanoTime() + START_BOUND.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                if (ping(s)) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!process.isAlive()) {
                throw new IOException("redis-server exited with " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("redis.log")));
            }
            if (System.nanoTime() - end > 0) {
                throw new IOException("redis-server did not answer PING within " + START_BOUND);
            }
            // the next try: waiting on the process bounds the pause and notices an early exit at once
            process.waitFor(20, TimeUnit.MILLISECONDS);
        }
    }

    private static boolean ping(Socket s) throws IOException {
        s.setSoTimeout(1000);
        s.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] b = new byte[7];
        int n = s.getInputStream().readNBytes(b, 0, 7);
        return n == 7 && new String(b, java.nio.charset.StandardCharsets.US_ASCII).equals("+PONG\r\n");
    }

    /** Stops it (SIGKILL: Redis dies, as a crashed host's would) and waits, bounded, until it is gone. */
    public void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(STOP_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("redis-server did not exit within " + STOP_BOUND);
        }
    }

    /** @return whether its process runs */
    public boolean running() {
        return process != null && process.isAlive();
    }

    /**
     * Sends one command and reads its whole reply, flattened to text: a simple or bulk string as
     * it is, an integer as its digits, an error as "-MESSAGE", an array as its elements one per
     * line, a null as "(nil)".
     *
     * @throws IOException if it does not answer within 5 s
     */
    public String command(String... words) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            StringBuilder out = new StringBuilder("*").append(words.length).append("\r\n");
            for (String w : words) {
                byte[] b = w.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.append('$').append(b.length).append("\r\n").append(w).append("\r\n");
            }
            s.getOutputStream().write(out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(
                    s.getInputStream()));
            StringBuilder reply = new StringBuilder();
            readReply(in, reply);
            return reply.toString();
        }
    }

    /** @return {@link #command}'s reply, or "" if it did not answer (for bounded waits that ask again) */
    public String answers(String... words) {
        try {
            return command(words);
        } catch (IOException e) {
            return "";
        }
    }

    private static void readReply(java.io.DataInputStream in, StringBuilder to) throws IOException {
        String line = readLine(in);
        char kind = line.charAt(0);
        String rest = line.substring(1);
        switch (kind) {
            case '+', ':' -> to.append(rest);
            case '-' -> to.append(line);
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    to.append("(nil)");
                } else {
                    byte[] b = new byte[n + 2];
                    in.readFully(b);
                    to.append(new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                for (int i = 0; i < n; i++) {
                    if (i > 0) {
                        to.append('\n');
                    }
                    readReply(in, to);
                }
            }
            default -> throw new IOException("not a RESP reply: " + line);
        }
    }

    private static String readLine(java.io.DataInputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\r'; c = in.read()) {
            if (c < 0) {
                throw new IOException("Redis closed the connection mid-reply");
            }
            b.append((char) c);
        }
        in.read(); // '\n'
        return b.toString();
    }

    /** @return its data directory */
    public Path dir() {
        return dir;
    }

    /** @return its port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /** @return the registry URI of this Redis, with a lease of {@code leaseMs} */
    public String uri(long leaseMs) {
        return "redis://127.0.0.1:" + port + "?lease-ms=" + leaseMs + "&timeout-ms=1000";
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
