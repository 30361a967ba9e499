package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Bad arguments end with a usage message on stderr and exit code 2, before any traffic. */
class XstuntCliArgumentsTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = XstuntCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|usage:",
        "bogus|unknown command 'bogus'",
        "listen|--id is required",
        "listen --id|--id needs a value",
        "listen --id a --id b|--id given twice",
        "listen --id a --colour red|unknown option --colour",
        "listen --id a stray|unexpected argument 'stray'",
        "listen --id a --count 0|--count must be an integer in [1,",
        "listen --id a --timeout -3|--timeout must be a number of seconds",
        "listen --id a --server 127.0.0.1,127.0.0.2,127.0.0.3|--server takes IP1[,IP2]",
        "listen --id a --server example.org|--server: not an IPv4 address",
        "listen --id a --local 300.0.0.1|--local: not an IPv4 address",
        "listen --id a --log-port 70000|--log-port must be an integer in [1, 65535]",
        "listen --id=|--id: a client ID must not be empty",
        "listen --id 123456789012345678901234567890123|--id: client ID '123456789012345678901234567890123' is 33 bytes",
        "connect --id a|--peer is required",
        "connect --id a --peer b --strategy fast|--strategy must be one of race|original",
        "connect --id a --peer b --json=yes|--json takes no value",
        "server --echo-ports 8124|--echo-ports takes two ports P1,P2",
        "server --echo-ports 9,9|--echo-ports needs two different ports",
        "probe --peer b|unknown option --peer",
    })
    void badArgumentsPrintUsageAndExitTwo(String line, String expected) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        Run r = run(args);
        assertEquals(XstuntCli.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().contains(expected), "stderr: " + r.err());
        assertTrue(r.err().contains("usage: xstunt COMMAND"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void controlCharacterInIdIsAUsageError() {
        Run r = run("connect", "--id", "a\u0007b", "--peer", "b");
        assertEquals(XstuntCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("control character"), r.err());
    }

    @Test
    void helpGoesToStdoutWithExitZero() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"listen", "--help"}, new String[] {"-h"})) {
            Run r = run(args);
            assertEquals(0, r.code());
            assertTrue(r.out().startsWith("usage: xstunt COMMAND"), r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void parsesValuesInBothForms() throws UsageException {
        CliArgs a = CliArgs.parse(List.of("--timeout=2.5", "--server", "10.0.0.1", "--echo-ports", "7,8", "--json"),
                Set.of("timeout", "server", "echo-ports"), Set.of("json"));
        assertEquals(Duration.ofMillis(2500), a.seconds("timeout", Duration.ZERO));
        assertEquals(List.of("10.0.0.1", "10.0.0.1"), a.ipPair("server", "1.1.1.1,2.2.2.2").stream()
                .map(java.net.InetAddress::getHostAddress).toList());
        assertArrayEquals(new int[] {7, 8}, a.portPair("echo-ports", 1, 2, 1));
        assertTrue(a.flag("json"));
        assertEquals("dflt", a.get("missing", "dflt"));
        assertThrows(UsageException.class, () -> a.require("missing"));
    }
}
