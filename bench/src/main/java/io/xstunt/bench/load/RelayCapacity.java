package io.xstunt.bench.load;

import io.xstunt.api.ConnectionPath;
import io.xstunt.api.RelayMode;
import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntAsync;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntConnection;
import io.xstunt.api.XstuntOptions;
import io.xstunt.testkit.LoopbackServer;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Relayed sessions held at once and the server's heap per relayed session (issue 12): a
 * {@code StuntServer} in its own JVM ({@link ServerProcess} {@code stunt}, its relay limits lifted
 * above the load), N pairs of clients registered from 200 loopback addresses (one of each pair
 * {@code RELAY_ONLY}), then each pair relayed; the server's used heap after full GCs with the 2N
 * clients registered and idle, with the N relays held silent, and with one 1 KiB message passed
 * each way on each (a relay that has carried data): per relayed session, the differences / N.
 * {@code RelayCapacity [N]} (default 1,000: the server's default limit of relays at once).
 */
public final class RelayCapacity {
    private static final Duration BOUND = Duration.ofSeconds(15);

    private RelayCapacity() {
    }

    /**
     * Runs it and prints its lines.
     *
     * @param args N, the relayed sessions to hold (default 1,000)
     */
    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 1_000, System.out);
    }

    /** Holds {@code n} relayed sessions and prints what they cost the server. */
    public static void run(int n, PrintStream out) throws Exception {
        try (LoadGenerator.ServerJvm server = new LoadGenerator.ServerJvm("stunt",
                List.of("-XX:+UseSerialGC", "-Xmx1g"), List.of())) {
            XstuntOptions.Builder base = XstuntOptions.builder().logPort(server.port1).commPort(server.port2)
                    .fingerprintFile(null);
            List<XstuntClient> clients = new ArrayList<>();
            List<XstuntConnection> relays = new ArrayList<>();
            try {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    clients.add(Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "ra" + i, base
                            .relayMode(RelayMode.RELAY_ONLY).localAddress(address(2 * i)).build()));
                    clients.add(Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, "rb" + i, base
                            .relayMode(RelayMode.RELAY_ALLOWED).localAddress(address(2 * i + 1)).build()));
                }
                double registerS = (System.nanoTime() - t0) / 1e9;
                long[] idle = server.heap();
                t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    CompletableFuture<XstuntConnection> in = new CompletableFuture<>();
                    XstuntAsync.onIncoming(clients.get(2 * i + 1), in::complete, in::completeExceptionally);
                    XstuntConnection c = Xstunt.xConnect(clients.get(2 * i), "rb" + i, BOUND);
                    relays.add(c);
                    relays.add(in.get(BOUND.toSeconds(), TimeUnit.SECONDS));
                    if (c.path() != ConnectionPath.RELAYED) {
                        throw new IllegalStateException("pair " + i + " was not relayed: " + c);
                    }
                }
                double relayS = (System.nanoTime() - t0) / 1e9;
                long[] held = server.heap();
                ByteBuffer kib = ByteBuffer.allocate(1024);
                for (int i = 0; i < relays.size(); i += 2) {
                    for (int s = 0; s < 2; s++) {
                        relays.get(i + s).channel().write(kib.clear());
                        ByteBuffer got = ByteBuffer.allocate(1024);
                        while (got.hasRemaining()) {
                            if (relays.get(i + 1 - s).channel().read(got) < 0) {
                                throw new IllegalStateException("relay " + i / 2 + " closed");
                            }
                        }
                    }
                }
                long[] used = server.heap();
                out.printf("relayed sessions held at once: %d (%d clients registered in %.1f s, %d relays set up in"
                        + " %.1f s, %.1f ms each)%n", n, 2 * n, registerS, n, relayS, relayS * 1e3 / n);
                out.printf("server open connections: %d with the clients idle, %d with the relays held%n", idle[2],
                        held[2]);
                out.printf("server heap after GC: %d B idle, %d B with %d silent relays (%d B per relayed session),"
                        + " %d B once each carried 1 KiB each way (%d B per relayed session)%n", idle[0], held[0], n,
                        (held[0] - idle[0]) / n, used[0], (used[0] - idle[0]) / n);
            } finally {
                for (XstuntConnection c : relays) {
                    c.close();
                }
                for (XstuntClient c : clients) {
                    c.close();
                }
            }
        }
    }

    /** @return the {@code i}-th client's address, over 200 loopback addresses (127.0.0.11 to .210) */
    private static String address(int i) {
        return LoopbackServer.peerAddress(11 + i % 200);
    }
}
