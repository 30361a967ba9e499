package io.xstunt.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.TryCatchBlockNode;

/**
 * A static check for "no {@code synchronized} around anything that may block": reads compiled
 * classes with ASM and reports every call made while a monitor is held (inside a
 * {@code synchronized} method, or between a {@code monitorenter} and its {@code monitorexit}) to a
 * method that may block. A method may block when it calls a blocking JDK method ({@link #BLOCKING}:
 * waits, parks, sleeps, joins, future and lock waits, blocking queues, socket, file and process
 * I/O, DNS) or, through any chain of calls among the scanned classes (overrides included), a
 * method that does.
 *
 * <p>Usage: {@code MonitorScan.of(List.of(MonitorScan.location(SomeClass.class)), name ->
 * name.startsWith("io/xstunt/")).violations()} must be empty (api's NoBlockingUnderMonitorTest
 * scans the engine and the api; a module of its own can scan its classes the same way).
 *
 * <p>Why a static check: on JDK 21 a virtual thread that blocks while holding a monitor pins its
 * carrier, but from JDK 24 on (JEP 491) monitors no longer pin, so a JFR recording on the JDK CI
 * runs (25) cannot see such a block at all. The check reads the code, whatever the JDK.
 *
 * <p>Which instructions hold a monitor is found by following the control flow (jumps, switches,
 * exception handlers) from the method's start, counting {@code monitorenter}/{@code monitorexit},
 * so an early {@code return} inside a block does not end the block for what follows it. Calls
 * through {@code invokedynamic} (a lambda created under a lock does not run there) and into JDK
 * methods that call back into our code are not followed.
 */
public final class MonitorScan {
    /** JDK owner (internal name, or a prefix ending in '/') and the names of its blocking methods; "*" = all. */
    public static final Map<String, Set<String>> BLOCKING = blocking();

    private final Map<String, ClassNode> classes = new TreeMap<>();
    /** method key ("owner.name desc") -> why it may block, for our methods that may. */
    private final Map<String, String> mayBlock = new LinkedHashMap<>();
    private final List<String> violations = new ArrayList<>();

    private MonitorScan() {
    }

    /**
     * Scans every class under {@code roots} (class directories or jars) whose internal name
     * {@code include} accepts.
     */
    public static MonitorScan of(List<Path> roots, Predicate<String> include) {
        MonitorScan s = new MonitorScan();
        for (Path root : roots) {
            s.read(root, include);
        }
        s.analyse();
        return s;
    }

    /** @return where {@code c} was loaded from: its class directory or jar */
    public static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the internal names of the classes scanned */
    public Set<String> classes() {
        return classes.keySet();
    }

    /** @return "Owner.name desc: why" for each scanned method that may block */
    public Map<String, String> mayBlock() {
        return mayBlock;
    }

    /** @return one line per call under a monitor that may block: where, what, and why it blocks */
    public List<String> violations() {
        return violations;
    }

    // ------------------------------------------------------------------ reading

