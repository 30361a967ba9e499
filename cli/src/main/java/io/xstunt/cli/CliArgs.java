package io.xstunt.cli;

import io.xstunt.engine.wire.Ipv4;
import java.net.Inet4Address;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of one CLI subcommand: {@code --name value}, {@code --name=value} and bare flags.
 * Unknown options, missing values, repeats and positional arguments are {@link UsageException}s.
 */
public final class CliArgs {
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private CliArgs() {
    }

    /**
     * @param args the arguments after the subcommand
     * @param valued option names (without "--") that take a value
     * @param allowedFlags option names that take none
     * @throws UsageException on anything else
     */
    public static CliArgs parse(List<String> args, Set<String> valued, Set<String> allowedFlags) throws UsageException {
        CliArgs a = new CliArgs();
        List<String> rest = new ArrayList<>(args);
        for (int i = 0; i < rest.size(); i++) {
            String arg = rest.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (allowedFlags.contains(name)) {
                if (value != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                a.flags.add(name);
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= rest.size() || rest.get(i + 1).startsWith("--")) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = rest.get(++i);
                }
                if (a.values.put(name, value) != null) {
                    throw new UsageException("--" + name + " given twice");
                }
            } else {
                throw new UsageException("unknown option --" + name);
            }
        }
        return a;
    }

    /** @return true if the flag was given */
    public boolean flag(String name) {
        return flags.contains(name);
    }

    /** @return the option's value, or {@code def} */
    public String get(String name, String def) {
        return values.getOrDefault(name, def);
    }

    /** @return the option's value; a usage error if it is missing */
    public String require(String name) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException("--" + name + " is required");
        }
        return v;
    }

    /** @return the option as an int in [min, max], or {@code def} */
    public int intValue(String name, int def, int min, int max) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        return parseInt(name, v, min, max);
    }

    /** @return a TCP port option, or {@code def} */
    public int port(String name, int def) throws UsageException {
        return intValue(name, def, 1, 65535);
    }

    /** @return an option in (whole or fractional) seconds, or {@code def} */
    public Duration seconds(String name, Duration def) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
        try {
            double s = Double.parseDouble(v);
            if (!(s > 0) || s > 86_400) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos((long) (s * 1e9));
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number of seconds in (0, 86400], got '" + v + "'");
        }
    }

    /** @return an IPv4 literal option, or {@code def} (null allowed) */
    public Inet4Address ip(String name, String def) throws UsageException {
        String v = values.getOrDefault(name, def);
        return v == null ? null : parseIp(name, v);
    }

    /**
     * @return one or two comma-separated IPv4 literals, or {@code def}; one IP serves as both
     */
    public List<Inet4Address> ipPair(String name, String def) throws UsageException {
        String v = values.getOrDefault(name, def);
        String[] parts = v.split(",", -1);
        if (parts.length > 2) {
            throw new UsageException("--" + name + " takes IP1[,IP2], got '" + v + "'");
        }
        Inet4Address ip1 = parseIp(name, parts[0].trim());
        Inet4Address ip2 = parts.length == 2 ? parseIp(name, parts[1].trim()) : ip1;
        return List.of(ip1, ip2);
    }

    /** @return two comma-separated ports (0 allowed if {@code minPort} is 0), or {@code def1}, {@code def2} */
    public int[] portPair(String name, int def1, int def2, int minPort) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return new int[] {def1, def2};
        }
        String[] parts = v.split(",", -1);
        if (parts.length != 2) {
            throw new UsageException("--" + name + " takes two ports P1,P2, got '" + v + "'");
        }
        int p1 = parseInt(name, parts[0].trim(), minPort, 65535);
        int p2 = parseInt(name, parts[1].trim(), minPort, 65535);
        if (p1 == p2 && p1 != 0) {
            throw new UsageException("--" + name + " needs two different ports, got " + p1 + " twice");
        }
        return new int[] {p1, p2};
    }

    /** @return a file path option, or {@code def} */
    public Path path(String name, Path def) {
        String v = values.get(name);
        return v == null ? def : Path.of(v);
    }

    /** @return the option, which must be one of {@code choices} (case-insensitive), or {@code def} */
    public String choice(String name, String def, String... choices) throws UsageException {
        String v = values.getOrDefault(name, def);
        for (String c : choices) {
            if (c.equalsIgnoreCase(v)) {
                return c;
            }
        }
        throw new UsageException("--" + name + " must be one of " + String.join("|", choices) + ", got '" + v + "'");
    }

    private static int parseInt(String name, String v, int min, int max) throws UsageException {
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer in [" + min + ", " + max + "], got '" + v + "'");
        }
    }

    private static Inet4Address parseIp(String name, String v) throws UsageException {
        try {
            return Ipv4.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + name + ": " + e.getMessage());
        }
    }
}
