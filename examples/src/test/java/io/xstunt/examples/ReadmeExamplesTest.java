package io.xstunt.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The README's Java examples compile against the public API, as a user's own module that requires
 * {@code io.xstunt.api} would: on the module path, where the engine shows only its event loop. So
 * an example that reached into the engine's internals, or a renamed API type, fails here.
 *
 * <p>Each example's statements go into a method of a class that declares what the README leaves
 * to the reader (a logger, the server's IPs, the game's own methods); the imports of all
 * examples are in force for each (the README's examples continue one another).
 */
class ReadmeExamplesTest {
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    /** What the README's examples leave to the reader. */
    private static final String CONTEXT = """
                XstuntOptions options;
                org.slf4j.Logger log;
                String ip1;
                String ip2;
                boolean running;

                abstract void handOff(XstuntConnection connection);

                abstract void updateGame();

                abstract void waitForNextTick();

                abstract void awaitShutdown();
            """;

    @Test
    void theReadmesJavaExamplesCompileAgainstThePublicApiOnly() throws IOException {
        String readme = Files.readString(readme(), StandardCharsets.UTF_8);
        List<String> blocks = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        assertFalse(blocks.isEmpty(), "the README has Java examples");
        Set<String> imports = new LinkedHashSet<>(List.of("import io.xstunt.api.*;"));
        for (String b : blocks) {
            b.lines().filter(l -> l.startsWith("import ")).forEach(imports::add);
        }
        for (String i : imports) {
            assertTrue(i.startsWith("import io.xstunt.api.") || i.startsWith("import java.")
                    || i.equals("import io.xstunt.engine.loop.EventLoop;"),
                    "the README imports nothing from the engine but the event loop: " + i);
        }
        Path src = Files.createTempDirectory("readme-examples");
        Path out = Files.createTempDirectory("readme-classes");
        List<File> files = new ArrayList<>();
        Path module = src.resolve("module-info.java");
        Files.writeString(module, "module readme.examples { requires io.xstunt.api; requires org.slf4j; }\n");
        files.add(module.toFile());
        for (int i = 0; i < blocks.size(); i++) {
            String body = blocks.get(i).lines().filter(l -> !l.startsWith("import "))
                    .map(l -> "        " + l).collect(Collectors.joining("\n"));
            String unit = "package readme;\n\n" + String.join("\n", imports) + "\n\n"
                    + "abstract class Example" + i + " {\n" + CONTEXT + "\n    void run() throws Exception {\n"
                    + body + "\n    }\n}\n";
            Path f = src.resolve("readme").resolve("Example" + i + ".java");
            Files.createDirectories(f.getParent());
            Files.writeString(f, unit);
            files.add(f.toFile());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        var fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8);
        boolean ok = javac.getTask(diagnostics, fm, null,
                List.of("--module-path", modulePath(), "-d", out.toString(), "-proc:none"), null,
                fm.getJavaFileObjectsFromFiles(files)).call();
        if (!ok) {
            fail("the README's Java examples do not compile against the public API:\n" + diagnostics);
        }
    }

    /** @return the API, the engine and slf4j from this test's class path, as a module path */
    private static String modulePath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.matches(".*(xstunt-api|xstunt-engine|slf4j-api)[^/]*\\.jar") || e.matches(".*/(api|engine)/target/classes")) {
                entries.add(e);
            }
        }
        assertTrue(entries.size() >= 3, "api, engine and slf4j on the class path: " + entries);
        return String.join(File.pathSeparator, entries);
    }

    private static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("api"))) {
                return dir.resolve("README.md");
            }
        }
        throw new AssertionError("README.md not found above " + Path.of("").toAbsolutePath());
    }
}
