package io.xstunt.testkit;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** An output stream that collects lines, so a test can wait (bounded) for one to appear. */
public final class Lines extends OutputStream {
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private final LinkedBlockingQueue<String> fresh = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();

    @Override
    public synchronized void write(int b) {
        if (b == '\n') {
            String line = current.toString(StandardCharsets.UTF_8);
            current.reset();
            all.add(line);
            fresh.add(line);
        } else {
            current.write(b);
        }
    }

    /** @return a UTF-8 print stream into this collector, flushed on every line */
    public PrintStream stream() {
        return new PrintStream(this, true, StandardCharsets.UTF_8);
    }

    /** @return every complete line so far */
    public synchronized List<String> all() {
        return List.copyOf(new ArrayList<>(all));
    }

    /** @return everything so far, for failure messages */
    public synchronized String text() {
        return String.join("\n", all) + "\n" + current.toString(StandardCharsets.UTF_8);
    }

    /** Waits up to {@code bound} for a new line that matches. */
    public String await(Predicate<String> match, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? fresh.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw new AssertionError("no matching line within " + bound + "; got:\n" + text());
            }
            if (match.test(line)) {
                return line;
            }
        }
    }
}
