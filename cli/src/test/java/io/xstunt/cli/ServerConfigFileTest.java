package io.xstunt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.testkit.Lines;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server --config FILE}: the file's settings apply under the command line's, and a file
 * that cannot be used stops the server before it binds anything, with a message naming the file
 * and the setting (exit code 2).
 */
class ServerConfigFileTest {
    /** Free ports and a short run: what every file here starts from. */
    private static final String BASE = "log-port=0\ncomm-port=0\necho-ports=0,0\nduration=0.2\n";

    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static int server(Lines out, Lines err, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "server";
        System.arraycopy(args, 0, all, 1, args.length);
        return XstuntCli.run(all, out.stream(), err.stream());
    }

    @Test
    void theFilesSettingsApplyAndTheCommandLineWins() throws Exception {
        Path conf = file("server.properties", BASE + "server-version = 7\njson=true\n# a comment\nrequire-tokens=true\n");
        Lines out = new Lines();
        Lines err = new Lines();
        assertEquals(0, server(out, err, "--config", conf.toString()), err.text());
        assertTrue(out.text().contains("\"event\":\"server\""), "json=true from the file: " + out.text());
        assertTrue(out.text().contains("\"serverVersion\":7"), out.text());
        Lines over = new Lines();
        assertEquals(0, server(over, new Lines(), "--config", conf.toString(), "--server-version", "3"));
        assertTrue(over.text().contains("\"serverVersion\":3"), over.text());
    }

    @Test
    void aFileThatCannotBeUsedIsABadArgumentNamingFileAndSetting() throws Exception {
        assertRefused(file("typo.properties", BASE + "log_port=8123\n"),
                "unknown setting 'log_port' (the settings are the server options' names without '--': comm-port,");
        assertRefused(file("value.properties", BASE + "max-clients=many\n"),
                "Invalid value for option '--max-clients'");
        assertRefused(file("flag.properties", BASE + "no-relay=perhaps\n"), "'perhaps' is not a boolean");
        assertRefused(file("empty.properties", BASE + "ip1=\n"), "setting 'ip1' has no value");
        assertRefused(file("itself.properties", BASE + "config=other.properties\n"), "unknown setting 'config'");
        assertRefused(file("clash.properties", "log-port=8123\ncomm-port=8123\nduration=0.2\n"),
                "logPort and commPort must differ, both are 8123 (with --config ");
        assertRefused(dir.resolve("missing.properties"), "no such file");
    }

    private void assertRefused(Path conf, String message) {
        Lines out = new Lines();
        Lines err = new Lines();
        assertEquals(XstuntCli.EXIT_USAGE, server(out, err, "--config", conf.toString()), err.text());
        assertTrue(err.text().contains(message), err.text());
        assertTrue(err.text().contains(conf.toString()), "names the file: " + err.text());
        assertTrue(err.text().contains("Usage: xstunt server"), "the command's usage: " + err.text());
        assertTrue(!out.text().contains("server up"), "nothing started: " + out.text());
    }
}
