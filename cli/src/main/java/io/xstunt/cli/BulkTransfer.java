package io.xstunt.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A bulk transfer whose integrity the two ends can compare ({@code connect --send-bytes},
 * {@code listen --sha256}): the connector sends N pseudo-random bytes (a fresh seed each run, so no
 * run can pass on bytes left from another) while it reads the listener's echo, and each end hashes
 * what it sent and received with SHA-256. Blocking, on the caller's thread plus one virtual thread
 * for the connector's writes (reading and writing at once: an echo that waited for the whole
 * transfer would deadlock on full socket buffers).
 */
final class BulkTransfer {
    /** Bytes per write and per read: a relay reads up to 64 KiB a turn. */
    static final int CHUNK = 64 * 1024;

    /** One direction: bytes and their SHA-256 (hex). */
    record Direction(long bytes, String sha256) {
    }

    /**
     * @param sent what this end wrote
     * @param received what this end read
     * @param took from the first byte written (connector) or read (listener) to the end
     * @param failure why it stopped early, or null when it ran to its end
     */
    record Outcome(Direction sent, Direction received, Duration took, IOException failure) {
        boolean complete(long expected) {
            return failure == null && sent.bytes() == expected && received.bytes() == expected
                    && sent.sha256().equals(received.sha256());
        }
    }

    private BulkTransfer() {
    }

    /**
     * The connector's side: writes {@code n} pseudo-random bytes and reads {@code n} echoed ones
     * (each read waits at most the socket's SO_TIMEOUT). Never throws on I/O: the outcome says how
     * far it got.
     */
    static Outcome sendAndReadEcho(Socket socket, long n) {
        long t0 = System.nanoTime();
        MessageDigest outHash = sha256();
        CompletableFuture<Long> written = new CompletableFuture<>();
        Thread writer = Thread.ofVirtual().name("bulk-writer").start(() -> {
            long done = 0;
            try {
                OutputStream out = socket.getOutputStream();
                SplittableRandom random = new SplittableRandom(new SecureRandom().nextLong());
                byte[] chunk = new byte[CHUNK];
                while (done < n) {
                    int len = (int) Math.min(CHUNK, n - done);
                    fill(random, chunk, len);
                    out.write(chunk, 0, len);
                    outHash.update(chunk, 0, len); // hashed once written: what the peer may have got
                    done += len;
                }
                out.flush();
                written.complete(done);
            } catch (IOException e) {
                written.completeExceptionally(new PartialWrite(done, e));
            }
        });
        MessageDigest inHash = sha256();
        long got = 0;
        IOException failure = null;
        try {
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[CHUNK];
            while (got < n) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
                if (r < 0) {
                    failure = new IOException("the peer closed after " + got + " of " + n + " echoed bytes");
                    break;
                }
                inHash.update(buf, 0, r);
                got += r;
            }
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) {
            try {
                socket.close(); // unblocks the writer
            } catch (IOException e) {
                // closing is all that is left
            }
        }
        long sent;
        try {
            sent = written.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            PartialWrite w = (PartialWrite) e.getCause();
            sent = w.done;
            failure = failure != null ? failure : w.cause;
        } catch (TimeoutException e) {
            writer.interrupt();
            sent = -1;
            failure = failure != null ? failure : new IOException("the writer did not finish within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sent = -1;
            failure = failure != null ? failure : new IOException("interrupted");
        }
        // a writer that did not finish may still be hashing: its digest is not read then
        return new Outcome(new Direction(sent, sent < 0 ? "unknown" : hex(outHash)), new Direction(got, hex(inHash)),
                Duration.ofNanos(System.nanoTime() - t0), failure);
    }

    /**
     * The listener's side: echoes what {@code socket} receives until the peer closes it (or a read
     * waits longer than SO_TIMEOUT), hashing both directions. Never throws on I/O.
     */
    static Outcome echo(Socket socket) {
        MessageDigest inHash = sha256();
        MessageDigest outHash = sha256();
        long got = 0;
        long sent = 0;
        long t0 = 0;
        IOException failure = null;
        try {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            byte[] buf = new byte[CHUNK];
            int r;
            while ((r = in.read(buf)) > 0) {
                if (got == 0) {
                    t0 = System.nanoTime();
                }
                inHash.update(buf, 0, r);
                got += r;
                out.write(buf, 0, r);
                outHash.update(buf, 0, r);
                sent += r;
            }
        } catch (IOException e) {
            failure = e;
        }
        return new Outcome(new Direction(sent, hex(outHash)), new Direction(got, hex(inHash)),
                Duration.ofNanos(got == 0 ? 0 : System.nanoTime() - t0), failure);
    }

    private static void fill(SplittableRandom random, byte[] b, int len) {
        for (int i = 0; i < len; i += 8) {
            long v = random.nextLong();
            for (int k = 0; k < 8 && i + k < len; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }

    /** How far the writer got before it failed. */
    private static final class PartialWrite extends Exception {
        private final long done;
        private final IOException cause;

        PartialWrite(long done, IOException cause) {
            super(cause);
            this.done = done;
            this.cause = cause;
        }
    }
}
