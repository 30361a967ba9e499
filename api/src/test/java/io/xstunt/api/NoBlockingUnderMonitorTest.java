package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.loop.EventLoop;
import io.xstunt.testkit.MonitorScan;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 item 9: no {@code synchronized} block or method in the engine or the API holds its
 * monitor across anything that may block (on JDK 21 that pins a virtual thread's carrier; JDK 24+
 * no longer pins there, so {@link PinningTest}'s recording on CI's JDK 25 cannot see it). A static
 * check of the compiled classes (testkit's {@link MonitorScan}, whose own tests prove that it finds
 * such code), whatever the JDK that runs it; the second test shows it sees the blocking facade's
 * paths, so a monitor around any of them would be reported.
 */
class NoBlockingUnderMonitorTest {
    @Test
    void noMonitorInTheEngineOrTheApiIsHeldAcrossABlockingCall() {
        MonitorScan scan = engineAndApi();
        assertTrue(scan.classes().contains("io/xstunt/engine/loop/EventLoop") && scan.classes().contains(
                "io/xstunt/api/Xstunt") && scan.classes().size() > 50, "scanned the engine and the api: " + scan.classes());
        assertEquals(List.of(), scan.violations(), "synchronized around a call that may block (it pins a virtual"
                + " thread on JDK 21): hold no monitor there (a ReentrantLock, or move the call out of the block)");
    }

    /** The facade's blocking calls are seen as blocking, through every call between them and the wait. */
    @Test
    void theScanSeesTheBlockingFacadesWaits() {
        MonitorScan scan = engineAndApi();
        for (String m : List.of("io/xstunt/api/Xstunt.xInit(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
                        + "Lio/xstunt/api/XstuntOptions;)Lio/xstunt/api/XstuntClient;",
                "io/xstunt/api/Xstunt.xListen(Lio/xstunt/api/XstuntClient;Ljava/time/Duration;)"
                        + "Lio/xstunt/api/XstuntConnection;",
                "io/xstunt/api/Xstunt.xConnect(Lio/xstunt/api/XstuntClient;Ljava/lang/String;Ljava/time/Duration;)"
                        + "Lio/xstunt/api/XstuntConnection;",
                "io/xstunt/api/Xstunt.xDeRegister(Lio/xstunt/api/XstuntClient;)V")) {
            assertTrue(scan.mayBlock().containsKey(m), m + " is not seen as blocking; seen: " + scan.mayBlock().keySet());
        }
    }

    private static MonitorScan engineAndApi() {
        return MonitorScan.of(List.of(MonitorScan.location(EventLoop.class), MonitorScan.location(Xstunt.class)),
                n -> n.startsWith("io/xstunt/"));
    }
}
