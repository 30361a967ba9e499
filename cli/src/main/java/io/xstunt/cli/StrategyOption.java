package io.xstunt.cli;

import io.xstunt.api.PunchStrategy;
import io.xstunt.api.RelayMode;
import picocli.CommandLine.Option;

/** {@code --strategy} and {@code --relay}: how {@code listen} and {@code connect} punch, and whether they may be relayed. */
final class StrategyOption {
    @Option(names = "--relay", paramLabel = "MODE", defaultValue = "allowed", converter = RelayModes.class,
            description = "Whether a pair that cannot punch is relayed through the server: allowed (when both NATs"
                    + " are random or the punch gave up), direct-only (never: XSTUNT 1.0), only (at once, no punch)"
                    + " (default: ${DEFAULT-VALUE}).")
    RelayMode relay;

    /** The --relay values. */
    static final class RelayModes implements picocli.CommandLine.ITypeConverter<RelayMode> {
        @Override
        public RelayMode convert(String value) {
            return switch (value) {
                case "allowed" -> RelayMode.RELAY_ALLOWED;
                case "direct-only" -> RelayMode.DIRECT_ONLY;
                case "only" -> RelayMode.RELAY_ONLY;
                default -> throw new picocli.CommandLine.TypeConversionException("'" + value
                        + "' is not a relay mode: allowed, direct-only or only");
            };
        }
    }

    @Option(names = "--strategy", paramLabel = "race|original", defaultValue = "race",
            converter = OptionTypes.Strategy.class, completionCandidates = OptionTypes.Strategy.class,
            description = "How to punch: race (ours) or original (XSTUNT 1.0's sequence) (default: ${DEFAULT-VALUE}).")
    PunchStrategy strategy;
}
