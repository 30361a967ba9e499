package io.xstunt.cli;

import io.xstunt.api.Xstunt;
import io.xstunt.api.PunchStrategy;


import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The kinds of option values the CLI takes, as picocli converters: each checks its value and says
 * what is wrong with it. picocli prefixes the message with the option ("Invalid value for option
 * '--timeout': ...") and the CLI prints it with the command's usage and exits with 2.
 */
final class OptionTypes {
    /** The longest a time option may be: a day. */
    static final double MAX_SECONDS = 86_400;

    private OptionTypes() {
    }

    /** An integer in a range. */
    abstract static class IntRange implements ITypeConverter<Integer> {
        private final int min;
        private final int max;

        IntRange(int min, int max) {
            this.min = min;
            this.max = max;
        }

        @Override
        public Integer convert(String value) {
            try {
                int n = Integer.parseInt(value);
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new TypeConversionException("must be an integer in [" + min + ", " + max + "], got '" + value + "'");
        }
    }

    /** A TCP port to connect to or listen on: 1 to 65535. */
    static final class Port extends IntRange {
        Port() {
            super(1, 65535);
        }
    }

    /** A port to listen on, or 0 for any free one. */
    static final class PortOrAny extends IntRange {
        PortOrAny() {
            super(0, 65535);
        }
    }

    /** A count or a limit: at least 1 (a limit's own upper bound is the server configuration's). */
    static final class Positive extends IntRange {
        Positive() {
            super(1, Integer.MAX_VALUE);
        }
    }

    /** At least 0. */
    static final class NonNegative extends IntRange {
        NonNegative() {
            super(0, Integer.MAX_VALUE);
        }
    }

    /** {@code MAX_ID_LEN} of a wire variant: 31 (the published XSTUNT client) or 32 (the reference). */
    static final class IdLength extends IntRange {
        IdLength() {
            super(31, 32);
        }
    }

    /** An IPv4 literal (no name lookup). */
    static final class Ipv4Literal implements ITypeConverter<Inet4Address> {
        @Override
        public Inet4Address convert(String value) {
            return ip(value);
        }
    }

    /**
     * @return the IPv6 literal {@code text} ({@code [..]} allowed), or null if it is none: a literal
     *     only (hex digits, colons, an embedded IPv4's dots), a host name is never resolved; an
     *     IPv4-mapped literal ({@code ::ffff:a.b.c.d}) is IPv4 and so none
     */
    static Inet6Address ipv6OrNull(String text) {
        String literal = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        try {
            if (literal.indexOf(':') >= 0 && literal.matches("[0-9A-Fa-f:.]+")
                    && InetAddress.getByName(literal) instanceof Inet6Address a) {
                return a;
            }
        } catch (UnknownHostException e) {
            // not a literal: the caller's error names the value
        }
        return null;
    }

    /** An IPv6 literal, with or without brackets; never a host name. */
    static final class Ipv6Literal implements ITypeConverter<Inet6Address> {
        @Override
        public Inet6Address convert(String value) {
            Inet6Address a = ipv6OrNull(value);
            if (a == null) {
                throw new TypeConversionException("not an IPv6 literal: '" + value + "'");
            }
            return a;
        }
    }

    /** The STUNT server's two IPs: two IPv4 addresses, or one IPv6 address as both. */
    record ServerAddresses(InetAddress ip1, InetAddress ip2) {
    }

    /**
     * {@code IP1[,IP2]}: one IP serves as both. Or one IPv6 literal, {@code [2001:db8::1]} or
     * {@code 2001:db8::1} (one address: the echo probing needs two IPv4 addresses and is skipped
     * over IPv6, docs/PROTOCOL.md "IPv6"); never a port or a host name.
     */
    static final class ServerPair implements ITypeConverter<ServerAddresses> {
        @Override
        public ServerAddresses convert(String value) {
            if (value.indexOf('[') >= 0 || value.indexOf(':') >= 0) {
                Inet6Address a = ipv6OrNull(value);
                if (a == null) {
                    throw new TypeConversionException("'" + value + "' is not one IPv6 literal: over IPv6 the server"
                            + " is one address, [2001:db8::1] or 2001:db8::1 (no port, no second IP, no host name)");
                }
                return new ServerAddresses(a, a);
            }
            String[] parts = value.split(",", -1);
            if (parts.length > 2) {
                throw new TypeConversionException("takes IP1[,IP2], got '" + value + "'");
            }
            Inet4Address ip1 = ip(parts[0].trim());
            return new ServerAddresses(ip1, parts.length == 2 ? ip(parts[1].trim()) : ip1);
        }
    }

    /** Two ports. */
    record PortPair(int first, int second) {
    }

    /** {@code P1,P2}: two different ports, or 0 for any free one. */
    static final class EchoPorts implements ITypeConverter<PortPair> {
        @Override
        public PortPair convert(String value) {
            String[] parts = value.split(",", -1);
            if (parts.length != 2) {
                throw new TypeConversionException("takes two ports P1,P2, got '" + value + "'");
            }
            PortOrAny port = new PortOrAny();
            int p1 = port.convert(parts[0].trim());
            int p2 = port.convert(parts[1].trim());
            if (p1 == p2 && p1 != 0) {
                throw new TypeConversionException("needs two different ports, got " + p1 + " twice");
            }
            return new PortPair(p1, p2);
        }
    }

    /** Whole or fractional seconds in (0, {@link #MAX_SECONDS}]. */
    static final class Seconds implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                double s = Double.parseDouble(value);
                if (s > 0 && s <= MAX_SECONDS) {
                    return Duration.ofNanos((long) (s * 1e9));
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new TypeConversionException("must be a number of seconds in (0, " + (long) MAX_SECONDS
                    + "], got '" + value + "'");
        }
    }

    /** A number of bytes in [1, 1 TiB]: digits with an optional binary suffix, "100MiB", "64KiB", "1GiB". */
    static final class ByteCount implements ITypeConverter<Long> {
        private static final long MAX = 1L << 40;

        @Override
        public Long convert(String value) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,13})(KiB|MiB|GiB)?").matcher(value);
            if (m.matches()) {
                int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
                    case "KiB" -> 10;
                    case "MiB" -> 20;
                    default -> 30;
                };
                long n = Long.parseLong(m.group(1));
                if (n >= 1 && n <= MAX >> shift) {
                    return n << shift;
                }
            }
            throw new TypeConversionException("must be a number of bytes in [1, 1TiB], optionally with KiB, MiB or"
                    + " GiB (\"100MiB\"), got '" + value + "'");
        }
    }

    /** A client ID, checked with the protocol's rules (not empty, at most 32 bytes, no control characters). */
    static final class ClientIdText implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                return Xstunt.checkId(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code fast}, {@code race} or {@code original}, in any case. */
    static final class Strategy implements ITypeConverter<PunchStrategy>, Iterable<String> {
        private static final List<String> NAMES = Arrays.stream(PunchStrategy.values())
                .map(s -> s.name().toLowerCase(Locale.ROOT)).toList();

        @Override
        public PunchStrategy convert(String value) {
            for (PunchStrategy s : PunchStrategy.values()) {
                if (s.name().equalsIgnoreCase(value)) {
                    return s;
                }
            }
            throw new TypeConversionException("must be one of " + String.join("|", NAMES) + ", got '" + value + "'");
        }

        /** The names, for the help text and shell completion. */
        @Override
        public Iterator<String> iterator() {
            return NAMES.iterator();
        }
    }

    /** A shared secret (a value, so that picocli does not take the array for a multi-value option). */
    record SharedSecret(byte[] bytes) {
    }

    /** A shared secret read from a file: its bytes, a trailing newline dropped (the server checks its length). */
    static final class SecretFile implements ITypeConverter<SharedSecret> {
        @Override
        public SharedSecret convert(String value) {
            byte[] b;
            try {
                b = Files.readAllBytes(Path.of(value));
            } catch (NoSuchFileException e) {
                throw new TypeConversionException("cannot read " + value + ": no such file");
            } catch (IOException | RuntimeException e) {
                throw new TypeConversionException("cannot read " + value + ": " + e);
            }
            int n = b.length;
            while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r')) {
                n--;
            }
            return new SharedSecret(Arrays.copyOf(b, n));
        }
    }

    private static Inet4Address ip(String text) {
        try {
            return Xstunt.ipv4(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
