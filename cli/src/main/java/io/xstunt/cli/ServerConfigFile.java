package io.xstunt.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code server --config FILE}: the server's settings from a properties file, one per line, each
 * key the name of a {@code server} option without its {@code --} ({@code log-port=8123},
 * {@code require-tokens=true}). Options given on the command line win over the file, the file over
 * the defaults. Why the options' names: one set of names to document and to learn, and every
 * value goes through the same checks as on the command line. A file that cannot be read, an
 * unknown key, or a value the option refuses is a usage error naming the file and the key.
 */
final class ServerConfigFile {
    /** The options a file may not set: the file itself, and the ones that only print. */
    private static final List<String> NOT_SETTABLE = List.of("--config", "--help", "--version");

    private ServerConfigFile() {
    }

    /**
     * @param file the properties file
     * @param spec the {@code server} command as parsed from the command line
     * @return a {@code server} command with the file's settings under the command line's
     * @throws ParameterException a usage error naming the file (and the key) if it cannot be used
     */
    static ServerCommand read(Path file, CommandSpec spec) {
        Map<String, String> settings = load(file, spec);
        Map<String, OptionSpec> options = new TreeMap<>();
        for (OptionSpec o : spec.options()) {
            if (!NOT_SETTABLE.contains(o.longestName()) && !o.usageHelp() && !o.versionHelp()) {
                options.put(o.longestName().substring(2), o);
            }
        }
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (!options.containsKey(e.getKey())) {
                throw new ParameterException(spec.commandLine(), "--config " + file + ": unknown setting '"
                        + e.getKey() + "' (the settings are the server options' names without '--': "
                        + String.join(", ", options.keySet()) + ")");
            }
            if (e.getValue().isEmpty()) {
                throw new ParameterException(spec.commandLine(), "--config " + file + ": setting '" + e.getKey()
                        + "' has no value");
            }
        }
        ServerCommand fromFile = new ServerCommand();
        CommandLine cl = new CommandLine(fromFile);
        ServerCommand.EngineDefaults engine = new ServerCommand.EngineDefaults();
        cl.setDefaultValueProvider(arg -> arg instanceof OptionSpec o && settings.containsKey(o.longestName()
                .substring(2)) ? settings.get(o.longestName().substring(2)) : engine.defaultValue(arg));
        try {
            cl.parseArgs(commandArgs(spec));
        } catch (ParameterException e) {
            throw new ParameterException(spec.commandLine(), "--config " + file + ": " + e.getMessage());
        }
        return fromFile.configApplied();
    }

    /** @return the file's settings, keys and values trimmed */
    private static Map<String, String> load(Path file, CommandSpec spec) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new ParameterException(spec.commandLine(), "--config " + file + ": no such file");
        } catch (MalformedInputException e) {
            throw new ParameterException(spec.commandLine(), "--config " + file + ": not UTF-8 text");
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a malformed \\uXXXX escape
            throw new ParameterException(spec.commandLine(), "--config " + file + ": cannot be read: " + e.getMessage());
        }
        Map<String, String> settings = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> settings.put(k.trim(), p.getProperty(k).trim()));
        return settings;
    }

    /** @return the arguments the {@code server} command was given (those after its name) */
    private static String[] commandArgs(CommandSpec spec) {
        List<String> all = spec.commandLine().getParseResult().originalArgs();
        int at = all.indexOf(spec.name());
        return all.subList(at + 1, all.size()).toArray(String[]::new);
    }
}
