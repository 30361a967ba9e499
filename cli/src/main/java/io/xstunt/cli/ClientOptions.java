package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.RelayMode;
import io.xstunt.api.XstuntOptions;
import io.xstunt.api.XstuntClient;
import io.xstunt.api.XstuntException;
import io.xstunt.api.PunchStrategy;

import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options every peer command ({@code listen}, {@code connect}, {@code probe}) takes: where the
 * server is, how to reach it, which local address and fingerprint file to use.
 */
final class ClientOptions {
    @Option(names = "--server", paramLabel = "IP1[,IP2]|[IPv6]", defaultValue = "127.0.0.1,127.0.0.2",
            converter = OptionTypes.ServerPair.class,
            description = "The STUNT server's two IPs; one IP serves as both (default: ${DEFAULT-VALUE})."
                    + " Or its one IPv6 address, [2001:db8::1]: the client registers over IPv6 and does not"
                    + " probe its NAT."
                    + " Repeat it for servers sharing one registry: the client registers on the first and,"
                    + " when it loses its server, registers again on the next (failover).")
    List<OptionTypes.ServerAddresses> servers;

    @Option(names = "--local", paramLabel = "ADDR", converter = OptionTypes.Ipv4Literal.class,
            description = "The local address to bind (default: any).")
    Inet4Address local;

    @Option(names = "--fingerprint", paramLabel = "FILE", defaultValue = Xstunt.FINGERPRINT_FILE,
            description = "This host's NAT fingerprint file, read instead of probing when it fits"
                    + " (default: ${DEFAULT-VALUE}).")
    Path fingerprint;

    @Option(names = "--timeout", paramLabel = "SEC", defaultValue = "12", converter = OptionTypes.Seconds.class,
            description = "The rendezvous bound, XListen/XConnect's nTimeoutSec (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--log-port", paramLabel = "N", defaultValue = "" + Xstunt.SERVER_LOG_PORT,
            converter = OptionTypes.Port.class,
            description = "The server's log (registration) port (default: ${DEFAULT-VALUE}).")
    int logPort;

    @Option(names = "--comm-port", paramLabel = "N", defaultValue = "" + Xstunt.SERVER_COMM_PORT,
            converter = OptionTypes.Port.class,
            description = "The server's communication port (default: ${DEFAULT-VALUE}).")
    int commPort;

    @Option(names = "--id-length", paramLabel = "31|32", defaultValue = "" + Xstunt.MAX_ID_BYTES,
            converter = OptionTypes.IdLength.class,
            description = "MAX_ID_LEN of the wire variant to speak: 32, the reference's, or 31, the published"
                    + " XSTUNT client's, for a server built from it; IDs are then at most 31 bytes"
                    + " (default: ${DEFAULT-VALUE}). An xstunt server speaks both.")
    int idLength;

    /** @return the session options these command-line options ask for */
    XstuntOptions sessionOptions(PunchStrategy strategy) {
        return sessionOptions(strategy, RelayMode.RELAY_ALLOWED);
    }

    /** @return the session options these command-line options ask for, with {@code relay} */
    XstuntOptions sessionOptions(PunchStrategy strategy, RelayMode relay) {
        return sessionBuilder(strategy, relay).build();
    }

    /**
     * @return the session options these command-line options and {@code punch}'s ask for
     * @throws IllegalArgumentException naming the option, for a bad sweep budget
     */
    XstuntOptions sessionOptions(StrategyOption punch) {
        return punch.applyIpv6(punch.applySweep(sessionBuilder(punch.strategy, punch.relay))).build();
    }

    private XstuntOptions.Builder sessionBuilder(PunchStrategy strategy, RelayMode relay) {
        XstuntOptions.Builder b = XstuntOptions.builder();
        for (OptionTypes.ServerAddresses s : servers.subList(1, servers.size())) {
            b.failoverServer(s.ip1().getHostAddress(), s.ip2().getHostAddress());
        }
        return b
                .logPort(logPort)
                .commPort(commPort)
                .localAddress(local)
                .fingerprintFile(fingerprint)
                .punchStrategy(strategy)
                .listenTimeout(timeout)
                .idLength(idLength)
                .relayMode(relay);
    }

    /** XInit: registers {@code id} with the server. */
    XstuntClient register(String id, XstuntOptions options) throws XstuntException {
        OptionTypes.ServerAddresses server = servers.get(0);
        return Xstunt.xInit(server.ip1().getHostAddress(), server.ip2().getHostAddress(), id, options);
    }
}
