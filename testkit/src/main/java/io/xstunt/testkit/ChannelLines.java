package io.xstunt.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Text lines over a connected, blocking channel (a peer's connection in a test); every read bounded. */
public final class ChannelLines {
    /** How long one read waits for its line before it fails. */
    public static final int READ_TIMEOUT_MS = 10_000;

    private ChannelLines() {
    }

    /** Writes {@code line} and a newline (UTF-8). */
    public static void send(SocketChannel ch, String line) throws IOException {
        ch.socket().getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @return the next line, without its newline
     * @throws IOException if the connection closes first, or no line comes within {@link #READ_TIMEOUT_MS}
     */
    public static String read(SocketChannel ch) throws IOException {
        Socket s = ch.socket();
        s.setSoTimeout(READ_TIMEOUT_MS);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("connection closed after '" + line.toString(StandardCharsets.UTF_8) + "'");
            }
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }
}
