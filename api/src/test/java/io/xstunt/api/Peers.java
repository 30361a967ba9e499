package io.xstunt.api;

import io.xstunt.testkit.LoopbackServer;
import java.nio.file.Path;

/** Peers of the shared {@link LoopbackServer} through this module's API. */
final class Peers {
    private Peers() {
    }

    /** Options for a peer bound to 127.0.0.{@code lastOctet}, fingerprint file in {@code dir}. */
    static XstuntOptions.Builder options(LoopbackServer server, int lastOctet, Path dir) {
        return XstuntOptions.builder()
                .logPort(server.logPort())
                .commPort(server.commPort())
                .localAddress(LoopbackServer.peerAddress(lastOctet))
                .fingerprintFile(dir.resolve("fingerprint-" + lastOctet + ".dat"))
                .ipv6(false); // a global IPv6 address on the machine would race the loopback punch
    }

    /** XInit of {@code id} from 127.0.0.{@code lastOctet}. */
    static XstuntClient register(LoopbackServer server, String id, int lastOctet, Path dir) throws Exception {
        return Xstunt.xInit(LoopbackServer.IP1, LoopbackServer.IP2, id, options(server, lastOctet, dir).build());
    }
}
