package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./xstunt cli-command}: the start-up cache's flags only when the build's stamp names the JDK
 * that runs and the cache is newer than every jar; otherwise plain java and one line on stderr that
 * says why. Runs the real launcher script on a fake {@code cli/target} (a jar, a lib, a stamp, a
 * cache file), so nothing is built and the real build's files are not touched.
 */
class LauncherStartupCacheTest {
    private static final Path LAUNCHER = Path.of("..", "xstunt");
    private static final String JAVA_HOME = System.getProperty("java.home");

    @TempDir
    Path root;
    private Path target;
    private Path cache;

    @BeforeEach
    void fakeBuild() throws IOException {
        Files.copy(LAUNCHER, root.resolve("xstunt"));
        target = Files.createDirectories(root.resolve("cli/target"));
        Files.createDirectories(target.resolve("lib"));
        Files.writeString(target.resolve("xstunt-cli-9.9.jar"), "jar");
        Files.writeString(target.resolve("lib/dep.jar"), "dep");
        cache = target.resolve("xstunt-cli.aot");
        Files.writeString(cache, "cache");
        stamp(runtimeVersionOfRelease());
        Files.setLastModifiedTime(cache, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    }

    @Test
    void aFittingCacheIsUsedAndAPeerGetsItsFlags() throws Exception {
        Result r = commandFor("listen");
        assertEquals("", r.err(), "nothing said when the cache fits");
        assertEquals(List.of(JAVA_HOME + "/bin/java", "-XX:AOTCache=" + cache, "-Xlog:aot=off,cds=off",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-jar",
                target.resolve("xstunt-cli-9.9.jar").toString()), r.words());
        Result server = commandFor("server");
        assertEquals(List.of(JAVA_HOME + "/bin/java", "-XX:AOTCache=" + cache, "-Xlog:aot=off,cds=off", "-jar",
                target.resolve("xstunt-cli-9.9.jar").toString()), server.words(), "the server keeps the JVM's defaults");
    }

    /** The launcher compares the stamp with the JDK's release file: they must agree for a cache ever to be used. */
    @Test
    void theReleaseFileNamesTheRuntimeVersionTheTrainingRecords() throws IOException {
        assertEquals(System.getProperty("java.runtime.version"), runtimeVersionOfRelease());
    }

    @Test
    void aJarNewerThanTheCacheIsSaidOnceAndTheCacheLeftOut() throws Exception {
        Files.setLastModifiedTime(target.resolve("lib/dep.jar"), FileTime.fromMillis(System.currentTimeMillis()
                + 120_000));
        assertFallback(commandFor("listen"), "cli/target/lib/dep.jar is newer than the cache");
    }

    @Test
    void aCacheOfAnotherJdkIsSaidOnceAndLeftOut() throws Exception {
        stamp("21.0.5+11");
        assertFallback(commandFor("listen"), "it was made by JDK 21.0.5+11");
    }

    @Test
    void noStampNoCache() throws Exception {
        Files.delete(target.resolve("xstunt-cli.startup"));
        assertFallback(commandFor("probe"), "the build made none");
    }

    @Test
    void aMissingCacheFileIsSaid() throws Exception {
        Files.delete(cache);
        assertFallback(commandFor("connect"), "cli/target/xstunt-cli.aot is missing");
    }

    private void assertFallback(Result r, String reason) {
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr: " + r.err());
        assertTrue(lines.get(0).startsWith("xstunt: starting without the start-up cache: ")
                && lines.get(0).contains(reason), lines.get(0));
        assertTrue(r.words().stream().noneMatch(w -> w.startsWith("-XX:AOTCache") || w.startsWith("-Xlog")),
                "no cache flags: " + r.words());
        assertEquals(List.of("-jar", target.resolve("xstunt-cli-9.9.jar").toString()),
                r.words().subList(r.words().size() - 2, r.words().size()));
    }

    private void stamp(String runtimeVersion) throws IOException {
        Files.writeString(target.resolve("xstunt-cli.startup"), "kind=aot\njava.home=" + JAVA_HOME
                + "\njava.runtime.version=" + runtimeVersion + "\n", StandardCharsets.UTF_8);
    }

    private static String runtimeVersionOfRelease() throws IOException {
        for (String line : Files.readAllLines(Path.of(JAVA_HOME, "release"))) {
            if (line.startsWith("JAVA_RUNTIME_VERSION=")) {
                return line.substring(line.indexOf('"') + 1, line.lastIndexOf('"'));
            }
        }
        return "";
    }

    private record Result(List<String> words, String err) {
    }

    private Result commandFor(String command) throws Exception {
        Path err = root.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("xstunt").toString(), "cli-command", command)
                .redirectError(err.toFile());
        pb.environment().put("JAVA_HOME", JAVA_HOME);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher did not finish");
        assertEquals(0, p.exitValue(), "exit code; stderr: " + Files.readString(err));
        return new Result(out.lines().toList(), Files.readString(err));
    }
}
