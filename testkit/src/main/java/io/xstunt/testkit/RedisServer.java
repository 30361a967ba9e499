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
    private Process process;

    private RedisServer(Path binary, Path dir, int port) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
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
        Path binary = binary();
        if (binary == null) {
            throw new IOException("redis-server is not installed (apt-get install redis-server)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisServer r = new RedisServer(binary, dir, port);
        r.start();
        return r;
    }

    /** Starts it (again) on the same port: an empty Redis, as after a restart without persistence. */
    public void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server is running");
        }
        process = new ProcessBuilder(binary.toString(), "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--loglevel", "warning")
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
