package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The quick way (OptionTable) reads a command line exactly as picocli does, or not at all: the
 * command it makes has every field picocli's has; what it is not sure of is left to picocli.
 */
class OptionTableTest {
    private static final PrintStream NOWHERE = new PrintStream(PrintStream.nullOutputStream());

    /** The table the build put in the classes is the one the model gives now. */
    @Test
    void theBuiltTableIsCurrent() throws IOException {
        try (InputStream in = OptionTable.class.getResourceAsStream(OptionTable.RESOURCE)) {
            assertNotNull(in, "the build (process-classes) writes " + OptionTable.RESOURCE);
            assertEquals(OptionTable.table(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void thePeerCommandsAndTheServerAreInTheTable() {
        String table = OptionTable.table();
        for (String c : new String[] {"server", "listen", "connect", "probe", "demo"}) {
            assertTrue(table.contains("C\t" + c + "\t"), c);
        }
        assertTrue(!table.contains("C\thelp\t"), "help is picocli's own");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "listen --json --id bob --server 198.51.100.10,198.51.100.11 --log-port 9000 --comm-port=9001 --count 3",
        "listen --id=bob --strategy original --relay direct-only --local 10.0.0.2 --fingerprint /tmp/f.dat",
        "connect --id alice --peer bob,carol --peer dave --message hi --timeout 5 --id-length 31",
        "connect --json --id alice --peer bob",
        "probe --json",
        "probe --id p --server 127.0.0.1",
        "server --json --ip1 127.0.0.1 --ip2 127.0.0.2 --log-port 0 --comm-port 0 --echo-ports 0,0 --duration 3",
        "server --no-relay --require-tokens --max-clients 5 --relay-max-bytes 1000 --relay-rate 10",
        "demo",
    })
    void readsAsPicocliDoes(String line) throws Exception {
        String[] args = line.split(" ");
        Object quick = OptionTable.parse(args, table(), NOWHERE, NOWHERE);
        assertNotNull(quick, "the quick way reads " + line);
        CommandLine.ParseResult parsed = XstuntCli.commandLine(NOWHERE, NOWHERE).parseArgs(args);
        Object picocli = parsed.subcommand().commandSpec().userObject();
        assertEquals(fields(picocli), fields(quick), line);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "listen", // --id is required
        "listen --id bob --help",
        "listen --id bob --count",
        "listen --id bob --count 3 --count 4",
        "listen --id bob --json=true",
        "listen --id bob --bogus 1",
        "listen --id bob extra",
        "listen --id bob --count -3",
        "connect --id a --peer b --message -x",
        "help listen",
        "--version",
        "nosuchcommand",
    })
    void leavesToPicocliWhatItIsNotSureOf(String line) throws Exception {
        assertNull(OptionTable.parse(line.split(" "), table(), NOWHERE, NOWHERE), line);
    }

    /** A value the option's converter refuses: picocli says so, with the command's usage (exit 2). */
    @Test
    void aBadValueGetsPicocllisMessage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = XstuntCli.run(new String[] {"listen", "--id", "bob", "--log-port", "70000"}, NOWHERE,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(XstuntCli.EXIT_USAGE, rc);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--log-port") && text.contains("Usage: xstunt listen"), text);
    }

    /** A check across options that the command makes once it runs: handed to picocli before any effect. */
    @Test
    void aUsageErrorFoundByTheCommandGetsPicocllisUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = XstuntCli.run(new String[] {"connect", "--id", "alice", "--peer", "bob", "--message="}, NOWHERE,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(XstuntCli.EXIT_USAGE, rc);
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--message must not be empty") && text.contains("Usage: xstunt connect"), text);
    }

    private static BufferedReader table() {
        return new BufferedReader(new StringReader(OptionTable.table()));
    }

    /** @return every option field of the command and its mixins, by name, as text */
    private static Map<String, String> fields(Object command) throws IllegalAccessException {
        Map<String, String> m = new TreeMap<>();
        collect(command, "", m);
        return m;
    }

    private static void collect(Object o, String prefix, Map<String, String> m) throws IllegalAccessException {
        for (Class<?> k = o.getClass(); k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic() || f.getName().equals("spec")
                        || f.getName().equals("cli")) {
                    continue; // picocli's own injections: the quick way has no model
                }
                f.setAccessible(true);
                Object v = f.get(o);
                if (v != null && (v.getClass() == ClientOptions.class || v.getClass() == StrategyOption.class)) {
                    collect(v, prefix + f.getName() + ".", m);
                } else {
                    m.put(prefix + f.getName(), String.valueOf(v));
                }
            }
        }
    }
}
