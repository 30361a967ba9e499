package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.XstuntException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that reports what happens as events ({@link EventOutput}): text for people, or with
 * {@code --json} one JSON object per line on stdout. An XSTUNT failure is reported as an error
 * event and ends the run with {@link XstuntCli#EXIT_FAILURE}.
 */
abstract class EventCommand implements Callable<Integer> {
    /** This command, for usage errors found after parsing. */
    @Spec
    CommandSpec spec;

    /** The program, for its output streams. */
    @ParentCommand
    XstuntCli cli;

    @Option(names = "--json", description = "One JSON object per line per event on stdout (logs stay on stderr).")
    boolean json;

    @Override
    public final Integer call() {
        EventOutput o = new EventOutput(json, cli.out(), cli.err());
        try {
            return run(o);
        } catch (XstuntException e) {
            o.error(e);
            return XstuntCli.EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o.failure("interrupted", e);
            return XstuntCli.EXIT_FAILURE;
        }
    }

    /**
     * Runs the command once its options are parsed and checked.
     *
     * @return the exit code
     */
    abstract int run(EventOutput o) throws XstuntException, InterruptedException;

    /**
     * @return {@code id}, which fits the wire variant {@code client} asks for ({@code --id-length})
     * @throws ParameterException a usage error if it does not
     */
    final String fitting(ClientOptions client, String id) {
        try {
            return Xstunt.checkId(id, client.idLength);
        } catch (IllegalArgumentException e) {
            throw usageError("--id-length " + client.idLength + ": " + e.getMessage());
        }
    }

    /**
     * @return a usage error (exit code 2, with this command's usage) for a check across options;
     *     started without picocli ({@link OptionTable}) the command is handed back to it, which finds
     *     the same error and reports it with the usage (every such check comes before any effect)
     */
    final RuntimeException usageError(String message) {
        if (spec == null) {
            throw new OptionTable.NotQuick();
        }
        return new ParameterException(spec.commandLine(), message);
    }
}
