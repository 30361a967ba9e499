package io.xstunt.cli;

import io.xstunt.api.PunchStrategy;
import picocli.CommandLine.Option;

/** {@code --strategy}: how {@code listen} and {@code connect} punch. */
final class StrategyOption {
    @Option(names = "--strategy", paramLabel = "race|original", defaultValue = "race",
            converter = OptionTypes.Strategy.class, completionCandidates = OptionTypes.Strategy.class,
            description = "How to punch: race (ours) or original (XSTUNT 1.0's sequence) (default: ${DEFAULT-VALUE}).")
    PunchStrategy strategy;
}
