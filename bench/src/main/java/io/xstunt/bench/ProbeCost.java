package io.xstunt.bench;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What XInit's NAT probe costs on loopback (four echo queries from one local port): n
 * registrations in turn from one local address, each probing (no fingerprint file), the
 * "probe" phase's median, and the TIME_WAIT sockets left behind on the client's address and on
 * the server's (count them with {@code ss -tan state time-wait} while it waits at the end).
 * Usage: {@code ProbeCost [n] [client address]}.
 */
public final class ProbeCost {
    private static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    private static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");

    private ProbeCost() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Inet4Address local = Ipv4.parse(args.length > 1 ? args[1] : "127.0.0.95");
        try (EventLoop serverLoop = EventLoop.open("server").start();
             EventLoop clientLoop = EventLoop.open("clients").start()) {
            StuntServer server = StuntServer.start(serverLoop, ServerConfig.builder(IP1, IP2).logPort(0).commPort(0)
                    .echoPort1(0).echoPort2(0).build()).get(10, TimeUnit.SECONDS);
            ClientConfig config = ClientConfig.builder(IP1, IP2).logPort(server.logAddress().getPort())
                    .commPort(server.commAddress().getPort()).localAddress(local).fingerprintFile(null).build();
            List<Long> probe = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                StuntClient c = StuntClient.register(clientLoop, config, "p" + i).get(10, TimeUnit.SECONDS);
                probe.add(c.registrationPhases().get("probe").toNanos());
                c.close();
            }
            long total = System.nanoTime() - start;
            Collections.sort(probe);
            System.out.println(String.format(Locale.ROOT, "%d probing registrations from %s: probe phase median"
                            + " %.2f ms, p90 %.2f, max %.2f; all %d in %.0f ms", n, local.getHostAddress(),
                    probe.get(n / 2) / 1e6, probe.get(n * 9 / 10) / 1e6, probe.getLast() / 1e6, n, total / 1e6));
            server.close();
        }
    }
}
