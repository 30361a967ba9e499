package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One CLI process ({@code io.xstunt.cli.XstuntCli ... --json}) in a lab namespace: started with
 * {@code ip netns exec xl-NS java -cp <this JVM's class path>}, its JSON lines parsed as they
 * come, waited for with bounded deadlines. Its stderr (the tinylog log) goes to
 * {@code target/natlab-logs/NAME.log}. {@link #close} kills it.
 */
final class Peer implements AutoCloseable {
    /** Fast start-up for short-lived peers on a 2-core machine. */
    private static final List<String> JVM_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:+UseSerialGC", "-Xmx96m", "-Xss512k");
    static final Path LOGS = Path.of("target", "natlab-logs");

    /**
     * A JSON event and when it arrived (System.nanoTime). Its fields as jackson-jr reads them:
     * objects as maps in field order, arrays as lists, numbers as Integer, Long or Double.
     */
    record Event(Map<String, Object> fields, long atNs) {
        String str(String name) {
            Object v = fields.get(name);
            return v == null ? null : v.toString();
        }

        double num(String name) {
            Object v = fields.get(name);
            if (!(v instanceof Number n)) {
                throw new AssertionError("no number '" + name + "' in " + fields);
            }
            return n.doubleValue();
        }

        boolean bool(String name) {
            Object v = fields.get(name);
            if (!(v instanceof Boolean b)) {
                throw new AssertionError("no boolean '" + name + "' in " + fields);
            }
            return b;
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> obj(String name) {
            Object v = fields.get(name);
            if (!(v instanceof Map)) {
                throw new AssertionError("no object '" + name + "' in " + fields);
            }
            return (Map<String, Object>) v;
        }

        boolean is(String event) {
            return event.equals(fields.get("event"));
        }

        @Override
        public String toString() {
            return fields.toString();
        }
    }

    private final String name;
    private final Process process;
    private final Path log;
    private final List<Event> events = new ArrayList<>();
    private final List<String> garbage = new ArrayList<>();
    private final Thread reader;
    private boolean eof;

    private Peer(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.reader = Thread.ofPlatform().daemon().name("peer-" + name).start(this::read);
    }

    /**
     * Starts {@code XstuntCli args... --json} in namespace {@code xl-<ns>}.
     *
     * @param name for messages and the log file
     */
    static Peer start(String ns, String name, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", "xl-" + ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.xstunt.cli.XstuntCli"));
        cmd.addAll(args);
        cmd.add("--json");
        return run(name, cmd);
    }

    /**
     * Starts {@code cmd}, a process that prints one JSON object per line on stdout (its events);
     * its stderr goes to the log file.
     *
     * @param name for messages and the log file
     */
    static Peer run(String name, List<String> cmd) {
        try {
            Files.createDirectories(LOGS);
            Path log = LOGS.resolve(name + ".log");
            Files.writeString(log, "# " + String.join(" ", cmd) + "\n");
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            p.getOutputStream().close();
            return new Peer(name, p, log);
        } catch (IOException e) {
            throw new AssertionError("cannot start " + name + ": " + cmd + ": " + e, e);
        }
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                long now = System.nanoTime();
                synchronized (this) {
                    try {
                        events.add(new Event(fields(line), now));
                    } catch (IOException e) { // not one JSON object (jackson-jr's JSONObjectException)
                        garbage.add(line);
                    }
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the process was killed
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    /**
     * @return the fields of one {@code --json} line
     * @throws IOException when the line is not one JSON object
     */
    static Map<String, Object> fields(String line) throws IOException {
        return JSON.std.mapFrom(line);
    }

    String name() {
        return name;
    }

    /** @return every event so far */
    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    /** @return the events named {@code event} so far */
    synchronized List<Event> events(String event) {
        return events.stream().filter(e -> e.is(event)).toList();
    }

    /** Waits for the {@code n}-th (1-based) event named {@code event}. */
    Event await(String event, int n, Duration bound) {
        return awaitCount(e -> e.is(event), n, bound, "event '" + event + "' #" + n);
    }

    /** Waits for the first event named {@code event}. */
    Event await(String event, Duration bound) {
        return await(event, 1, bound);
    }

    /** Waits for the {@code n}-th event matching {@code p}; fails with what it saw on timeout or exit. */
    synchronized Event awaitCount(Predicate<Event> p, int n, Duration bound, String what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            int seen = 0;
            for (Event e : events) {
                if (p.test(e) && ++seen == n) {
                    return e;
                }
            }
            long left = deadline - System.nanoTime();
            if (eof || left <= 0) {
                fail(name + ": no " + what + (eof ? " before the process ended" : " within " + bound) + ".\n"
                        + describe());
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /** Waits for the process to exit; returns its exit code. */
    int awaitExit(Duration bound) {
        try {
            if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(name + ": still running after " + bound + ".\n" + describe());
            }
            reader.join(Duration.ofSeconds(5));
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** @return true if its log (stderr) has a line containing {@code text} */
    boolean logContains(String text) {
        try {
            return Files.readAllLines(log).stream().anyMatch(l -> l.contains(text));
        } catch (IOException e) {
            return false;
        }
    }

    /** @return its events, unparsable lines and the tail of its log, for failure messages */
    synchronized String describe() {
        StringBuilder sb = new StringBuilder("--- " + name + (process.isAlive() ? " (running)"
                : " (exit " + process.exitValue() + ")") + " events:\n");
        events.forEach(e -> sb.append("  ").append(e).append('\n'));
        garbage.forEach(g -> sb.append("  (not JSON) ").append(g).append('\n'));
        sb.append("--- ").append(name).append(" log tail (").append(log).append("):\n");
        try {
            List<String> lines = Files.readAllLines(log);
            lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(l -> sb.append("  ").append(l)
                    .append('\n'));
        } catch (IOException e) {
            sb.append("  (no log: ").append(e).append(")\n");
        }
        return sb.toString();
    }

    /** Kills the process and what it started (and waits, bounded, for it to go). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
