package io.xstunt.bench.load;

import io.xstunt.engine.wire.ClientId;
import io.xstunt.engine.wire.ControlFrame;
import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.LogHello;
import io.xstunt.engine.wire.LogState;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.ServerInfo;
import io.xstunt.engine.wire.WireVariant;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Server capacity (issue #4, benchmark 4): a nonblocking load generator, one thread and one
 * {@link Selector}, no thread per connection. It speaks the registration bytes as an original
 * client does (LogHello, ID field, ServerInfo, LogState IDLE) against a {@link ServerProcess} in
 * its own JVM, from many loopback source addresses (127.0.1.10 and up) to get past the ephemeral
 * port range, and:
 * <ol>
 *   <li>registers N clients with a bounded number in flight and holds them: registrations/s;</li>
 *   <li>asks the server process for its heap after full GCs, before and after: heap per client;</li>
 *   <li>runs rendezvous sessions between held clients with a fixed number in flight (MSG_CONNECT,
 *       both announcements, both control connects, one OK(1) frame relayed each way, close):
 *       sessions/s and the session latency (p50, p99, max of an HdrHistogram of every session);</li>
 *   <li>runs the baseline: a minimal NIO accept-write-close server in its own JVM, driven by the
 *       same generator, same concurrency and source addresses: connections/s;</li>
 * </ol>
 * and prints both rates as ratios to the baseline.
 *
 * <p>Usage: {@code LoadGenerator [--clients N] [--sessions S] [--in-flight K] [--ips M]
 * [--out file] [--server-jvm-opts "..."]}. With {@code --strategies FAST,RACE [--pairs P]
 * [--rounds R]} it runs instead whole handshakes through the client library, S per phase with K
 * in flight, one punch strategy against the other ({@link HandshakeLoad}).
 */
public final class LoadGenerator {
    private static final int SERVER_IP1 = Ipv4.toInt(Ipv4.parse("127.0.0.1"));
    private static final long PHASE_LIMIT_NS = 600_000_000_000L;

    private final Selector selector;
    private final PrintStream log = System.out;
    private final int[] sourceIps;
    private InetSocketAddress logAddress;
    private InetSocketAddress commAddress;
    private long failures;
    /** The server's CPU per session of the last {@link #measureSessions}, in microseconds. */
    private double lastSessionCpuUs;
    private int deadClients;
    private String lastFailure;

    private LoadGenerator(int ipCount) throws IOException {
        selector = Selector.open();
        sourceIps = new int[ipCount];
        for (int k = 0; k < ipCount; k++) {
            sourceIps[k] = Ipv4.toInt(Ipv4.parse("127.0." + (1 + k / 200) + "." + (10 + k % 200)));
        }
    }

    /** What a ready key runs. */
    private interface Handler {
        void ready(SelectionKey key) throws IOException;

        void failed(String why);
    }

    // ------------------------------------------------------------------ registration

    /** One simulated client: its log connection, state and the session it takes part in. */
    private final class SimClient implements Handler {
        final int index;
        final int ip;
        String id;
        boolean warm;
        final ByteBuffer in = ByteBuffer.allocate(256);
        SocketChannel channel;
        int step; // 0 connecting, 1 hello, 2 info, 3 idle, -1 dead
        Session session;
        Runnable onRegistered;

        SimClient(int index, int ip) {
            this.index = index;
            this.ip = ip;
            this.id = "c" + index;
        }

        void start(Runnable registered) throws IOException {
            if (warm) {
                id = "w" + index;
            }
            onRegistered = registered;
            channel = open(ip);
            step = 0;
            if (channel.connect(logAddress)) {
                channel.register(selector, SelectionKey.OP_READ, this);
                step = 1;
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, this);
            }
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            if (step == 0) {
                if (!channel.finishConnect()) {
                    return;
                }
                key.interestOps(SelectionKey.OP_READ);
                step = 1;
                return;
            }
            int n = channel.read(in);
            if (n < 0) {
                failed(step == 3 ? "log connection closed by the server" : "closed during registration");
                return;
            }
            in.flip();
            while (true) {
                if (step == 1 && in.remaining() >= LogHello.SIZE) {
                    LogHello h = LogHello.read(in);
                    if (h.requiredBuild() != Protocol.BUILD_VERSION) {
                        failed("server requires build " + h.requiredBuild());
                        return;
                    }
                    ByteBuffer idField = ByteBuffer.allocate(WireVariant.ID32.idFieldSize());
                    ClientId.write(idField, id, WireVariant.ID32);
                    writeAll(channel, idField.flip());
                    step = 2;
                } else if (step == 2 && in.remaining() >= WireVariant.ID32.serverInfoSize()) {
                    ServerInfo info = ServerInfo.read(in, WireVariant.ID32);
                    if (!info.id().equals(id)) {
                        failed("ID refused (ERR_DUPLICATE_ID)");
                        return;
                    }
                    ByteBuffer st = ByteBuffer.allocate(LogState.SIZE);
                    new LogState(Protocol.CSTATE_IDLE, ip).write(st);
                    writeAll(channel, st.flip());
                    step = 3;
                    Runnable r = onRegistered;
                    onRegistered = null;
                    r.run();
                } else if (step == 3 && in.remaining() >= WireVariant.ID32.echoSize()) {
                    Echo e = Echo.read(in, WireVariant.ID32);
                    if (session == null) {
                        failed("announcement without a session");
                        return;
                    }
                    session.announced(this, e);
                } else {
                    break;
                }
            }
            in.compact();
        }

        @Override
        public void failed(String why) {
            if (step != -1) {
                step = -1;
                deadClients++;
                fail("client " + id + ": " + why);
                closeQuietly(channel);
            }
        }
    }

    private static void writeAll(SocketChannel ch, ByteBuffer b) throws IOException {
        ch.write(b);
        if (b.hasRemaining()) {
            // a few bytes on a fresh or idle connection: the socket buffer always takes them
            throw new IOException("short write of " + b.remaining() + " bytes on a small message");
        }
    }

    private SocketChannel open(int ip) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.bind(new InetSocketAddress(Ipv4.toAddress(ip), 0));
        return ch;
    }

    private void fail(String why) {
        failures++;
        lastFailure = why;
    }

    /** Registers {@code clients} with at most {@code inFlight} registrations under way. */
    private double register(SimClient[] clients, int inFlight) throws IOException {
        int[] next = {0};
        int[] done = {0};
        long start = System.nanoTime();
        Runnable[] startNext = new Runnable[1];
        startNext[0] = () -> {
            done[0]++;
            if (next[0] < clients.length) {
                startClient(clients[next[0]++], startNext[0]);
            }
        };
        while (next[0] < Math.min(inFlight, clients.length)) {
            startClient(clients[next[0]++], startNext[0]);
        }
        pump(() -> done[0] + deadClients >= clients.length, start, "registration");
        long ns = System.nanoTime() - start;
        return done[0] / (ns / 1e9);
    }

    private void startClient(SimClient c, Runnable registered) {
        try {
            c.start(registered);
        } catch (IOException e) {
            c.failed("cannot connect: " + e);
        }
    }

    private static int deadCount(SimClient[] clients) {
        int n = 0;
        for (SimClient c : clients) {
            if (c.step == -1) {
                n++;
            }
        }
        return n;
    }

    /** Runs the selector until {@code done}, bounded. */
    private void pump(java.util.function.BooleanSupplier done, long startNs, String phase) throws IOException {
        while (true) {
            if (done.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - startNs > PHASE_LIMIT_NS) {
                throw new IOException(phase + " did not finish within " + PHASE_LIMIT_NS / 1_000_000_000 + " s"
                        + "; failures " + failures + ", last: " + lastFailure);
            }
            selector.select(this::dispatch, 100);
        }
    }

    private void dispatch(SelectionKey key) {
        Handler h = (Handler) key.attachment();
        try {
            if (key.isValid()) {
                h.ready(key);
            }
        } catch (IOException | RuntimeException e) {
            h.failed(e.toString());
        }
    }

    // ------------------------------------------------------------------ sessions

    /** One rendezvous session driven from both sides. */
    private final class Session {
        final SimClient a;
        final SimClient b;
        final long startNs;
        final Runnable onDone;
        SocketChannel comm;
        Side controlA;
        Side controlB;
        boolean answered;
        boolean finished;
        int controlPort;
        /** When each step happened (ns), for the phase profile: see {@link #PHASES}. */
        final long[] at = new long[PHASES.length];

        Session(SimClient a, SimClient b, Runnable onDone) {
            this.a = a;
            this.b = b;
            this.onDone = onDone;
            this.startNs = System.nanoTime();
        }

        void start() throws IOException {
            a.session = this;
            b.session = this;
            comm = open(a.ip);
            Handler h = new Handler() {
                final ByteBuffer reply = ByteBuffer.allocate(Protocol.COMM_REPLY_LEN);

                @Override
                public void ready(SelectionKey key) throws IOException {
                    if (key.isConnectable()) {
                        if (!comm.finishConnect()) {
                            return;
                        }
                        ByteBuffer m = ByteBuffer.allocate(WireVariant.ID32.msgSize());
                        Msg.connect(a.id, b.id).write(m, WireVariant.ID32);
                        writeAll(comm, m.flip());
                        key.interestOps(SelectionKey.OP_READ);
                        return;
                    }
                    if (comm.read(reply) < 0 && reply.hasRemaining()) {
                        failed("comm closed before the answer");
                        return;
                    }
                    if (!reply.hasRemaining()) {
                        int v = reply.flip().getInt();
                        comm.close();
                        if (v != Protocol.COMM_ACCEPTED) {
                            end(false, "MSG_CONNECT answered " + v);
                            return;
                        }
                        answered = true;
                        mark(Session.this, 0);
                    }
                }

                @Override
                public void failed(String why) {
                    closeQuietly(comm);
                    end(false, "comm: " + why);
                }
            };
            if (comm.connect(commAddress)) {
                ByteBuffer m = ByteBuffer.allocate(WireVariant.ID32.msgSize());
                Msg.connect(a.id, b.id).write(m, WireVariant.ID32);
                writeAll(comm, m.flip());
                comm.register(selector, SelectionKey.OP_READ, h);
            } else {
                comm.register(selector, SelectionKey.OP_CONNECT, h);
            }
        }

        void announced(SimClient who, Echo e) throws IOException {
            if (finished) {
                return;
            }
            boolean initiator = who == a;
            byte expected = initiator ? Protocol.ROLE_INITIATOR : Protocol.ROLE_LISTENER;
            if (e.role() != expected || e.ip() != SERVER_IP1) {
                end(false, "unexpected announcement " + e);
                return;
            }
            controlPort = e.port();
            mark(this, initiator ? 1 : 2);
            Side s = new Side(this, who, initiator);
            if (initiator) {
                controlA = s;
            } else {
                controlB = s;
            }
            s.connect(new InetSocketAddress(Ipv4.toAddress(SERVER_IP1), e.port()));
        }

        /** The initiator got the listener's frame back: the session did its work. */
        void relayedBothWays() {
            end(true, null);
        }

        void end(boolean ok, String why) {
            if (finished) {
                return;
            }
            finished = true;
            if (!ok) {
                fail("session " + a.id + "->" + b.id + ": " + why);
            }
            if (controlA != null) {
                closeQuietly(controlA.channel);
            }
            if (controlB != null) {
                closeQuietly(controlB.channel);
            }
            closeQuietly(comm);
            a.session = null;
            b.session = null;
            sessionDone(this, ok);
        }
    }

    /** One side's control connection: the initiator sends OK(1) and waits for the echo of it. */
    private final class Side implements Handler {
        final Session session;
        final boolean initiator;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(64);

        Side(Session session, SimClient who, boolean initiator) throws IOException {
            this.session = session;
            this.initiator = initiator;
            this.channel = open(who.ip);
        }

        void connect(InetSocketAddress control) throws IOException {
            if (channel.connect(control)) {
                channel.register(selector, SelectionKey.OP_READ, this);
                connected();
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, this);
            }
        }

        private void connected() throws IOException {
            mark(session, initiator ? 3 : 4);
            if (initiator) {
                sendOne();
            }
        }

        private void sendOne() throws IOException {
            ByteBuffer f = ByteBuffer.allocate(Protocol.CONTROL_HEADER_LEN + Protocol.CONTROL_ONE_LEN);
            ControlFrame.one().write(f);
            writeAll(channel, f.flip());
        }

        @Override
        public void ready(SelectionKey key) throws IOException {
            if (key.isConnectable()) {
                if (!channel.finishConnect()) {
                    return;
                }
                key.interestOps(SelectionKey.OP_READ);
                connected();
                return;
            }
            if (channel.read(in) < 0) {
                failed("control connection closed by the server");
                return;
            }
            ByteBuffer view = in.duplicate().flip();
            ControlFrame f = ControlFrame.tryRead(view);
            if (f == null) {
                return;
            }
            if (!f.isOne()) {
                failed("relayed " + f + " instead of OK(1)");
                return;
            }
            in.clear();
            mark(session, initiator ? 6 : 5);
            if (initiator) {
                session.relayedBothWays();
            } else {
                sendOne();
            }
        }

        @Override
        public void failed(String why) {
            session.end(false, (initiator ? "initiator" : "listener") + " control: " + why);
        }
    }

    /** The steps of a session, timed from its start. */
    private static final String[] PHASES = {"comm answer", "initiator announced", "listener announced",
        "initiator control connected", "listener control connected", "listener got frame", "initiator got frame"};
    private final long[] phaseSums = new long[PHASES.length];

    private static void mark(Session s, int phase) {
        if (s.at[phase] == 0) {
            s.at[phase] = System.nanoTime();
        }
    }

    /** @return the mean time from a session's start to each step, in microseconds */
    private String phaseProfile() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < PHASES.length; i++) {
            b.append(i == 0 ? "" : ", ").append(PHASES[i]).append(' ')
                    .append(fmt(phaseSums[i] / 1e3 / Math.max(1, sessionsOk))).append(" us");
        }
        return b.toString();
    }

    private ArrayDeque<SimClient[]> idlePairs;
    /**
     * Every successful session's latency in ns. Four significant digits: a reported figure is off
     * by at most 0.01 % (0.1 us at 1 ms), below the report's rounding and far below run-to-run noise.
     */
    private final Histogram latencies = new Histogram(4);
    private int sessionsStarted;
    private int sessionsTarget;
    private int sessionsOk;
    private int sessionsFailed;

    private void sessionDone(Session s, boolean ok) {
        if (ok) {
            latencies.recordValue(System.nanoTime() - s.startNs);
            sessionsOk++;
            for (int i = 0; i < PHASES.length; i++) {
                phaseSums[i] += s.at[i] - s.startNs;
            }
        } else {
            sessionsFailed++;
        }
        idlePairs.add(new SimClient[] {s.a, s.b});
        startSession();
    }

    private void startSession() {
        if (sessionsStarted >= sessionsTarget) {
            return;
        }
        SimClient[] pair = idlePairs.poll();
        if (pair == null) {
            return;
        }
        sessionsStarted++;
        Session s = new Session(pair[0], pair[1], null);
        try {
            s.start();
        } catch (IOException e) {
            s.end(false, "cannot open the comm connection: " + e);
        }
    }

    /** Runs {@code count} sessions with {@code inFlight} under way; returns sessions/s. */
    private double sessions(SimClient[] clients, int count, int inFlight) throws IOException {
        idlePairs = new ArrayDeque<>();
        for (int i = 0; i + 1 < clients.length; i += 2) {
            if (clients[i].step == 3 && clients[i + 1].step == 3) {
                idlePairs.add(new SimClient[] {clients[i], clients[i + 1]});
            }
        }
        if (idlePairs.size() < 2 * inFlight) {
            throw new IOException(idlePairs.size() + " client pairs cannot keep " + inFlight
                    + " sessions in flight with time to go back to IDLE: register more clients");
        }
        latencies.reset();
        sessionsOk = 0;
        sessionsFailed = 0;
        sessionsStarted = 0;
        Arrays.fill(phaseSums, 0);
        sessionsTarget = count;
        long start = System.nanoTime();
        for (int i = 0; i < inFlight; i++) {
            startSession();
        }
        pump(() -> sessionsOk + sessionsFailed >= count, start, "sessions");
        long ns = System.nanoTime() - start;
        return sessionsOk / (ns / 1e9);
    }

    /**
     * Warms the server's JIT before anything is measured: registers {@code count} throw-away
     * clients, runs {@code count} sessions between them, closes them and waits until the server
     * has forgotten them.
     */
    private void warmUp(ServerJvm server, int count, int inFlight, int ips, int maxClients) throws IOException {
        int n = Math.min(Math.max(4 * inFlight, count), maxClients);
        SimClient[] ws = new SimClient[n];
        for (int i = 0; i < n; i++) {
            ws[i] = new SimClient(i, sourceIps[i % ips]);
            // distinct IDs from the measured clients
        }
        for (SimClient c : ws) {
            c.warm = true;
        }
        register(ws, inFlight);
        sessions(ws, count, inFlight);
        for (SimClient c : ws) {
            closeQuietly(c.channel);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (server.heap()[1] != 0) {
            selector.selectNow(this::dispatch);
            if (System.nanoTime() > deadline) {
                throw new IOException("the server still holds warm-up clients after 30 s");
            }
        }
        failures = 0;
        deadClients = 0;
        lastFailure = null;
    }

    /**
     * Reads the server's counts until it holds nothing but the registered clients' log
     * connections (the last sessions' closes may still be on their way), at most 10 s.
     *
     * @return the last {@link ServerJvm#heap()} reading
     */
    private long[] settled(ServerJvm server) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long[] h = server.heap();
        while (h[2] != h[1] && System.nanoTime() < deadline) {
            selector.selectNow(this::dispatch);
            h = server.heap();
        }
        return h;
    }

    // ------------------------------------------------------------------ baseline

    /** Connect, read until the server closes, close: {@code count} times, {@code inFlight} at once. */
    private double baseline(int count, int inFlight) throws IOException {
        int[] started = {0};
        int[] done = {0};
        int[] bad = {0};
        long start = System.nanoTime();
        Runnable[] startOne = new Runnable[1];
        startOne[0] = () -> {
            if (started[0] >= count) {
                return;
            }
            int k = started[0]++;
            try {
                SocketChannel ch = open(sourceIps[k % sourceIps.length]);
                ByteBuffer buf = ByteBuffer.allocate(64);
                Handler h = new Handler() {
                    @Override
                    public void ready(SelectionKey key) throws IOException {
                        if (key.isConnectable()) {
                            if (ch.finishConnect()) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                            return;
                        }
                        if (ch.read(buf) < 0) {
                            ch.close();
                            if (buf.position() != ServerProcess.BASELINE_REPLY) {
                                bad[0]++;
                            }
                            done[0]++;
                            startOne[0].run();
                        }
                    }

                    @Override
                    public void failed(String why) {
                        closeQuietly(ch);
                        bad[0]++;
                        done[0]++;
                        fail("baseline: " + why);
                        startOne[0].run();
                    }
                };
                if (ch.connect(logAddress)) {
                    ch.register(selector, SelectionKey.OP_READ, h);
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT, h);
                }
            } catch (IOException e) {
                bad[0]++;
                done[0]++;
                fail("baseline connect: " + e);
            }
        };
        for (int i = 0; i < inFlight; i++) {
            startOne[0].run();
        }
        pump(() -> done[0] >= count, start, "baseline");
        long ns = System.nanoTime() - start;
        if (bad[0] > 0) {
            log.println("baseline: " + bad[0] + " connections failed or were short");
        }
        return (done[0] - bad[0]) / (ns / 1e9);
    }

    // ------------------------------------------------------------------ server process

    /** A {@link ServerProcess} in its own JVM, talked to over stdin/stdout. */
    static final class ServerJvm implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final PrintStream in;
        final int port1;
        final int port2;

        ServerJvm(String mode, List<String> jvmOpts, List<String> wrapper) throws IOException {
            List<String> cmd = new ArrayList<>();
            for (String w : wrapper) {
                cmd.add(w.replace("{mode}", mode));
            }
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOpts);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(ServerProcess.class.getName());
            cmd.add(mode);
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            String[] ready = expect("READY");
            port1 = Integer.parseInt(ready[1]);
            port2 = Integer.parseInt(ready[2]);
        }

        String[] expect(String tag) throws IOException {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith(tag + " ")) {
                    return line.split(" ");
                }
                System.out.println("[server] " + line);
            }
            throw new IOException("server process ended before " + tag);
        }

        /** @return the server's class histogram lines (first {@code rows} classes) */
        List<String> histogram(int rows) throws IOException {
            in.println("HISTO " + rows);
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = out.readLine()) != null && !line.equals("HISTO done")) {
                lines.add(line);
            }
            return lines;
        }

        /**
         * @return used heap after GC, registered IDs, open connections, rejections, and the
         *     sessions the server itself counted as served
         */
        long[] heap() throws IOException {
            in.println("HEAP");
            String[] h = expect("HEAP");
            long[] v = new long[5];
            for (int i = 0; i < v.length; i++) {
                v[i] = Long.parseLong(h[i + 1]);
            }
            return v;
        }

        /** @return the server loop thread's CPU so far, in ns (-1: no such thread) */
        long loopCpuNs() throws IOException {
            in.println("LOOPCPU");
            return Long.parseLong(expect("LOOPCPU")[1]);
        }

        @Override
        public void close() throws IOException {
            in.println("QUIT");
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** CPU time (ns) used so far by the process {@code pid}, from /proc: {user, system}; -1s if unknown. */
    static long[] cpuNs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime, stime in USER_HZ (100) ticks
            return new long[] {Long.parseLong(f[11]) * 10_000_000L, Long.parseLong(f[12]) * 10_000_000L};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** CPU of both processes over one phase, per operation, split into user and kernel time. */
    private record Cpu(long[] server0, long[] gen0, long wall0) {
        static Cpu start(ServerJvm s) {
            return new Cpu(cpuNs(s.process.pid()), cpuNs(ProcessHandle.current().pid()), System.nanoTime());
        }

        /** @return the server process's CPU (user + kernel) per operation since the start, in microseconds */
        double serverUs(ServerJvm s, long ops) {
            long[] after = cpuNs(s.process.pid());
            return (after[0] + after[1] - server0[0] - server0[1]) / 1e3 / Math.max(1, ops);
        }

        String per(ServerJvm s, long ops) {
            return "server " + split(server0, cpuNs(s.process.pid()), ops) + "; generator "
                    + split(gen0, cpuNs(ProcessHandle.current().pid()), ops) + " (CPU per operation)";
        }

        /**
         * @return how busy each process was over the phase, in % of one core: a process near 100 %
         *     is what bounds the rate (each runs its work on one thread)
         */
        String busy(ServerJvm s) {
            double wall = System.nanoTime() - wall0;
            long[] sv = cpuNs(s.process.pid());
            long[] gn = cpuNs(ProcessHandle.current().pid());
            return "server " + fmt(100 * (sv[0] + sv[1] - server0[0] - server0[1]) / wall) + " %, generator "
                    + fmt(100 * (gn[0] + gn[1] - gen0[0] - gen0[1]) / wall) + " % of one core";
        }

        private static String split(long[] before, long[] after, long ops) {
            double user = (after[0] - before[0]) / 1e3 / Math.max(1, ops);
            double sys = (after[1] - before[1]) / 1e3 / Math.max(1, ops);
            return fmt(user + sys) + " us (user " + fmt(user) + ", kernel " + fmt(sys) + ")";
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // released either way
            }
        }
    }

    // ------------------------------------------------------------------ main

    /** What one run does; from the command line. */
    private record Settings(int clients, int sessions, int inFlight, int ips, int baselineCount, int warmup,
                            int histogramRows, List<String> serverOpts, List<String> wrapper, List<String> order) {
    }

    public static void main(String[] args) throws Exception {
        int clients = 5_000;
        int sessions = 20_000;
        int inFlight = 1_000;
        int ips = 200;
        int baselineCount = -1;
        int warmup = 2_000;
        int histogramRows = 0;
        List<String> wrapper = List.of();
        List<String> order = List.of("stunt", "floor", "baseline");
        Path outFile = null;
        int metricsRounds = 0;
        int redisRounds = 0;
        int scrapeMs = 1000;
        List<io.xstunt.api.PunchStrategy> strategies = List.of();
        int pairs = 200;
        int rounds = 3;
        List<String> serverOpts = new ArrayList<>(List.of("-Xms1g", "-Xmx4g", "-XX:+UseG1GC"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--in-flight" -> inFlight = Integer.parseInt(args[++i]);
                case "--ips" -> ips = Integer.parseInt(args[++i]);
                case "--baseline" -> baselineCount = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--histogram" -> histogramRows = Integer.parseInt(args[++i]);
                case "--server-wrapper" -> wrapper = Arrays.asList(args[++i].trim().split("\\s+"));
                case "--order" -> order = Arrays.asList(args[++i].trim().split(","));
                case "--out" -> outFile = Path.of(args[++i]);
                case "--metrics-ab" -> metricsRounds = Integer.parseInt(args[++i]);
                case "--redis-ab" -> redisRounds = Integer.parseInt(args[++i]);
                case "--scrape-ms" -> scrapeMs = Integer.parseInt(args[++i]);
                case "--strategies" -> strategies = Arrays.stream(args[++i].trim().split(","))
                        .map(io.xstunt.api.PunchStrategy::valueOf).toList();
                case "--pairs" -> pairs = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--server-jvm-opts" -> serverOpts = new ArrayList<>(Arrays.asList(args[++i].trim().split("\\s+")));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; use --clients N --sessions S --in-flight K --ips M --baseline C --warmup W --histogram ROWS --out FILE"
                        + " --order stunt,floor,baseline --metrics-ab ROUNDS --scrape-ms MS --redis-ab ROUNDS"
                        + " --strategies FAST,RACE --pairs P --rounds R"
                        + " --server-wrapper \"strace -f -c -o /tmp/{mode}.strace\""
                        + " --server-jvm-opts \"...\"");
            }
        }
        if (!new java.util.HashSet<>(order).equals(java.util.Set.of("stunt", "floor", "baseline")) || order.size() != 3) {
            throw new IllegalArgumentException("--order must name stunt, floor and baseline once each, not " + order);
        }
        if (baselineCount < 0) {
            baselineCount = Math.max(clients, sessions);
        }
        long fdLimit = fdLimit();
        int wanted = clients;
        // Each process holds one descriptor per client plus up to 4 per session in flight (comm,
        // control listener, two control connections; a session the generator has finished may
        // still be closing in the server while the next one starts) and slack for the JVM.
        long fit = fdLimit - 4L * inFlight - 512;
        if (fdLimit > 0 && clients > fit) {
            clients = (int) Math.max(0, fit);
        }
        StringBuilder report = new StringBuilder();
        LoadGenerator g = new LoadGenerator(ips);
        g.line(report, "machine", Runtime.getRuntime().availableProcessors() + " cores, JDK "
                + System.getProperty("java.version") + ", open-files limit " + fdLimit);
        if (clients != wanted) {
            g.line(report, "clients.capped", wanted + " requested, " + clients + " fit the open-files limit " + fdLimit
                    + " (server and generator each need one descriptor per client plus up to 4 per session in flight)");
        }
        g.line(report, "server.jvm", String.join(" ", serverOpts));
        if (!strategies.isEmpty()) {
            // whole handshakes through the client library, strategy against strategy (HandshakeLoad)
            new HandshakeLoad(serverOpts, wrapper, (k, v) -> g.line(report, k, v))
                    .run(strategies, pairs, sessions, inFlight, warmup, rounds);
            if (outFile != null) {
                Files.writeString(outFile, report.toString());
            }
            g.selector.close();
            return;
        }
        g.line(report, "source.ips", ips + " (127.0.1.10 ..)");
        if (metricsRounds > 0 && redisRounds > 0) {
            throw new IllegalArgumentException("--metrics-ab and --redis-ab are two runs, not one");
        }
        if (metricsRounds == 0 && redisRounds == 0) {
            g.line(report, "order", String.join(",", order));
        }
        if (redisRounds > 0) {
            g.redisAb(new Settings(clients, sessions, inFlight, ips, baselineCount, warmup, histogramRows, serverOpts,
                    wrapper, order), redisRounds, report, outFile);
            return;
        }
        if (metricsRounds > 0) {
            serverOpts.add("-D" + ServerProcess.SCRAPE_MS_PROPERTY + "=" + scrapeMs);
        }
        Settings set = new Settings(clients, sessions, inFlight, ips, baselineCount, warmup, histogramRows, serverOpts,
                wrapper, order);
        if (metricsRounds > 0) {
            g.line(report, "metrics.ab", metricsRounds + " rounds, scrape every " + scrapeMs + " ms with the binder");
            g.ab(set, metricsRounds, "stunt", "stunt-metrics", "with.to.without", report);
            if (outFile != null) {
                Files.writeString(outFile, report.toString());
            }
            g.selector.close();
            return;
        }

        double regRate = 0;
        double sessRate = 0;
        double floorRate = 0;
        double baseRate = 0;
        for (String phase : order) {
            switch (phase) {
                case "stunt" -> {
                    double[] r = g.stuntPhase(set, report);
                    regRate = r[0];
                    sessRate = r[1];
                }
                case "floor" -> floorRate = g.floorPhase(set, report);
                default -> baseRate = g.baselinePhase(set, report);
            }
        }
        g.line(report, "ratio.registrations.to.baseline", fmt2(regRate / baseRate));
        g.line(report, "ratio.sessions.to.baseline", fmt2(sessRate / baseRate));
        g.line(report, "ratio.floor.sessions.to.baseline", fmt2(floorRate / baseRate));
        g.line(report, "ratio.sessions.to.floor", fmt2(sessRate / floorRate));
        g.line(report, "failures", g.failures + (g.lastFailure == null ? "" : " (last: " + g.lastFailure + ")"));
        if (outFile != null) {
            Files.writeString(outFile, report.toString());
        }
        g.selector.close();
    }

    /**
     * Capacity with the shared registry ({@code --redis-ab ROUNDS}): a real redis-server on loopback
     * (testkit's, the Debian package), and the same server with the in-memory registry and with
     * {@code --registry redis://...}, alternating as {@link #ab} does; Redis emptied before each
     * phase. Ratios Redis / in memory.
     */
    private void redisAb(Settings set, int rounds, StringBuilder report, Path outFile) throws IOException {
        Path dir = Files.createTempDirectory("xstunt-load-redis");
        try (io.xstunt.testkit.RedisServer redis = io.xstunt.testkit.RedisServer.start(dir)) {
            String uri = "redis://127.0.0.1:" + redis.port();
            List<String> opts = new ArrayList<>(set.serverOpts());
            opts.add("-D" + ServerProcess.REDIS_URI_PROPERTY + "=" + uri);
            Settings withRedis = new Settings(set.clients(), set.sessions(), set.inFlight(), set.ips(), set.baselineCount(),
                    set.warmup(), set.histogramRows(), opts, set.wrapper(), set.order());
            line(report, "redis.ab", rounds + " rounds, in memory against " + uri + " (redis-server "
                    + redis.command("INFO", "server").lines().filter(l -> l.startsWith("redis_version:"))
                            .map(l -> l.substring(14)).findFirst().orElse("?") + ")");
            beforePhase = () -> redis.answers("FLUSHALL");
            ab(withRedis, rounds, "stunt", "stunt-redis", "redis.to.memory", report);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted stopping redis-server", e);
        } finally {
            beforePhase = () -> { };
            if (outFile != null) {
                Files.writeString(outFile, report.toString());
            }
            selector.close();
        }
    }

    /** Runs before each phase of {@link #ab} (the Redis A/B empties Redis). */
    private Runnable beforePhase = () -> { };

    /**
     * Two modes of the same server ({@code without}, then {@code with}: the metrics binder, or the
     * shared registry), alternating, {@code rounds} times each, the order swapped every round so
     * that neither always runs on a warmer or quieter machine. Reports each round and the median of
     * the ratios with/without ({@code ratio.KEY.*}): rates, the server process's CPU per operation,
     * and the CPU of its loop thread per operation (the loop's own cost: on a shared machine the
     * steadiest of the three).
     */
    private void ab(Settings set, int rounds, String withoutMode, String withMode, String key, StringBuilder report)
            throws IOException {
        String[] what = {"registrations.per.s", "sessions.per.s", "registration.server.cpu.us", "session.server.cpu.us",
            "registration.loop.cpu.us", "session.loop.cpu.us"};
        List<double[]> ratios = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double[] without = null;
            double[] with = null;
            for (String mode : r % 2 == 0 ? List.of(withoutMode, withMode) : List.of(withMode, withoutMode)) {
                beforePhase.run();
                double[] v = stuntPhase(set, new StringBuilder(), mode);
                if (mode.equals(withoutMode)) {
                    without = v;
                } else {
                    with = v;
                }
            }
            double[] ratio = new double[what.length];
            for (int k = 0; k < what.length; k++) {
                ratio[k] = with[k] / without[k];
                line(report, "round." + r + "." + what[k], "without " + fmt(without[k]) + ", with " + fmt(with[k])
                        + ", ratio " + fmt2(ratio[k]));
            }
            ratios.add(ratio);
        }
        for (int k = 0; k < what.length; k++) {
            int col = k;
            double[] sorted = ratios.stream().mapToDouble(x -> x[col]).sorted().toArray();
            double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
            line(report, "ratio." + key + "." + what[k], fmt2(median) + " (median of " + rounds + "; min "
                    + fmt2(sorted[0]) + ", max " + fmt2(sorted[sorted.length - 1]) + ")");
        }
        line(report, "failures", failures + (lastFailure == null ? "" : " (last: " + lastFailure + ")"));
    }

    private SimClient[] newClients(Settings set) {
        SimClient[] cs = new SimClient[set.clients()];
        for (int i = 0; i < cs.length; i++) {
            cs[i] = new SimClient(i, sourceIps[i % set.ips()]);
        }
        return cs;
    }

    /** The StuntServer: registrations, heap per client, sessions. @return {registrations/s, sessions/s} */
    private double[] stuntPhase(Settings set, StringBuilder report) throws IOException {
        return stuntPhase(set, report, "stunt");
    }

    /**
     * The StuntServer in {@code mode} ({@code stunt}, or {@code stunt-metrics}: with the Prometheus
     * binder, scraped). @return {registrations/s, sessions/s, server CPU us per registration, per
     * session, loop-thread CPU us per registration, per session}
     */
    private double[] stuntPhase(Settings set, StringBuilder report, String mode) throws IOException {
        try (ServerJvm server = startWarm(mode, set)) {
            long[] before = server.heap();
            SimClient[] cs = newClients(set);
            Cpu cpu = Cpu.start(server);
            long loop0 = server.loopCpuNs();
            double regRate = register(cs, set.inFlight());
            double regCpuUs = cpu.serverUs(server, cs.length);
            double regLoopUs = (server.loopCpuNs() - loop0) / 1e3 / cs.length;
            line(report, "registrations.cpu", cpu.per(server, cs.length));
            line(report, "registrations.busy", cpu.busy(server));
            int held = cs.length - deadCount(cs);
            long[] after = server.heap();
            long heapPerClient = held == 0 ? 0 : (after[0] - before[0]) / held;
            line(report, "clients.held", held + " of " + cs.length + " (server counts " + after[1] + " registered, "
                    + after[2] + " open connections)");
            line(report, "registrations.per.s", fmt(regRate));
            line(report, "heap.before.bytes", Long.toString(before[0]));
            line(report, "heap.after.bytes", Long.toString(after[0]));
            line(report, "heap.per.client.bytes", Long.toString(heapPerClient));
            if (set.histogramRows() > 0) {
                for (String h : server.histogram(set.histogramRows())) {
                    line(report, "server.heap", h.replaceFirst("^histo ", ""));
                }
            }
            long loop1 = server.loopCpuNs();
            double sessRate = measureSessions(server, cs, set, report, "sessions");
            double sessLoopUs = (server.loopCpuNs() - loop1) / 1e3 / set.sessions();
            line(report, "sessions.in.flight", Integer.toString(set.inFlight()));
            line(report, "session.latency.p50.us", fmt(latencies.getValueAtPercentile(50) / 1e3));
            line(report, "session.latency.p99.us", fmt(latencies.getValueAtPercentile(99) / 1e3));
            line(report, "session.latency.max.us", fmt(latencies.getMaxValue() / 1e3));
            line(report, "session.phases.mean", phaseProfile());
            afterSessions(server, cs, after[4], report, "server.after.sessions", "inputs refused");
            return new double[] {regRate, sessRate, regCpuUs, lastSessionCpuUs, regLoopUs, sessLoopUs};
        }
    }

    /** The protocol floor ({@link FloorServer}): the same sessions. @return sessions/s */
    private double floorPhase(Settings set, StringBuilder report) throws IOException {
        try (ServerJvm floor = startWarm("floor", set)) {
            SimClient[] cs = newClients(set);
            register(cs, set.inFlight());
            long served = floor.heap()[4];
            double rate = measureSessions(floor, cs, set, report, "floor.sessions");
            afterSessions(floor, cs, served, report, "floor.after.sessions", "connections closed on bad bytes");
            return rate;
        }
    }

    /** Starts a server JVM in {@code mode}, points the generator at it and warms its JIT. */
    private ServerJvm startWarm(String mode, Settings set) throws IOException {
        ServerJvm server = new ServerJvm(mode, set.serverOpts(), set.wrapper());
        try {
            logAddress = new InetSocketAddress("127.0.0.1", server.port1);
            commAddress = new InetSocketAddress("127.0.0.1", server.port2);
            if (set.warmup() > 0) {
                warmUp(server, set.warmup(), set.inFlight(), set.ips(), set.clients());
            }
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** Runs the measured sessions between the held {@code cs}; reports {@code prefix}.cpu/.busy/.ok/.per.s. */
    private double measureSessions(ServerJvm server, SimClient[] cs, Settings set, StringBuilder report,
                                   String prefix) throws IOException {
        Cpu cpu = Cpu.start(server);
        double rate = sessions(cs, set.sessions(), set.inFlight());
        lastSessionCpuUs = cpu.serverUs(server, set.sessions());
        line(report, prefix + ".cpu", cpu.per(server, set.sessions()));
        line(report, prefix + ".busy", cpu.busy(server));
        line(report, prefix + ".ok", sessionsOk + " of " + set.sessions() + " (" + sessionsFailed + " failed)");
        line(report, prefix + ".per.s", fmt(rate));
        return rate;
    }

    /**
     * Reports what the server holds once settled and the sessions it counted as served since
     * {@code servedBefore}, then closes the held clients.
     */
    private void afterSessions(ServerJvm server, SimClient[] cs, long servedBefore, StringBuilder report, String key,
                               String refusedLabel) throws IOException {
        long[] end = settled(server);
        line(report, key, end[1] + " registered, " + end[2] + " open connections, " + end[3] + " " + refusedLabel
                + ", " + (end[4] - servedBefore) + " sessions served");
        for (SimClient c : cs) {
            closeQuietly(c.channel);
        }
    }

    /** The accept-write-close baseline. @return connections/s */
    private double baselinePhase(Settings set, StringBuilder report) throws IOException {
        double rate;
        try (ServerJvm base = new ServerJvm("baseline", set.serverOpts(), set.wrapper())) {
            logAddress = new InetSocketAddress("127.0.0.1", base.port1);
            if (set.warmup() > 0) {
                baseline(Math.min(set.baselineCount(), set.warmup()), set.inFlight());
            }
            Cpu cpu = Cpu.start(base);
            rate = baseline(set.baselineCount(), set.inFlight());
            line(report, "baseline.cpu", cpu.per(base, set.baselineCount()));
            line(report, "baseline.busy", cpu.busy(base));
        }
        line(report, "baseline.connections", Integer.toString(set.baselineCount()));
        line(report, "baseline.accept.write.close.per.s", fmt(rate));
        return rate;
    }

    private void line(StringBuilder report, String key, String value) {
        String l = key + " = " + value;
        log.println(l);
        report.append(l).append('\n');
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** @return the soft open-files limit of this process, or -1 if unknown */
    private static long fdLimit() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (l.startsWith("Max open files")) {
                    return Long.parseLong(l.substring(25).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no cap
        }
        return -1;
    }
}
