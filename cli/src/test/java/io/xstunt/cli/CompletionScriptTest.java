package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bash completion of {@code ./xstunt}: what bash offers after each word, and that the build wrote it. */
class CompletionScriptTest {
    /** The launcher, from the cli module's folder (where Maven runs the tests). */
    private static final Path LAUNCHER = Path.of("..", "xstunt");

    @TempDir
    static Path dir;

    /** @return what bash's completion offers for {@code words} (the last one is being typed) */
    private static List<String> complete(String... words) throws IOException, InterruptedException {
        Path script = dir.resolve("xstunt-completion.bash");
        if (!Files.exists(script)) {
            Files.writeString(script, CompletionScript.bash(), StandardCharsets.UTF_8);
        }
        // compopt only works inside a real completion; outside one it just complains.
        String harness = "compopt() { :; }; source \"$1\"; shift; COMP_WORDS=(\"$@\"); "
                + "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; "
                + "_complete_xstunt; printf '%s\\n' \"${COMPREPLY[@]}\"";
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", harness, "harness", script.toString()));
        cmd.addAll(List.of(words));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        return out.lines().filter(l -> !l.isEmpty()).toList();
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " => ", value = {
        "./xstunt| => demo test natlab-report build cli-jar cli-command dist bench java-home cli",
        "./xstunt|c => cli-jar cli-command cli",
        "./xstunt|cli| => server listen connect probe demo help",
        "./xstunt|cli|con => connect",
        "./xstunt|cli|connect|--pe => --peer",
        "./xstunt|cli|connect|--strategy| => fast race original",
        "./xstunt|cli|listen|--id|bob|--co => --comm-port --count",
        "./xstunt|cli|server|--max- => --max-clients --max-per-source --max-sessions",
        "./xstunt|cli|server|--met => --metrics-port --metrics-address",
        "./xstunt|bench|-- => --short --full",
    })
    void bashOffersTheCommandsOptionsAndValues(String line, String expected) throws Exception {
        String[] words = (line.endsWith("|") ? line + "''" : line).split("\\|");
        for (int i = 0; i < words.length; i++) {
            words[i] = words[i].equals("''") ? "" : words[i];
        }
        assertEquals(new TreeSet<>(List.of(expected.split(" "))), new TreeSet<>(complete(words)), line);
    }

    @Test
    void offersEveryOptionOfACommand() throws Exception {
        Set<String> offered = new TreeSet<>(complete("./xstunt", "cli", "connect", "-"));
        Set<String> options = new TreeSet<>(XstuntCli.commandLine(System.out, System.err).getSubcommands()
                .get("connect").getCommandSpec().optionsMap().keySet());
        assertEquals(options, offered);
    }

    @Test
    void launcherCommandsAreTheScriptsOwn() throws IOException {
        String script = Files.readString(LAUNCHER, StandardCharsets.UTF_8);
        String usage = script.substring(script.indexOf("usage: ./xstunt COMMAND"), script.indexOf("Environment:"));
        Matcher m = Pattern.compile("(?m)^  ([a-z][a-z-]*) ").matcher(usage);
        Set<String> listed = new TreeSet<>();
        while (m.find()) {
            listed.add(m.group(1));
        }
        Set<String> completed = CompletionScript.LAUNCHER_COMMANDS.stream().map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
        completed.add("cli");
        assertEquals(listed, completed, "./xstunt's usage text and CompletionScript.LAUNCHER_COMMANDS");
    }

    @Test
    void theBuildWroteTheCurrentScript() throws IOException {
        Path built = Path.of("target", "xstunt-completion.bash");
        assertTrue(Files.exists(built), "the build (process-classes) writes " + built.toAbsolutePath());
        assertEquals(CompletionScript.bash(), Files.readString(built, StandardCharsets.UTF_8));
    }
}
