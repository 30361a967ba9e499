package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The network-namespace NAT lab, driven through {@code natlab/lab.sh} with bounded waits. The lab
 * needs root and nftables: without them the tests are skipped with the reason, except under CI
 * ({@link #inCi}), where a lab that cannot be built fails the run.
 */
final class Lab {
    /** Server addresses (xl-srv). */
    static final String SRV_IP1 = "198.51.100.10";
    static final String SRV_IP2 = "198.51.100.11";
    /** The public host without NAT (xl-pub). */
    static final String PUB_IP = "198.51.100.20";
    /** The NAT routers' public addresses. */
    static final String NAT1_IP = "203.0.113.1";
    static final String NAT2_IP = "203.0.113.2";
    /** Hosts: h1 and h3 behind nat1, h2 behind nat2. */
    static final String H1_IP = "10.0.1.10";
    static final String H3_IP = "10.0.1.11";
    static final String H2_IP = "10.0.2.10";

    private static final long UP_WAIT_S = 90;
    private static final long DOWN_WAIT_S = 60;

    private Lab() {
    }

    /** @return lab.sh (the build passes its path; the module directory otherwise) */
    static Path script() {
        String env = System.getenv("NATLAB_LAB_SH");
        return env != null ? Path.of(env) : Path.of("lab.sh").toAbsolutePath();
    }

    /**
     * @return true when this run is CI's: the environment variable {@code CI} is set to anything
     *     but empty or {@code false} (CI services set {@code true}, {@code 1}, {@code yes} or a name)
     */
    static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.strip().equalsIgnoreCase("false");
    }

    /** @return why the lab cannot be built on this machine, or null when it can */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name")) && !isUid0()) {
            return "not root (the lab creates network namespaces)";
        } else if (!onPath("nft")) {
            return "nft (nftables) is not installed: run natlab/install-deps.sh";
        } else if (!onPath("ip")) {
            return "ip (iproute2) is not installed: run natlab/install-deps.sh";
        } else if (!onPath("conntrack")) {
            return "conntrack (conntrack-tools) is not installed: run natlab/install-deps.sh";
        } else if (!Files.isRegularFile(script())) {
            return "lab script not found at " + script();
        }
        return null;
    }

    /**
     * The root / nftables gate: returns if the lab can be built here; otherwise fails under CI
     * ({@link #inCi}) and skips (with the reason) elsewhere.
     */
    static void requireLab() {
        String why = unavailableReason();
        if (why == null) {
            return;
        }
        if (inCi()) {
            fail("NAT lab cannot be built in CI: " + why + ". The lab must run in CI; it is not skipped there.");
        }
        Assumptions.abort("NAT lab skipped: " + why + " (with CI set, this is a failure)");
    }

    private static boolean isUid0() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").concat(":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Builds a fresh lab (lab.sh up tears down any old one first); a failure fails the test. */
    static void up(String... options) {
        List<String> cmd = new ArrayList<>(List.of("bash", script().toString(), "up"));
        cmd.addAll(List.of(options));
        Result r = run(cmd, UP_WAIT_S);
        if (r.code != 0) {
            fail("lab.sh up " + String.join(" ", options) + " failed (exit " + r.code + "):\n" + r.output);
        }
    }

    /** Removes the lab (idempotent); a failure fails the test. */
    static void down() {
        Result r = run(List.of("bash", script().toString(), "down"), DOWN_WAIT_S);
        if (r.code != 0) {
            fail("lab.sh down failed (exit " + r.code + "):\n" + r.output);
        }
    }

    /** @return the names of the lab's network namespaces that exist now */
    static List<String> namespaces() {
        Result r = run(List.of("ip", "netns", "list"), 10);
        List<String> l = new ArrayList<>();
        for (String line : r.output.split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (ns.startsWith("xl-")) {
                l.add(ns);
            }
        }
        return l;
    }

    /** @return {@code git ARGS} in this module's directory, trimmed; "unknown" if git fails */
    static String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", Path.of("").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Result r = run(cmd, 10);
        return r.code() == 0 ? r.output().strip() : "unknown";
    }

    /** @return the commit under test, "abc1234" or "abc1234 (+ uncommitted changes)" */
    static String commit() {
        String status = git("status", "--porcelain", "--untracked-files=no");
        return git("rev-parse", "--short", "HEAD")
                + (status.isEmpty() || status.equals("unknown") ? "" : " (+ uncommitted changes)");
    }

    record Result(int code, String output) {
    }

    /** Runs a command, bounded; stdout and stderr together. */
    static Result run(List<String> cmd, long waitS) {
        try {
            Path out = Files.createTempFile("natlab-cmd", ".log");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(waitS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                    return new Result(-1, "did not finish within " + waitS + " s: " + cmd + "\n"
                            + Files.readString(out, StandardCharsets.UTF_8));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + cmd, e);
        }
    }
}