    private void read(Path root, Predicate<String> include) {
        try {
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                        try (InputStream in = Files.newInputStream(f)) {
                            add(in, include);
                        }
                    }
                }
            } else {
                try (JarFile jar = new JarFile(root.toFile())) {
                    for (JarEntry e : jar.stream().filter(e -> e.getName().endsWith(".class")).toList()) {
                        try (InputStream in = jar.getInputStream(e)) {
                            add(in, include);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read classes under " + root, e);
        }
    }

    private void add(InputStream in, Predicate<String> include) throws IOException {
        ClassNode c = new ClassNode();
        new ClassReader(in).accept(c, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        if (include.test(c.name) && !c.name.endsWith("module-info") && !c.name.endsWith("package-info")) {
            classes.put(c.name, c);
        }
    }

    // ------------------------------------------------------------------ analysis

    private record Call(MethodInsnNode insn, boolean underMonitor) {
    }

    private void analyse() {
        Map<String, List<Call>> calls = new HashMap<>();
        for (ClassNode c : classes.values()) {
            for (MethodNode m : c.methods) {
                calls.put(key(c.name, m.name, m.desc), calls(m));
            }
        }
        // fixpoint: blocking JDK calls first, then every caller of a method that may block
        for (Map.Entry<String, List<Call>> e : calls.entrySet()) {
            for (Call call : e.getValue()) {
                if (isBlocking(call.insn) && !mayBlock.containsKey(e.getKey())) {
                    mayBlock.put(e.getKey(), "calls " + show(call.insn));
                }
            }
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Map.Entry<String, List<Call>> e : calls.entrySet()) {
                if (mayBlock.containsKey(e.getKey())) {
                    continue;
                }
                for (Call call : e.getValue()) {
                    String target = blockingTarget(call.insn);
                    if (target != null) {
                        mayBlock.put(e.getKey(), "calls " + show(call.insn) + ", which " + mayBlock.get(target));
                        changed = true;
                        break;
                    }
                }
            }
        }
        for (ClassNode c : classes.values()) {
            for (MethodNode m : c.methods) {
                for (Call call : calls.get(key(c.name, m.name, m.desc))) {
                    if (!call.underMonitor) {
                        continue;
                    }
                    String why = isBlocking(call.insn) ? "blocks" : mayBlock.get(blockingTarget(call.insn));
                    if (why != null) {
                        violations.add(c.name.replace('/', '.') + "." + m.name + m.desc + ": under "
                                + ((m.access & Opcodes.ACC_SYNCHRONIZED) != 0 ? "its synchronized" : "a synchronized block")
                                + ", calls " + show(call.insn) + ", which " + why);
                    }
                }
            }
        }
    }

    /** Every call of {@code m}, each marked with whether a monitor is held at it. */
    private static List<Call> calls(MethodNode m) {
        boolean synchronizedMethod = (m.access & Opcodes.ACC_SYNCHRONIZED) != 0;
        int[] depth = monitorDepths(m);
        List<Call> l = new ArrayList<>();
        AbstractInsnNode[] insns = m.instructions.toArray();
        for (int i = 0; i < insns.length; i++) {
            if (insns[i] instanceof MethodInsnNode call) {
                l.add(new Call(call, synchronizedMethod || depth[i] > 0));
            }
        }
        return l;
    }

    /**
     * @return for each instruction, the number of monitors held when it runs (the most over all
     *     paths; -1 where no path reaches it), following jumps, switches and exception handlers
     */
    static int[] monitorDepths(MethodNode m) {
        AbstractInsnNode[] insns = m.instructions.toArray();
        int[] depth = new int[insns.length];
        Arrays.fill(depth, -1);
        if (insns.length == 0) {
            return depth;
        }
        Deque<Integer> work = new ArrayDeque<>();
        depth[0] = 0;
        work.add(0);
        while (!work.isEmpty()) {
            int i = work.poll();
            int d = depth[i];
            AbstractInsnNode insn = insns[i];
            int after = insn.getOpcode() == Opcodes.MONITORENTER ? d + 1
                    : insn.getOpcode() == Opcodes.MONITOREXIT ? Math.max(0, d - 1) : d;
            List<Integer> next = new ArrayList<>();
            if (insn instanceof JumpInsnNode j) {
                next.add(m.instructions.indexOf(j.label));
                if (insn.getOpcode() != Opcodes.GOTO) {
                    next.add(i + 1);
                }
            } else if (insn instanceof TableSwitchInsnNode t) {
                next.add(m.instructions.indexOf(t.dflt));
                t.labels.forEach(label -> next.add(m.instructions.indexOf(label)));
            } else if (insn instanceof LookupSwitchInsnNode t) {
                next.add(m.instructions.indexOf(t.dflt));
                t.labels.forEach(label -> next.add(m.instructions.indexOf(label)));
            } else if (!ends(insn.getOpcode())) {
                next.add(i + 1);
            }
            for (int n : next) {
                visit(depth, work, n, after);
            }
            for (TryCatchBlockNode t : m.tryCatchBlocks) {
                if (m.instructions.indexOf(t.start) <= i && i < m.instructions.indexOf(t.end)) {
                    visit(depth, work, m.instructions.indexOf(t.handler), d);
                }
            }
        }
        return depth;
    }

    private static void visit(int[] depth, Deque<Integer> work, int n, int d) {
        int capped = Math.min(d, 16);
        if (n < depth.length && depth[n] < capped) {
            depth[n] = capped;
            work.add(n);
        }
    }

    private static boolean ends(int opcode) {
        return opcode == Opcodes.ATHROW || (opcode >= Opcodes.IRETURN && opcode <= Opcodes.RETURN);
    }

    /** @return the key of a scanned method this call may reach that may block, or null */
    private String blockingTarget(MethodInsnNode call) {
        if (!classes.containsKey(call.owner)) {
            return null;
        }
        for (String target : targets(call.owner, call.name, call.desc)) {
            if (mayBlock.containsKey(target)) {
                return target;
            }
        }
        return null;
    }

    /** The scanned methods a call to {@code owner.name desc} may run: inherited or overriding ones. */
    private Set<String> targets(String owner, String name, String desc) {
        Set<String> t = new HashSet<>();
        for (String c = owner; c != null && classes.containsKey(c); c = classes.get(c).superName) {
            if (declares(c, name, desc)) {
                t.add(key(c, name, desc));
                break;
            }
        }
        for (ClassNode c : classes.values()) {
            if (!c.name.equals(owner) && isSubtype(c.name, owner) && declares(c.name, name, desc)) {
                t.add(key(c.name, name, desc));
            }
        }
        return t;
    }

    private boolean declares(String cls, String name, String desc) {
        return classes.get(cls).methods.stream().anyMatch(m -> m.name.equals(name) && m.desc.equals(desc)
                && (m.access & Opcodes.ACC_ABSTRACT) == 0);
    }

    private boolean isSubtype(String cls, String of) {
        ClassNode c = classes.get(cls);
        if (c == null) {
            return false;
        }
        if (of.equals(c.superName) || c.interfaces.contains(of)) {
            return true;
        }
        return isSubtype(c.superName, of) || c.interfaces.stream().anyMatch(i -> isSubtype(i, of));
    }

    static boolean isBlocking(MethodInsnNode call) {
        for (Map.Entry<String, Set<String>> e : BLOCKING.entrySet()) {
            String owner = e.getKey();
            boolean ownerMatches = owner.endsWith("/") ? call.owner.startsWith(owner) && !inMemory(call.owner)
                    : call.owner.equals(owner);
            if (ownerMatches && (e.getValue().contains("*") || e.getValue().contains(call.name)
                    || timed(e.getValue(), call))) {
                return true;
            }
        }
        return false;
    }

    /** "poll(J" in the list: the method only in its form with a timeout (a long among its parameters). */
    private static boolean timed(Set<String> names, MethodInsnNode call) {
        return names.contains(call.name + "(J")
                && Arrays.asList(Type.getArgumentTypes(call.desc)).contains(Type.LONG_TYPE);
    }

    /** java.io classes that only touch memory. */
    private static boolean inMemory(String owner) {
        return owner.startsWith("java/io/ByteArray") || owner.startsWith("java/io/String")
                || owner.startsWith("java/io/CharArray") || owner.equals("java/io/File");
    }

    private static Map<String, Set<String>> blocking() {
        Map<String, Set<String>> b = new LinkedHashMap<>();
        b.put("java/lang/Object", Set.of("wait"));
        b.put("java/lang/Thread", Set.of("sleep", "join"));
        b.put("java/lang/Process", Set.of("waitFor"));
        b.put("java/util/concurrent/locks/LockSupport", Set.of("park", "parkNanos", "parkUntil"));
        for (String f : List.of("Future", "CompletableFuture", "FutureTask", "ForkJoinTask")) {
            b.put("java/util/concurrent/" + f, Set.of("get", "join"));
        }
        b.put("java/util/concurrent/CountDownLatch", Set.of("await"));
        b.put("java/util/concurrent/CyclicBarrier", Set.of("await"));
        b.put("java/util/concurrent/Phaser", Set.of("awaitAdvance", "awaitAdvanceInterruptibly", "arriveAndAwaitAdvance"));
        b.put("java/util/concurrent/Semaphore", Set.of("acquire", "acquireUninterruptibly", "tryAcquire(J"));
        b.put("java/util/concurrent/Exchanger", Set.of("exchange"));
        b.put("java/util/concurrent/ExecutorService", Set.of("awaitTermination", "invokeAll", "invokeAny", "close"));
        b.put("java/util/concurrent/ThreadPoolExecutor", Set.of("awaitTermination", "invokeAll", "invokeAny", "close"));
        b.put("java/util/concurrent/locks/Lock", Set.of("lock", "lockInterruptibly", "tryLock(J"));
        b.put("java/util/concurrent/locks/ReentrantLock", Set.of("lock", "lockInterruptibly", "tryLock(J"));
        b.put("java/util/concurrent/locks/ReentrantReadWriteLock$ReadLock", Set.of("lock", "lockInterruptibly", "tryLock(J"));
        b.put("java/util/concurrent/locks/ReentrantReadWriteLock$WriteLock", Set.of("lock", "lockInterruptibly", "tryLock(J"));
        b.put("java/util/concurrent/locks/StampedLock", Set.of("readLock", "writeLock", "readLockInterruptibly",
                "writeLockInterruptibly", "tryReadLock(J", "tryWriteLock(J"));
        b.put("java/util/concurrent/locks/Condition", Set.of("await", "awaitNanos", "awaitUntil", "awaitUninterruptibly"));
        for (String q : List.of("BlockingQueue", "BlockingDeque", "LinkedBlockingQueue", "LinkedBlockingDeque",
                "ArrayBlockingQueue", "PriorityBlockingQueue", "DelayQueue", "SynchronousQueue", "TransferQueue",
                "LinkedTransferQueue")) {
            b.put("java/util/concurrent/" + q, Set.of("put", "take", "transfer", "putFirst", "putLast", "takeFirst",
                    "takeLast", "poll(J", "offer(J", "pollFirst(J", "pollLast(J", "offerFirst(J", "offerLast(J",
                    "tryTransfer(J"));
        }
        b.put("java/io/", Set.of("read", "readNBytes", "readAllBytes", "readLine", "transferTo", "write", "flush",
                "skip", "skipNBytes", "print", "println", "printf", "format", "append", "close", "sync"));
        b.put("java/nio/file/Files", Set.of("*"));
        b.put("java/nio/channels/SocketChannel", Set.of("read", "write", "connect", "finishConnect", "open"));
        b.put("java/nio/channels/ServerSocketChannel", Set.of("accept"));
        b.put("java/nio/channels/DatagramChannel", Set.of("read", "write", "receive", "send"));
        b.put("java/nio/channels/FileChannel", Set.of("*"));
        b.put("java/nio/channels/Selector", Set.of("select"));
        b.put("java/net/Socket", Set.of("connect"));
        b.put("java/net/ServerSocket", Set.of("accept"));
        b.put("java/net/DatagramSocket", Set.of("receive", "send"));
        b.put("java/net/InetAddress", Set.of("getByName", "getAllByName", "getLocalHost", "getCanonicalHostName",
                "getHostName", "isReachable"));
        return Map.copyOf(b);
    }

    private static String key(String owner, String name, String desc) {
        return owner + "." + name + desc;
    }

    private static String show(MethodInsnNode call) {
        return call.owner.replace('/', '.') + "." + call.name + call.desc;
    }
}
