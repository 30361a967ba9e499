package io.xstunt.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParentCommand;

/**
 * The commands' options as a table the build writes from the picocli model (their one source: the
 * annotations), so that a well-formed command line runs without picocli. Building picocli's model
 * by reflection over the annotations costs a peer most of its start-up (half a second of CPU on a
 * cold JVM), and picocli's classes, compiled for Java 5, cannot go into the AOT cache.
 *
 * <p>{@link #tryRun} takes the quick way only for what it reads with certainty: every word a known
 * option of the command (as {@code --name value} or {@code --name=value}), no option twice unless it
 * takes a list, every required option given, every value converted by the option's own converter.
 * Anything else (help, version, a typo, a bad value, an option twice, a usage error found after
 * parsing) returns {@code null} before the command did anything, and picocli runs the command line
 * from the start and says what is wrong, as it always did.
 *
 * <p>The table is a resource, {@code options.table}: one line per command ({@code C name class
 * parentField}) followed by its options ({@code O names field type converter split default
 * required}, tab-separated, {@code -} for none; a field in a mixin is {@code mixin.field}).
 */
public final class OptionTable {
    static final String RESOURCE = "options.table";
    private static final String NONE = "-";
    /** Field types an option without a converter may have (anything else keeps a command on picocli). */
    private static final Set<String> PLAIN_TYPES = Set.of("java.lang.String", "java.nio.file.Path", "int",
            "java.lang.Integer", "long", "java.lang.Long", "boolean", "java.lang.Boolean", "java.util.List");

    private OptionTable() {
    }

    /** Thrown by a command started the quick way when it finds a usage error: picocli then runs it. */
    static final class NotQuick extends RuntimeException {
        NotQuick() {
            super(null, null, false, false);
        }
    }

    // ---------------------------------------------------------------- build time

    /**
     * Writes the table (the build runs this at process-classes; it must not exit Maven's JVM).
     *
     * @param args the file to write
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: OptionTable FILE");
        }
        Path file = Path.of(args[0]);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, table(), StandardCharsets.UTF_8);
    }

    /** @return the table of every command whose options it can read without picocli */
    static String table() {
        PrintStream nowhere = new PrintStream(PrintStream.nullOutputStream());
        StringBuilder sb = new StringBuilder();
        CommandLine root = XstuntCli.commandLine(nowhere, nowhere);
        for (String name : XstuntCli.COMMANDS) {
            CommandSpec spec = root.getSubcommands().get(name).getCommandSpec();
            Object command = spec.userObject();
            if (!(command instanceof Callable<?>) || command.getClass().getPackage() != OptionTable.class.getPackage()) {
                continue; // help: picocli's own
            }
            String parent = fieldWith(command.getClass(), ParentCommand.class);
            StringBuilder lines = new StringBuilder();
            lines.append(String.join("\t", "C", name, command.getClass().getName(), parent == null ? NONE : parent))
                    .append('\n');
            boolean plain = true;
            for (OptionSpec o : spec.options()) {
                if (o.usageHelp() || o.versionHelp()) {
                    continue;
                }
                String row = row(spec, o);
                if (row == null) {
                    plain = false;
                    break;
                }
                lines.append(row).append('\n');
            }
            if (plain) {
                sb.append(lines);
            }
        }
        return sb.toString();
    }

    /** @return the option's line, or null if the quick way could not read it as picocli does */
    private static String row(CommandSpec spec, OptionSpec o) {
        // the default as picocli applies it: the command's default provider first, then the annotation's
        String defaultValue = null;
        if (spec.defaultValueProvider() != null) {
            try {
                defaultValue = spec.defaultValueProvider().defaultValue(o);
            } catch (Exception e) {
                return null;
            }
        }
        if (defaultValue == null) {
            defaultValue = o.defaultValue();
        }
        if (!(o.userObject() instanceof Field f) || o.arity().max() > 1 || o.negatable()
                || (defaultValue != null && defaultValue.contains("${"))) {
            return null;
        }
        String path = f.getName();
        for (Map.Entry<String, CommandSpec> m : spec.mixins().entrySet()) {
            if (m.getValue().optionsMap().containsKey(o.longestName())) {
                path = m.getKey() + "." + f.getName();
            }
        }
        ITypeConverter<?>[] converters = o.converters();
        String converter = converters == null || converters.length == 0 ? NONE : converters[0].getClass().getName();
        if (converter.equals(NONE) && !PLAIN_TYPES.contains(f.getType().getName())) {
            return null;
        }
        boolean flag = o.arity().max() == 0;
        String split = o.splitRegex() == null || o.splitRegex().isEmpty() ? NONE : o.splitRegex();
        String def = defaultValue == null ? NONE : defaultValue;
        for (String s : new String[] {o.splitRegex(), defaultValue}) {
            if (s != null && (s.equals(NONE) || s.contains("\t") || s.contains("\n"))) {
                return null; // not writable in the table as it is
            }
        }
        return String.join("\t", "O", String.join(",", o.names()), path, flag ? "flag" : f.getType().getName(),
                converter, split, def, Boolean.toString(o.required()));
    }

