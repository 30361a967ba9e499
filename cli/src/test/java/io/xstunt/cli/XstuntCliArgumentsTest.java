package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.api.XstuntOptions;
import io.xstunt.api.PunchStrategy;
import io.xstunt.api.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** Bad arguments end with what is wrong and the command's usage on stderr and exit code 2, before any traffic. */
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
    @CsvSource(delimiterString = " => ", value = {
        "'' => no command given",
        "bogus => unknown command 'bogus'",
        "--colour => Unknown option: '--colour'",
        "listen => Missing required option: '--id=ID'",
        "listen --id => Missing required parameter for option '--id'",
        "listen --id --json => Expected parameter for option '--id' but found '--json'",
        "listen --id a --id b => option '--id' (ID) should be specified only once",
        "listen --id a --colour red => Unknown options: '--colour', 'red'",
        "listen --id a stray => Unmatched argument at index 3: 'stray'",
        "listen --id a --count 0 => Invalid value for option '--count': must be an integer in [1, 2147483647], got '0'",
        "listen --id a --count many => Invalid value for option '--count': must be an integer in [1, 2147483647], got 'many'",
        "listen --id a --timeout -3 => Invalid value for option '--timeout': must be a number of seconds in (0, 86400], got '-3'",
        "listen --id a --timeout 86401 => must be a number of seconds in (0, 86400], got '86401'",
        "listen --id a --timeout soon => must be a number of seconds in (0, 86400], got 'soon'",
        "listen --id a --server 127.0.0.1,127.0.0.2,127.0.0.3 => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): takes IP1[,IP2], got",
        "listen --id a --server [2001:db8::1]:3478 => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): '[2001:db8::1]:3478' is not one IPv6 literal: over IPv6 the server is one address, [2001:db8::1] or 2001:db8::1 (no port, no second IP, no host name)",
        "listen --id a --server [fe80::1%lo] => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): '[fe80::1%lo]' is not one IPv6 literal",
        "listen --id a --server [example.org] => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): '[example.org]' is not one IPv6 literal",
        "listen --id a --server [2001:db8::g] => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): '[2001:db8::g]' is not one IPv6 literal",
        "listen --id a --server 2001:db8::1,2001:db8::2 => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): '2001:db8::1,2001:db8::2' is not one IPv6 literal",
        "listen --id a --server example.org => Invalid value for option '--server' (IP1[,IP2]|[IPv6]): not an IPv4 address: 'example.org'",
        "listen --id a --local 300.0.0.1 => Invalid value for option '--local': not an IPv4 address: '300.0.0.1'",
        "listen --id a --log-port 70000 => Invalid value for option '--log-port': must be an integer in [1, 65535], got '70000'",
        "listen --id a --comm-port 0 => Invalid value for option '--comm-port': must be an integer in [1, 65535], got '0'",
        "listen --id a --lan-port 0 => Invalid value for option '--lan-port': must be an integer in [1, 65535], got '0'",
        "listen --id= => Invalid value for option '--id': a client ID must not be empty",
        "listen --id 123456789012345678901234567890123 => client ID '123456789012345678901234567890123' is 33 bytes",
        "listen --id a --peer b => Unknown options: '--peer', 'b'",
        "listen --id a --id-length 33 => Invalid value for option '--id-length': must be an integer in [31, 32], got '33'",
        "listen --id a --id-length 16 => Invalid value for option '--id-length': must be an integer in [31, 32], got '16'",
        "listen --id 12345678901234567890123456789012 --id-length 31 => --id-length 31: client ID '12345678901234567890123456789012' is 32 bytes",
        "connect --id a --peer 12345678901234567890123456789012 --id-length 31 => --id-length 31: client ID",
        "probe --id 12345678901234567890123456789012 --id-length 31 => --id-length 31: client ID",
        "connect --id a => Missing required option: '--peer=ID'",
        "connect --id a --peer b,,c => Invalid value for option '--peer' (ID): a client ID must not be empty",
        "connect --id a --peer= => Invalid value for option '--peer' (ID): a client ID must not be empty",
        "connect --id a --peer b --strategy quick => Invalid value for option '--strategy': must be one of fast|race|original, got 'quick'",
        "connect --id a --peer b --message= => --message must not be empty",
        "connect --id a --peer b --json=yes => Invalid value for option '--json': 'yes' is not a boolean",
        "connect --id a --peer b --count 1 => Unknown options: '--count', '1'",
        "connect --id a --peer b --send-bytes 1.5MiB => Invalid value for option '--send-bytes': must be a number of bytes in [1, 1TiB]",
        "connect --id a --peer b --send-bytes 0 => Invalid value for option '--send-bytes': must be a number of bytes in [1, 1TiB]",
        "connect --id a --peer b --send-bytes 1025GiB => Invalid value for option '--send-bytes': must be a number of bytes in [1, 1TiB]",
        "connect --id a --peer b --send-bytes 1KiB --message hi => --send-bytes and --message exclude each other",
        "connect --id a --peer b --wait-direct 0 => Invalid value for option '--wait-direct': must be a number of seconds",
        "server --echo-ports 8124 => Invalid value for option '--echo-ports': takes two ports P1,P2, got '8124'",
        "server --echo-ports 9,9 => Invalid value for option '--echo-ports': needs two different ports, got 9 twice",
        "server --echo-ports 9,70000 => Invalid value for option '--echo-ports': must be an integer in [0, 65535], got '70000'",
        "server --log-port -1 => Invalid value for option '--log-port': must be an integer in [0, 65535], got '-1'",
        "server --max-clients 0 => Invalid value for option '--max-clients': must be an integer in [1, 2147483647], got '0'",
        "server --max-clients 20000000 => not a valid server configuration: maxClients",
        "server --server-version -1 => Invalid value for option '--server-version': must be an integer in [0, 2147483647]",
        "server --ip1 127.0.0.5 --ip2 127.0.0.5 => not a valid server configuration: ip1 and ip2 must differ",
        "server --log-port 9000 --comm-port 9000 => not a valid server configuration:",
        "server --idle-timeout 1 => not a valid server configuration: idleTimeout must be 3 s",
        "server --id a => Unknown options: '--id', 'a'",
        "server --registry etcd://h:1 => not a valid server configuration: no registry backend for \"etcd://h:1\"",
        "server --registry redis://h:1?lease-ms=5 => not a valid server configuration: lease-ms must be at least 300",
        "server --registry nohost => not a valid server configuration: registry: expected SCHEME://HOST:PORT",
        "server --registry redis-sentinel://h:1,h:2 => not a valid server configuration: a redis-sentinel:// URI names the master after '#'",
        "server --registry redis-cluster://h:1,h:x => not a valid server configuration: not a port: 'x'",
        "listen --id a --server 127.0.0.1 --server 10.0.0.300 => Invalid value for option '--server'",
        "probe --peer b => Unknown options: '--peer', 'b'",
        "demo --json => Unknown option: '--json'",
    })
    void badArgumentsPrintWhatIsWrongAndTheUsageAndExitTwo(String line, String expected) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        Run r = run(args);
        assertEquals(XstuntCli.EXIT_USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("xstunt: "), r.err());
        assertTrue(r.err().contains(expected), "stderr: " + r.err());
        String command = args.length == 0 || args[0].equals("bogus") || args[0].startsWith("-") ? "" : args[0] + " ";
        assertTrue(r.err().contains("Usage: xstunt " + command + "[OPTIONS]"), "the command's usage: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void controlCharacterInIdIsAUsageError() {
        Run r = run("connect", "--id", "a\u0007b", "--peer", "b");
        assertEquals(XstuntCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("control character"), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"server", "listen", "connect", "probe", "demo"})
    void everyCommandHasItsHelpOnStdoutWithExitZero(String command) {
        for (String[] args : new String[][] {{command, "--help"}, {command, "-h"}, {"help", command}}) {
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Usage: xstunt " + command + " [OPTIONS]"), r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void theProgramsHelpListsEveryCommand() {
        for (String[] args : new String[][] {{"--help"}, {"-h"}, {"help"}}) {
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().startsWith("Usage: xstunt [OPTIONS] [COMMAND]"), r.out());
            for (String command : new String[] {"server", "listen", "connect", "probe", "demo"}) {
                assertTrue(r.out().contains("\n  " + command + " "), command + " in\n" + r.out());
            }
            assertEquals("", r.err());
        }
    }

    @Test
    void versionNamesTheBuildAndTheProtocol() {
        for (String[] args : new String[][] {{"--version"}, {"-V"}, {"connect", "--version"}}) {
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().matches("xstunt \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(XSTUNT 1\\.0 wire protocol, client build 10\\)\\R"),
                    r.out());
        }
    }

    /** The options of each command: the CLI's surface, which scripts and the NAT lab rely on. */
    @Test
    void everyCommandTakesItsOptionsAndNoOthers() {
        Set<String> common = Set.of("--json", "--help", "-h", "--version", "-V");
        Set<String> client = Set.of("--server", "--local", "--fingerprint", "--log-port", "--comm-port", "--timeout",
                "--id-length");
        Map<String, Set<String>> expected = Map.of(
                "server", Set.of("--ip1", "--ip2", "--log-port", "--comm-port", "--echo-ports", "--server-version",
                        "--session-timeout", "--duration", "--secret-file", "--require-tokens", "--max-clients",
                        "--max-per-source", "--max-sessions", "--idle-timeout", "--no-relay", "--relay-max-bytes",
                        "--relay-max-duration", "--relay-rate", "--relay-max", "--relay-max-per-client",
                        "--registry", "--metrics-port", "--metrics-address", "--config", "--listen6"),
                "listen", union(client, "--id", "--count", "--strategy", "--relay", "--lan-port", "--sha256",
                        "--sweep", "--sweep-budget", "--ipv6"),
                "connect", union(client, "--id", "--peer", "--message", "--strategy", "--relay", "--lan-port",
                        "--send-bytes", "--wait-direct", "--sweep", "--sweep-budget", "--ipv6"),
                "probe", union(client, "--id"),
                "demo", Set.of());
        CommandLine cl = XstuntCli.commandLine(System.out, System.err);
        expected.forEach((command, options) -> {
            Set<String> want = new TreeSet<>(options);
            want.addAll(command.equals("demo") ? Set.of("--help", "-h", "--version", "-V") : common);
            Set<String> got = new TreeSet<>(cl.getSubcommands().get(command).getCommandSpec().optionsMap().keySet());
            assertEquals(want, got, command);
        });
    }

    /** run() builds only the command asked for, by its name in XstuntCli.COMMANDS: those are the commands' own names. */
    @Test
    void theCommandNamesAreTheCommandsOwn() {
        CommandLine cl = XstuntCli.commandLine(System.out, System.err);
        assertEquals(XstuntCli.COMMANDS, List.copyOf(cl.getSubcommands().keySet()));
        for (String name : XstuntCli.COMMANDS) {
            assertEquals(name, cl.getSubcommands().get(name).getCommandSpec().name());
        }
    }

    private static Set<String> union(Set<String> base, String... more) {
        Set<String> s = new TreeSet<>(base);
        s.addAll(Set.of(more));
        return s;
    }

    @Test
    void clientOptionsTakeValuesInBothFormsAndHaveTheReferenceDefaults() {
        ParseResult parsed = XstuntCli.commandLine(System.out, System.err).parseArgs("listen", "--id=bob",
                "--timeout=2.5", "--server", "10.0.0.1", "--json", "--strategy", "ORIGINAL");
        CommandLine.Model.CommandSpec listen = parsed.subcommand().commandSpec();
        ClientOptions client = (ClientOptions) listen.mixins().get("client").userObject();
        assertEquals(Duration.ofMillis(2500), client.timeout);
        assertEquals(1, client.servers.size());
        assertEquals("10.0.0.1", client.servers.get(0).ip1().getHostAddress());
        assertEquals("10.0.0.1", client.servers.get(0).ip2().getHostAddress(), "one IP serves as both");
        assertEquals(8123, client.logPort);
        assertEquals(8132, client.commPort);
        assertEquals(32, client.idLength, "the reference's wire variant");
        XstuntOptions options = client.sessionOptions(PunchStrategy.ORIGINAL);
        assertEquals(32, options.idLength());
        assertEquals(Path.of("fingerprint.dat"), options.fingerprintFile());
        assertNull(options.localAddress());
        assertEquals(PunchStrategy.ORIGINAL, parsed.subcommand().matchedOptionValue("--strategy", null));
        assertTrue(((EventCommand) listen.userObject()).json);
        assertTrue(options.failoverServers().isEmpty(), "one server: no failover");
    }

    @Test
    void theServerMayBeOneIpv6LiteralWithOrWithoutBrackets() {
        for (String form : List.of("[2001:db8::1]", "2001:db8::1", "[2001:DB8:0:0:0:0:0:1]")) {
            ParseResult parsed = XstuntCli.commandLine(System.out, System.err).parseArgs("listen", "--id=bob",
                    "--server", form, "--server", "10.0.0.1");
            ClientOptions client = (ClientOptions) parsed.subcommand().commandSpec().mixins().get("client")
                    .userObject();
            assertEquals("2001:db8:0:0:0:0:0:1", client.servers.get(0).ip1().getHostAddress(), form);
            assertEquals(client.servers.get(0).ip1(), client.servers.get(0).ip2(), "one address: " + form);
            XstuntOptions options = client.sessionOptions(PunchStrategy.RACE);
            assertEquals(List.of("10.0.0.1/10.0.0.1"),
                    options.failoverServers().stream().map(p -> p[0] + "/" + p[1]).toList());
        }
    }

    @Test
    void aRepeatedServerIsAFailoverListAndTurnsReRegistrationOn() {
        ParseResult parsed = XstuntCli.commandLine(System.out, System.err).parseArgs("listen", "--id=bob",
                "--server", "10.0.0.1,10.0.0.2", "--server", "10.0.1.1,10.0.1.2", "--server", "10.0.2.1");
        ClientOptions client = (ClientOptions) parsed.subcommand().commandSpec().mixins().get("client").userObject();
        XstuntOptions options = client.sessionOptions(PunchStrategy.RACE);
        assertEquals("10.0.0.1", client.servers.get(0).ip1().getHostAddress(), "the first is the client's server");
        assertEquals(List.of("10.0.1.1/10.0.1.2", "10.0.2.1/10.0.2.1"),
                options.failoverServers().stream().map(p -> p[0] + "/" + p[1]).toList());
        assertTrue(options.autoReRegister(), "failover needs registering again");
    }

    @Test
    void idLength31AsksForThePublishedClientsWireVariant() {
        ParseResult parsed = XstuntCli.commandLine(System.out, System.err).parseArgs("connect", "--id", "a",
                "--peer", "b", "--id-length", "31");
        ClientOptions client = (ClientOptions) parsed.subcommand().commandSpec().mixins().get("client").userObject();
        assertEquals(31, client.sessionOptions(PunchStrategy.RACE).idLength());
    }

    @Test
    void serverOptionsMakeTheConfigurationWithTheEnginesDefaults() {
        ParseResult parsed = XstuntCli.commandLine(System.out, System.err).parseArgs("server", "--echo-ports", "7,8",
                "--log-port", "0", "--session-timeout", "0.5", "--require-tokens");
        ServerOptions config = ((ServerCommand) parsed.subcommand().commandSpec().userObject()).options();
        assertEquals("127.0.0.1", config.ip1().getHostAddress());
        assertEquals("127.0.0.2", config.ip2().getHostAddress());
        assertEquals(0, config.logPort());
        assertEquals(8132, config.commPort());
        assertEquals(7, config.echoPort1());
        assertEquals(8, config.echoPort2());
        assertEquals(Duration.ofMillis(500), config.sessionTimeout());
        assertEquals(ServerOptions.DEFAULT_IDLE_TIMEOUT, config.idleTimeout());
        assertEquals(ServerOptions.DEFAULT_MAX_CLIENTS, config.maxClients());
        assertEquals(1, config.serverVersion());
        assertTrue(config.requireTokens());
        assertNull(config.sharedSecret());
    }

    @Test
    void sweepOptionsReachTheSessionOptionsAndABadBudgetIsAUsageError() {
        CommandLine cl = XstuntCli.commandLine(System.out, System.err);
        ParseResult parsed = cl.parseArgs("connect", "--id", "a", "--peer", "b", "--server", "10.0.0.1",
                "--sweep", "off", "--sweep-budget", "64,512,200");
        StrategyOption punch = (StrategyOption) parsed.subcommand().commandSpec().mixins().get("punch").userObject();
        ClientOptions client = (ClientOptions) parsed.subcommand().commandSpec().mixins().get("client").userObject();
        XstuntOptions o = client.sessionOptions(punch);
        assertFalse(o.birthdaySweep());
        assertArrayEquals(new int[] {64, 512, 200}, o.birthdaySweepBudget());
        XstuntOptions d = client.sessionOptions((StrategyOption) XstuntCli.commandLine(System.out,
                System.err).parseArgs("listen", "--id", "a", "--server", "10.0.0.1").subcommand().commandSpec()
                .mixins().get("punch").userObject());
        assertTrue(d.birthdaySweep(), "on by default");
        assertArrayEquals(new int[] {256, 1024, 500}, d.birthdaySweepBudget());
        Run bad = run("connect", "--id", "a", "--peer", "b", "--server", "127.0.0.1", "--sweep-budget", "0,1,1");
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("sweep sockets must be 1..4096"), bad.err());
        Run shape = run("connect", "--id", "a", "--peer", "b", "--server", "127.0.0.1", "--sweep-budget", "64,x");
        assertEquals(2, shape.code(), shape.err());
        assertTrue(shape.err().contains("--sweep-budget takes three numbers"), shape.err());
        Run word = run("connect", "--id", "a", "--peer", "b", "--server", "127.0.0.1", "--sweep", "maybe");
        assertEquals(2, word.code(), word.err());
    }

    @Test
    void theIpv6OptionTakesAutoOffOrALiteralAndNothingElse() throws Exception {
        CommandLine cl = XstuntCli.commandLine(System.out, System.err);
        ParseResult parsed = cl.parseArgs("connect", "--id", "a", "--peer", "b", "--server", "10.0.0.1",
                "--ipv6", "[2001:db8::5]");
        StrategyOption punch = (StrategyOption) parsed.subcommand().commandSpec().mixins().get("punch").userObject();
        ClientOptions client = (ClientOptions) parsed.subcommand().commandSpec().mixins().get("client").userObject();
        XstuntOptions o = client.sessionOptions(punch);
        assertTrue(o.ipv6());
        assertEquals(java.net.InetAddress.getByName("2001:db8::5"), o.ipv6Address());
        XstuntOptions off = client.sessionOptions((StrategyOption) XstuntCli.commandLine(System.out, System.err)
                .parseArgs("listen", "--id", "a", "--server", "10.0.0.1", "--ipv6", "off").subcommand()
                .commandSpec().mixins().get("punch").userObject());
        assertFalse(off.ipv6());
        for (String bad : new String[] {"localhost", "203.0.113.1", "2001:db8::zz", "yes"}) {
            Run r = run("connect", "--id", "a", "--peer", "b", "--server", "127.0.0.1", "--ipv6", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("--ipv6 takes auto, off or an IPv6 literal"), r.err());
        }
    }
}
