package io.xstunt.bench;

import io.xstunt.engine.client.ClientConfig;
import io.xstunt.engine.client.Rendezvous;
import io.xstunt.engine.client.StuntClient;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.WireVariant;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What serving both wire variants on the same ports costs each (docs/PROTOCOL.md, "Wire
 * variants"): on loopback, with the server's default variant wait, the registration exchange
 * (LogHello to the end of XInit, a cached fingerprint: one round) and XConnect's comm phase
 * (MSG_CONNECT to its answer), for a client of each variant, alternating, n rounds each.
 * Usage: {@code WireVariantCost [rounds]}.
 */
public final class WireVariantCost {
    private static final Inet4Address IP1 = Ipv4.parse("127.0.0.1");
    private static final Inet4Address IP2 = Ipv4.parse("127.0.0.2");

    private WireVariantCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path dir = Files.createTempDirectory("variant-cost");
        try (EventLoop serverLoop = EventLoop.open("server").start();
             EventLoop clientLoop = EventLoop.open("clients").start()) {
            StuntServer server = StuntServer.start(serverLoop, ServerConfig.builder(IP1, IP2).logPort(0).commPort(0)
                    .echoPort1(0).echoPort2(0).build()).get(10, TimeUnit.SECONDS);
            StuntClient peer = StuntClient.register(clientLoop, config(server, dir, "127.0.0.92", WireVariant.ID32),
                    "peer").get(10, TimeUnit.SECONDS);
            peer.onIncoming(Rendezvous::closeQuietly, e -> { });
            for (WireVariant v : WireVariant.values()) {
                register(clientLoop, server, dir, v).close(); // probes once; later rounds reuse the file
            }
            List<List<Long>> register = List.of(new ArrayList<>(), new ArrayList<>());
            List<List<Long>> comm = List.of(new ArrayList<>(), new ArrayList<>());
            for (int i = 0; i < rounds; i++) {
                for (WireVariant v : WireVariant.values()) {
                    StuntClient c = register(clientLoop, server, dir, v);
                    register.get(v.ordinal()).add(c.registrationPhases().get("register").toNanos());
                    Rendezvous r = c.connect("peer", Duration.ofSeconds(6)).get(10, TimeUnit.SECONDS);
                    comm.get(v.ordinal()).add(r.phases().get("comm").toNanos());
                    r.closeQuietly();
                    c.close();
                }
            }
            System.out.println("variant wait " + server.config().variantWait().toMillis() + " ms, " + rounds
                    + " rounds per variant, loopback");
            for (WireVariant v : WireVariant.values()) {
                System.out.println(String.format(Locale.ROOT, "%s  registration (one round) %s   XConnect comm %s",
                        v, summary(register.get(v.ordinal())), summary(comm.get(v.ordinal()))));
            }
            peer.close();
            server.close();
        }
    }

    private static StuntClient register(EventLoop loop, StuntServer server, Path dir, WireVariant v)
            throws Exception {
        return StuntClient.register(loop, config(server, dir, v == WireVariant.ID31 ? "127.0.0.91" : "127.0.0.93", v),
                "client" + v.maxIdLen()).get(10, TimeUnit.SECONDS);
    }

    private static ClientConfig config(StuntServer server, Path dir, String local, WireVariant v) {
        return ClientConfig.builder(IP1, IP2).logPort(server.logAddress().getPort())
                .commPort(server.commAddress().getPort()).localAddress(Ipv4.parse(local)).wireVariant(v)
                .fingerprintFile(dir.resolve(local + ".fp")).build();
    }

    private static String summary(List<Long> ns) {
        List<Long> s = new ArrayList<>(ns);
        Collections.sort(s);
        return String.format(Locale.ROOT, "median %.2f ms, min %.2f, max %.2f", s.get(s.size() / 2) / 1e6,
                s.getFirst() / 1e6, s.getLast() / 1e6);
    }
}