    private static String fieldWith(Class<?> c, Class<? extends java.lang.annotation.Annotation> a) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (f.isAnnotationPresent(a)) {
                    return f.getName();
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- run time

    /**
     * One option of a command as the table has it. A class, not a record: it is a map key by
     * identity, and a record's hashCode would bootstrap method handles on the start-up path.
     */
    private static final class Row {
        final String field;
        final String type;
        final String converter;
        final String split;
        final String defaultValue;
        final boolean required;

        Row(String[] c) {
            field = c[2];
            type = c[3];
            converter = c[4];
            split = c[5];
            defaultValue = c[6];
            required = Boolean.parseBoolean(c[7]);
        }

        boolean flag() {
            return type.equals("flag");
        }

        boolean list() {
            return type.equals("java.util.List");
        }
    }

    /**
     * Runs {@code args} the quick way if it can.
     *
     * @return the command's exit code, or null if picocli is to run the command line
     */
    static Integer tryRun(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || readsConfigFile(args)) {
            return null;
        }
        Callable<?> command;
        try (InputStream in = OptionTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return null;
            }
            command = parse(args, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out, err);
        } catch (Exception e) {
            // a converter's refusal or anything unforeseen while reading: picocli reports it as it would have
            return null;
        }
        if (command == null) {
            return null;
        }
        try {
            Object rc = command.call();
            return rc instanceof Integer i ? i : 0;
        } catch (NotQuick e) {
            return null; // a usage error, found before the command did anything
        } catch (Exception e) {
            // as picocli's default handler: the trace on stderr, exit code 1
            e.printStackTrace(err);
            return XstuntCli.EXIT_FAILURE;
        }
    }

    /**
     * @return true if {@code args} name a config file (server --config), which is read against
     *     picocli's model of the command ({@link ServerConfigFile}): picocli builds it
     */
    private static boolean readsConfigFile(String[] args) {
        for (String a : args) {
            if (a.equals("--config") || a.startsWith("--config=")) {
                return true;
            }
        }
        return false;
    }

    /** @return the command {@code args} ask for with its options set, or null if picocli is to read them */
    static Callable<?> parse(String[] args, BufferedReader table, PrintStream out, PrintStream err)
            throws Exception {
        String[] head = null;
        Map<String, Row> rows = new HashMap<>();
        for (String line; (line = table.readLine()) != null; ) {
            String[] c = line.split("\t", -1);
            if (c[0].equals("C")) {
                if (head != null) {
                    break;
                }
                if (c[1].equals(args[0])) {
                    head = c;
                }
            } else if (head != null) {
                Row r = new Row(c);
                for (String n : c[1].split(",")) {
                    rows.put(n, r);
                }
            }
        }
        if (head == null) {
            return null;
        }
        Map<Row, List<String>> given = new IdentityHashMap<>();
        Set<Row> flags = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            int eq = a.indexOf('=');
            String name = eq > 0 ? a.substring(0, eq) : a;
            Row r = rows.get(name);
            if (r == null) {
                return null; // help, version, a typo, a positional word: picocli's
            }
            if (r.flag()) {
                if (eq > 0 || !flags.add(r)) {
                    return null;
                }
                continue;
            }
            String value;
            if (eq > 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
                value = args[++i];
            } else {
                return null;
            }
            if (value.startsWith("-")) {
                return null; // an option's value or an option? picocli decides
            }
            List<String> values = given.computeIfAbsent(r, k -> new ArrayList<>());
            if (!values.isEmpty() && !r.list()) {
                return null; // given twice: picocli says so
            }
            values.add(value);
        }
        Object command = instantiate(Class.forName(head[2]));
        if (!head[3].equals(NONE)) {
            set(command, head[3], new XstuntCli(out, err));
        }
        Set<Row> all = Collections.newSetFromMap(new IdentityHashMap<>());
        all.addAll(rows.values());
        for (Row r : all) {
            if (r.flag()) {
                if (flags.contains(r)) {
                    set(command, r.field, true);
                }
                continue;
            }
            List<String> values = given.get(r);
            if (values == null) {
                if (r.required) {
                    return null;
                }
                if (r.defaultValue.equals(NONE)) {
                    continue;
                }
                values = List.of(r.defaultValue);
            }
            set(command, r.field, convert(r, values));
        }
        return (Callable<?>) command;
    }

    private static Object convert(Row r, List<String> values) throws Exception {
        if (r.list()) {
            List<Object> all = new ArrayList<>();
            for (String v : values) {
                for (String part : r.split.equals(NONE) ? new String[] {v} : v.split(r.split)) {
                    all.add(convertOne(r, part));
                }
            }
            return all;
        }
        return convertOne(r, values.get(0));
    }

    private static Object convertOne(Row r, String v) throws Exception {
        if (!r.converter.equals(NONE)) {
            return ((ITypeConverter<?>) instantiate(Class.forName(r.converter))).convert(v);
        }
        return switch (r.type) {
            case "java.lang.String", "java.util.List" -> v;
            case "java.nio.file.Path" -> Path.of(v);
            case "int", "java.lang.Integer" -> Integer.valueOf(v);
            case "long", "java.lang.Long" -> Long.valueOf(v);
            default -> throw new NotQuick();
        };
    }

    private static Object instantiate(Class<?> c) throws ReflectiveOperationException {
        var ctor = c.getDeclaredConstructor();
        ctor.setAccessible(true);
        return ctor.newInstance();
    }

    /** Sets {@code path} ("field" or "mixin.field") on {@code target}, making the mixin as picocli would. */
    private static void set(Object target, String path, Object value) throws ReflectiveOperationException {
        int dot = path.indexOf('.');
        if (dot > 0) {
            Field m = field(target.getClass(), path.substring(0, dot));
            Object mixin = m.get(target);
            if (mixin == null) {
                mixin = instantiate(m.getType());
                m.set(target, mixin);
            }
            set(mixin, path.substring(dot + 1), value);
            return;
        }
        field(target.getClass(), path).set(target, value);
    }

    private static Field field(Class<?> c, String name) throws NoSuchFieldException {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                Field f = k.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                // declared further up
            }
        }
        throw new NoSuchFieldException(c.getName() + "." + name);
    }
}
