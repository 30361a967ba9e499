package io.xstunt.cli;

import io.xstunt.testkit.Lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server command's robustness options: a shared secret from a file, strict tokens, limits. */
class ServerOptionsTest {
    @TempDir
    Path dir;

    private static int server(Lines out, Lines err, String... more) {
        String[] base = {"server", "--log-port", "0", "--comm-port", "0", "--echo-ports", "0,0", "--duration", "0.2",
            "--json"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return XstuntCli.run(all, out.stream(), err.stream());
    }

    @Test
    void acceptsSentinelAndClusterRegistryUrisThatNameSeveralHosts() {
        // checked by the Redis backend (on the class path), opened only when a server starts
        for (String uri : new String[] {"redis-cluster://127.0.0.1:7000,127.0.0.1:7001?lease-ms=900",
            "redis-sentinel://127.0.0.1:26379,127.0.0.1:26380?timeout-ms=500#main", "redis://127.0.0.1:6379"}) {
            assertEquals(uri, io.xstunt.api.ServerOptions.of("127.0.0.1", "127.0.0.2").registry(uri).registry());
        }
    }

    @Test
    void acceptsASecretFileStrictTokensAndLimits() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "a long enough secret\n", StandardCharsets.UTF_8);
        Lines out = new Lines();
        Lines err = new Lines();
        assertEquals(0, server(out, err, "--secret-file", secret.toString(), "--require-tokens", "--max-clients", "5",
                "--max-per-source", "7", "--max-sessions", "3", "--idle-timeout", "30"), err.text());
    }

    @Test
    void refusesAShortOrMissingSecretFileAsBadArguments() throws Exception {
        Path secret = Files.writeString(dir.resolve("short"), "abc\n", StandardCharsets.UTF_8);
        Lines err = new Lines();
        assertEquals(XstuntCli.EXIT_USAGE, server(new Lines(), err, "--secret-file", secret.toString()));
        assertTrue(err.text().contains("sharedSecret must be 8..1024 bytes, got 3"), err.text());
        Lines missing = new Lines();
        assertEquals(XstuntCli.EXIT_USAGE, server(new Lines(), missing, "--secret-file",
                dir.resolve("missing").toString()));
        assertTrue(missing.text().contains("cannot read " + dir.resolve("missing") + ": no such file"), missing.text());
    }

    @Test
    void listensOnAnIpv6LiteralTooAndRefusesTheAnyAddressOrAName() {
        io.xstunt.testkit.Prerequisite.ipv6Loopback();
        Lines out = new Lines();
        Lines err = new Lines();
        assertEquals(0, server(out, err, "--listen6", "[::1]"), err.text());
        assertTrue(out.text().contains("\"listen6\":\"0:0:0:0:0:0:0:1\""), out.text());
        for (String bad : new String[] {"::", "localhost", "127.0.0.1", "2001:db8::zz"}) {
            Lines e = new Lines();
            assertEquals(XstuntCli.EXIT_USAGE, server(new Lines(), e, "--listen6", bad), bad);
            assertTrue(e.text().contains(bad.equals("::") ? "listen6 must be a concrete unicast IPv6 address"
                    : "not an IPv6 literal: '" + bad + "'"), e.text());
        }
    }
}
