package io.xstunt.cli;


import io.xstunt.api.Xstunt;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code xstunt} program: {@code server} runs a STUNT server, {@code listen} registers an ID and
 * echoes what connecting peers send (XInit + XListen), {@code connect} registers an ID, connects to
 * a peer, sends a message and prints the reply (XInit + XConnect), {@code probe} prints the NAT
 * fingerprint (XInit + XGenFingerprint), {@code demo} runs a server and two peers on loopback.
 * {@code --json} prints one JSON object per event on stdout. Exit codes: 0 done, 1 runtime
 * failure, 2 bad arguments (the message and the command's usage on stderr).
 */
@Command(name = "xstunt", mixinStandardHelpOptions = true, versionProvider = XstuntCli.Version.class,
        scope = ScopeType.INHERIT, sortOptions = false, abbreviateSynopsis = true,
        description = {"TCP NAT traversal (STUNT #2, XSTUNT 1.0 compatible): a STUNT server and the peers that"
            + " meet through it.",
            "'xstunt COMMAND --help' lists the command's options. Every command but demo takes --json: one JSON"
            + " object per line per event on stdout."},
        footer = {"", "Exit codes: 0 done, 1 failure (the error is printed with its XSTUNT code), 2 bad arguments."})
public final class XstuntCli implements Callable<Integer> {
    /** Exit code of a run that failed (an XSTUNT error code, I/O). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of bad arguments. */
    public static final int EXIT_USAGE = 2;

    private final PrintStream out;
    private final PrintStream err;

    @Spec
    private CommandSpec spec;

    XstuntCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * Runs the CLI and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs one command.
     *
     * @param args the command line
     * @param out program output: text or JSON lines, and the help
     * @param err usage errors, and errors in text mode
     * @return the exit code: 0, {@link #EXIT_FAILURE} or {@link #EXIT_USAGE}
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Integer quick = OptionTable.tryRun(args, out, err);
        if (quick != null) {
            return quick;
        }
        String first = args.length == 0 ? "" : args[0];
        // Only the command asked for gets its model built: picocli reads every annotated command by
        // reflection, which was most of a peer's start-up. The root's help and errors need them all.
        return (COMMANDS.contains(first) && !first.equals("help") ? commandLine(out, err, first)
                : commandLine(out, err)).execute(args);
    }

    /** The commands, in the order the help lists them ({@code @Command(name)} of each; a test checks). */
    static final List<String> COMMANDS = List.of("server", "listen", "connect", "probe", "demo", "help");

    private static Object command(String name) {
        return switch (name) {
            case "server" -> new ServerCommand();
            case "listen" -> new ListenCommand();
            case "connect" -> new ConnectCommand();
            case "probe" -> new ProbeCommand();
            case "demo" -> new Demo();
            case "help" -> new HelpCommand();
            default -> throw new IllegalArgumentException("no command " + name);
        };
    }

    /** @return the program's command tree, writing to {@code out} and {@code err} */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        return commandLine(out, err, COMMANDS.toArray(new String[0]));
    }

    /** @return the program's command tree with only the commands {@code names} */
    private static CommandLine commandLine(PrintStream out, PrintStream err, String... names) {
        CommandLine cl = new CommandLine(new XstuntCli(out, err));
        for (String name : names) {
            cl.addSubcommand(command(name));
        }
        cl.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setParameterExceptionHandler(XstuntCli::usageError);
        return cl;
    }

    /** No command given. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "no command given");
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /** Bad arguments: what is wrong, then the usage of the command they were for, on stderr. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter w = cmd.getErr();
        String message = e.getMessage();
        if (e instanceof UnmatchedArgumentException u && cmd.getParent() == null && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().get(0) + "'";
        }
        w.println("xstunt: " + message);
        UnmatchedArgumentException.printSuggestions(e, w);
        cmd.usage(w);
        w.flush();
        return EXIT_USAGE;
    }

    /** {@code --version}: this build's version and the protocol build it speaks. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = XstuntCli.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    throw new IOException("version.properties is missing from the class path");
                }
                p.load(in);
            }
            return new String[] {"xstunt " + p.getProperty("version") + " (XSTUNT 1.0 wire protocol, client build "
                    + Xstunt.BUILD_VERSION + ")"};
        }
    }
}
