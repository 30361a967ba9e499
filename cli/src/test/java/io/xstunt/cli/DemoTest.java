package io.xstunt.cli;

import io.xstunt.testkit.Lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code xstunt demo} (what {@code ./xstunt demo} runs) goes to its end and says what it did. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DemoTest {
    @Test
    void demoRunsTheWholeTraversal() {
        Lines out = new Lines();
        Lines err = new Lines();
        assertEquals(0, XstuntCli.run(new String[] {"demo"}, out.stream(), err.stream()), out.text() + err.text());
        String text = out.text();
        assertTrue(text.contains("[alice] XInit: registered as 127.0.0.11"), text);
        assertTrue(text.contains("[bob]   XInit: registered as 127.0.0.12"), text);
        assertTrue(text.contains("[alice] XConnect to bob: 127.0.0.11:"), text);
        assertTrue(text.contains("[bob]   XListen: connection from alice at 127.0.0.11:"), text);
        assertTrue(text.contains("firstSyn"), "FAST's phases, the default strategy: " + text);
        assertTrue(text.contains("alice -> bob: \"hello bob, this is alice\""), text);
        assertTrue(text.contains("bob -> alice: \"hi alice, bob here: got you\""), text);
        assertTrue(text.contains("demo OK"), text);
    }
}
