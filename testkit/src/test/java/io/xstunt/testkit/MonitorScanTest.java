package io.xstunt.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MonitorScan} finds every blocking call under a monitor in {@link MonitorFixtures}, and nothing else. */
class MonitorScanTest {
    private static final String FIXTURES = MonitorFixtures.class.getName().replace('.', '/');

    @Test
    void findsEveryBlockingCallUnderAMonitorAndNothingElse() {
        MonitorScan scan = MonitorScan.of(List.of(MonitorScan.location(MonitorFixtures.class)),
                n -> n.startsWith(FIXTURES));
        assertTrue(scan.classes().contains(FIXTURES + "$Blocking"), "nested classes are scanned: " + scan.classes());
        List<String> where = scan.violations().stream().map(v -> v.substring(0, v.indexOf('('))).sorted().toList();
        String p = MonitorFixtures.class.getName() + ".";
        assertEquals(List.of(p + "badBlockCallsSomethingThatSleeps", p + "badBlockedAfterAnEarlyReturn",
                p + "badCallsAnOverrideThatBlocks", p + "badSynchronizedMethodWaits"), where,
                String.join("\n", scan.violations()));
    }

    @Test
    void namesTheChainOfCallsToTheBlockingOne() {
        MonitorScan scan = MonitorScan.of(List.of(MonitorScan.location(MonitorFixtures.class)),
                n -> n.startsWith(FIXTURES));
        String v = scan.violations().stream().filter(s -> s.contains("badBlockCallsSomethingThatSleeps")).findFirst()
                .orElseThrow();
        assertTrue(v.contains("under a synchronized block") && v.contains("helperThatPauses")
                && v.contains("deeperHelper") && v.contains("java.lang.Thread.sleep"), v);
        String m = scan.violations().stream().filter(s -> s.contains("badSynchronizedMethodWaits")).findFirst()
                .orElseThrow();
        assertTrue(m.contains("under its synchronized") && m.contains("CompletableFuture.get"), m);
    }
}
