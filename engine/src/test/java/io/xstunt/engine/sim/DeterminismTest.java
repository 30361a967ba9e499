package io.xstunt.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.net.Connection;
import io.xstunt.engine.net.SocketSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A seed replays a run exactly, and a run costs little real time: no real waits anywhere. */
@Timeout(10)
class DeterminismTest {
    @Test
    void theSameSeedGivesTheSameTraceAndAnotherSeedAnotherOne() throws IOException {
        List<String> first = punchTrace(5);
        assertFalse(first.isEmpty());
        assertEquals(first, punchTrace(5));
        assertNotEquals(first, punchTrace(6));
    }

    @Test
    void hundredsOfHandshakesThroughANatTakeLittleRealTime() throws IOException {
        long start = System.nanoTime();
        NatLab lab = NatLab.builder().delay(Duration.ofMillis(10)).loss(1).build();
        EchoService echo = EchoService.echoOn(lab.srv(), 7);
        List<Recorder> clients = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            Recorder r = Recorder.connect(lab.h1(), SocketSpec.DEFAULTS, echo.address());
            Connection c = r.connection();
            c.send(ByteBuffer.wrap(new byte[100]));
            clients.add(r);
        }
        Duration virtual = lab.net().runUntil("500 echoes",
                () -> clients.stream().allMatch(r -> r.text().length() == 100), Duration.ofSeconds(60));
        long realMs = (System.nanoTime() - start) / 1_000_000;
        System.out.println("500 handshakes and echoes through nat1 (10 ms, 1 % loss): " + virtual.toMillis()
                + " ms virtual, " + realMs + " ms real");
        // a guard against real waits, not a benchmark: it takes about a tenth of this on a loaded machine
        assertTrue(realMs < 5000, realMs + " ms of real time");
    }

    @Test
    void nothingInThisPackageWaitsInRealTime() throws IOException {
        Path dir = Path.of("src/test/java/io/xstunt/engine/sim");
        assertTrue(Files.isDirectory(dir), "run from the engine module: " + dir.toAbsolutePath());
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                for (String sleep : List.of("Thread" + ".sleep", "Time" + "Unit", "LockSupport" + ".park", ".wait" + "(")) {
                    if (text.contains(sleep)) {
                        offenders.add(f.getFileName() + ": " + sleep);
                    }
                }
            }
        }
        assertEquals(List.of(), offenders);
    }

    private static List<String> punchTrace(long seed) throws IOException {
        NatLab lab = NatLab.builder().seed(seed).delay(Duration.ofMillis(10)).loss(5).nat2(NatMapping.OFFSET).build();
        lab.net().trace().recordAll();
        SimOpen.run(lab, SimOpen.Variant.SIMULTANEOUS, Duration.ofMillis(30));
        return lab.net().trace().lines();
    }
}
