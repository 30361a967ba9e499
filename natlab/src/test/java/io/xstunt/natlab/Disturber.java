package io.xstunt.natlab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Other connections through a NAT while a host probes it (issue 11's disturbed mapping):
 * {@code labtool.py disturb} in the router's namespace follows its new TCP connections
 * ({@code conntrack -E}) and, right after chosen probes of the watched host, opens one connection
 * from another host behind the same NAT, which takes the next port of a sequential NAT. Every new
 * connection the router saw comes back as a {@link NewConnection}, in order.
 */
final class Disturber implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(20);
    private static final Duration STOP = Duration.ofSeconds(10);

    /**
     * One new connection through the router.
     *
     * @param source the LAN host's address and port
     * @param destination where it went
     * @param mappedPort the public port the NAT gave it
     */
    record NewConnection(String source, String destination, int mappedPort) {
        @Override
        public String toString() {
            return source + " -> " + destination + " as :" + mappedPort;
        }
    }

    private final Peer process;
    private final Path stop;

    private Disturber(Peer process, Path stop) {
        this.process = process;
        this.stop = stop;
    }

    /**
     * Starts the disturber in {@code xl-<router>} and waits (bounded) until its watch is live.
     *
     * @param name for messages and the log file
     * @param router the NAT's namespace name without prefix, e.g. {@code nat1}
     * @param watchedIp the probing host's LAN address
     * @param watchedPorts the ports its probes go to (the echo services')
     * @param afterProbes after which of its probes (0-based) one connection goes out, one each
     * @param fromNs the other host's namespace name without prefix, e.g. {@code h3}
     * @param to where the other host connects (an answer is not needed: the SYN takes the port)
     */
    static Disturber start(String name, String router, String watchedIp, List<Integer> watchedPorts,
                           List<Integer> afterProbes, String fromNs, String to) {
        Path stop;
        try {
            stop = Files.createTempFile(Files.createDirectories(Path.of("target")), "disturb", ".stop");
            Files.delete(stop);
        } catch (IOException e) {
            throw new AssertionError("cannot name the disturber's stop file: " + e, e);
        }
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", "xl-" + router, "/usr/bin/python3",
                Lab.script().resolveSibling("labtool.py").toString(), "disturb", "--watch-src", watchedIp,
                "--from", "xl-" + fromNs, "--to", to, "--stop", stop.toAbsolutePath().toString()));
        watchedPorts.forEach(p -> cmd.addAll(List.of("--watch-dport", String.valueOf(p))));
        afterProbes.forEach(k -> cmd.addAll(List.of("--after", String.valueOf(k))));
        Disturber d = new Disturber(Peer.run(name, cmd), stop);
        d.process.await("ready", READY);
        return d;
    }

    /** Stops it (bounded) and returns every new connection the router saw, in order. */
    List<NewConnection> stop() {
        try {
            Files.createFile(stop);
        } catch (IOException e) {
            throw new AssertionError("cannot stop the disturber: " + e, e);
        }
        int code = process.awaitExit(STOP);
        if (code != 0) {
            throw new AssertionError("the disturber failed (exit " + code + "):\n" + process.describe());
        }
        return process.events("new").stream().map(e -> new NewConnection(e.str("src"), e.str("dst"),
                (int) e.num("mapped"))).toList();
    }

    /** Kills it if it still runs (after a failed test). */
    @Override
    public void close() {
        process.close();
    }
}
