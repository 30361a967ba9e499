package io.xstunt.registry.redis;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntOptions;
import io.xstunt.engine.loop.EventLoop;
import io.xstunt.engine.server.ServerConfig;
import io.xstunt.engine.server.StuntServer;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.testkit.SharedPorts;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Two STUNT servers on loopback sharing one Redis: server 1 on 127.0.0.1 + 127.0.0.2, server 2 on
 * 127.0.0.3 + 127.0.0.4, both on the same log and comm ports (a client's failover list names IPs
 * only), and their clients, each bound to 127.0.0.N so that the servers see distinct "public" IPs.
 */
final class TwoServers implements AutoCloseable {
    static final String[] S1 = {"127.0.0.1", "127.0.0.2"};
    static final String[] S2 = {"127.0.0.3", "127.0.0.4"};
    private static final Duration START_BOUND = Duration.ofSeconds(15);

    final int logPort;
    final int commPort;
    final EventLoop loop1;
    final EventLoop loop2;
    final StuntServer s1;
    final StuntServer s2;
    private final Path dir;
    private final UnaryOperator<ServerConfig.Builder> tuning;
    private final List<XstuntClient> clients = new ArrayList<>();

    TwoServers(String registry, Path dir) throws Exception {
        this(registry, dir, b -> b);
    }

    /** @param tuning applied to both servers' configuration */
    TwoServers(String registry, Path dir, UnaryOperator<ServerConfig.Builder> tuning) throws Exception {
        this(registry, dir, tuning, "");
    }

    /** @param loopPrefix before the servers' loop threads' names ("server-1", "server-2") */
    TwoServers(String registry, Path dir, UnaryOperator<ServerConfig.Builder> tuning, String loopPrefix)
            throws Exception {
        this.dir = dir;
        this.tuning = tuning;
        this.loop1 = EventLoop.open(loopPrefix + "server-1").start();
        this.loop2 = EventLoop.open(loopPrefix + "server-2").start();
        StuntServer[] both = null;
        int[] ports = null;
        for (int attempt = 1; both == null; attempt++) {
            ports = SharedPorts.pair();
            try {
                both = startBoth(registry, ports);
            } catch (java.util.concurrent.ExecutionException e) {
                if (attempt == 3) {
                    throw e; // not a port taken meanwhile: say what it is
                }
            }
        }
        this.logPort = ports[0];
        this.commPort = ports[1];
        this.s1 = both[0];
        this.s2 = both[1];
        io.xstunt.testkit.Await.until("both servers reaching Redis", START_BOUND,
                () -> s1.registryHealth().reachable() && s2.registryHealth().reachable());
    }

    /** Both servers on {@code ports}; fails (nothing left bound) if either cannot bind. */
    private StuntServer[] startBoth(String registry, int[] ports) throws Exception {
        StuntServer a = StuntServer.start(loop1, config(S1, ports), URI.create(registry)).get(
                START_BOUND.toSeconds(), TimeUnit.SECONDS);
        try {
            return new StuntServer[] {a, StuntServer.start(loop2, config(S2, ports), URI.create(registry)).get(
                    START_BOUND.toSeconds(), TimeUnit.SECONDS)};
        } catch (java.util.concurrent.ExecutionException e) {
            a.close();
            throw e;
        }
    }

    private ServerConfig config(String[] ips, int[] ports) {
        return tuning.apply(ServerConfig.builder(Ipv4.parse(ips[0]), Ipv4.parse(ips[1])).logPort(ports[0])
                .commPort(ports[1]).echoPort1(0).echoPort2(0)).build();
    }

    /** Options for a client bound to 127.0.0.{@code lastOctet}. */
    XstuntOptions.Builder options(int lastOctet) {
        return XstuntOptions.builder().logPort(logPort).commPort(commPort)
                .localAddress(Ipv4.parse("127.0.0." + lastOctet))
                .fingerprintFile(dir.resolve("fingerprint-" + lastOctet + ".dat"));
    }

    /** XInit of {@code id} on {@code server} from 127.0.0.{@code lastOctet}. */
    XstuntClient register(String[] server, String id, int lastOctet) throws Exception {
        return register(server, id, options(lastOctet).build());
    }

    XstuntClient register(String[] server, String id, XstuntOptions options) throws Exception {
        XstuntClient c = Xstunt.xInit(server[0], server[1], id, options);
        clients.add(c);
        return c;
    }

    @Override
    public void close() {
        for (XstuntClient c : clients) {
            c.close();
        }
        s1.close();
        s2.close();
        loop1.close();
        loop2.close();
    }
}
