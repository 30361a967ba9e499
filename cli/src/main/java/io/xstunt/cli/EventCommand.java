package io.xstunt.cli;

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

    /** @return a usage error (exit code 2, with this command's usage) for a check across options */
    final ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
