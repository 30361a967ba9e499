package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * The lab tests' class-level gate. Before the class: {@link Lab#requireLab()} (skips the whole
 * class with the reason where the lab cannot be built, fails it under CI) and, on a skip, a line
 * in {@link #SKIPPED} that {@code ./xstunt test} prints at the end of the run. After the class,
 * only when the lab could be built: {@code lab.sh down} and no lab namespace left behind.
 */
final class NatLabGate implements BeforeAllCallback, AfterAllCallback {
    /** One line per skipped class: {@code <class> <tests>: <reason>}; read by {@code ./xstunt test}. */
    static final Path SKIPPED = Path.of("target", "natlab-skipped.txt");
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NatLabGate.class);

    /** Puts a test class behind the gate. */
    @Target(ElementType.TYPE)
    @Retention(RetentionPolicy.RUNTIME)
    @ExtendWith(NatLabGate.class)
    @interface NatLab {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> cls = context.getRequiredTestClass();
        try {
            Lab.requireLab();
        } catch (TestAbortedException skipped) {
            long tests = Arrays.stream(cls.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(Test.class)).count();
            String reason = Lab.unavailableReason();
            try {
                Files.createDirectories(SKIPPED.getParent());
                Files.writeString(SKIPPED, cls.getSimpleName() + " " + tests + ": " + reason + "\n",
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw skipped;
        }
        context.getStore(NS).put(cls, Boolean.TRUE);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getStore(NS).get(context.getRequiredTestClass()) == null) {
            return; // skipped: there is no lab to take down, and lab.sh needs root
        }
        Lab.down();
        assertEquals(List.of(), Lab.namespaces(), "lab namespaces left behind");
    }
}
