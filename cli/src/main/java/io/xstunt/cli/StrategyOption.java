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

    @Option(names = "--sweep", paramLabel = "on|off", defaultValue = "on",
            description = "The TCP birthday sweep when exactly one of the two NATs is random (xstunt extension; the"
                    + " peer and the server must take part): on or off (default: ${DEFAULT-VALUE}).")
    String sweep;

    // one String, split here: the start-up option table (OptionTable) reads plain values only
    @Option(names = "--sweep-budget", paramLabel = "SOCKETS,PROBES,RATE", defaultValue = "256,1024,500",
            description = "The sweep's budget: sockets the hard side opens, probes the easy side"
                    + " sends at most, SYNs a second at most (default: ${DEFAULT-VALUE}).")
    String sweepBudget;

    /**
     * @return {@code b} with the sweep options set
     * @throws IllegalArgumentException naming the option, for a budget of the wrong shape or range
     */
    io.xstunt.api.XstuntOptions.Builder applySweep(io.xstunt.api.XstuntOptions.Builder b) {
        if (!"on".equals(sweep) && !"off".equals(sweep)) {
            throw new IllegalArgumentException("--sweep takes on or off, not '" + sweep + "'");
        }
        String[] parts = sweepBudget == null ? new String[0] : sweepBudget.split(",", -1);
        int[] budget = new int[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                budget[i] = Integer.parseInt(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            budget = new int[0];
        }
        if (budget.length != 3) {
            throw new IllegalArgumentException("--sweep-budget takes three numbers: SOCKETS,PROBES,RATE, not '"
                    + sweepBudget + "'");
        }
        try {
            return b.birthdaySweep("on".equals(sweep)).birthdaySweepBudget(budget[0], budget[1], budget[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--sweep-budget: " + e.getMessage(), e);
        }
    }

    @Option(names = "--ipv6", paramLabel = "auto|off|ADDRESS", defaultValue = "auto",
            description = "A direct IPv6 path raced against the IPv4 punch, IPv6 first (xstunt extension; the peer"
                    + " and the server must take part): auto (the first global IPv6 address), off, or an IPv6"
                    + " literal to use (default: ${DEFAULT-VALUE}).")
    String ipv6;

    /**
     * @return {@code b} with the IPv6 option set
     * @throws IllegalArgumentException naming the option, for a value that is none of auto, off or an IPv6 literal
     */
    io.xstunt.api.XstuntOptions.Builder applyIpv6(io.xstunt.api.XstuntOptions.Builder b) {
        if (ipv6 == null || "auto".equals(ipv6)) {
            return b.ipv6(true);
        }
        if ("off".equals(ipv6)) {
            return b.ipv6(false);
        }
        java.net.Inet6Address a = OptionTypes.ipv6OrNull(ipv6);
        if (a != null) {
            return b.ipv6Address(a);
        }
        throw new IllegalArgumentException("--ipv6 takes auto, off or an IPv6 literal, not '" + ipv6 + "'");
    }

    @Option(names = "--strategy", paramLabel = "fast|race|original", defaultValue = "fast",
            converter = OptionTypes.Strategy.class, completionCandidates = OptionTypes.Strategy.class,
            description = "How to punch: fast (ours, negotiated with the server and the peer; race where it is"
                    + " declined or finds nothing), race (ours, the original's bytes pipelined) or original"
                    + " (XSTUNT 1.0's sequence) (default: ${DEFAULT-VALUE}).")
    PunchStrategy strategy;
}
