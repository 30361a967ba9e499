package io.xstunt.natlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xstunt.natlab.Peer.Event;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How the lab tests read the CLI's {@code --json} lines (jackson-jr): no lab, no root needed.
 * The lines are the CLI's own shapes (README), with integer and decimal numbers and nested objects.
 */
class PeerEventTest {
    @Test
    void readsTheCliEventsWithTheirNumbersAndNestedObjects() throws IOException {
        Event c = new Event(Peer.fields("{\"event\":\"connected\",\"id\":\"alice\",\"remote\":\"203.0.113.1:40179\","
                + "\"phases\":{\"comm\":14.73,\"announce\":0,\"punch\":11.62},\"totalMs\":50.51}"), 0);
        assertEquals(true, c.is("connected"));
        assertEquals("203.0.113.1:40179", c.str("remote"));
        assertEquals(50.51, c.num("totalMs"));
        assertEquals(List.of("comm", "announce", "punch"), List.copyOf(c.obj("phases").keySet()), "in field order");
        assertEquals("comm 14.73 (0.7), announce 0 (0.0), punch 11.62 (0.6)", Results.phases(c.obj("phases"), 20));

        Event s = new Event(Peer.fields("{\"event\":\"session\",\"initiator\":\"c1\",\"relayedBytes\":"
                + "{\"fromInitiator\":22,\"fromListener\":22},\"sessionsInFlight\":0,\"registered\":2}"), 0);
        assertEquals(44, NatLabTest.relayed(s));
        assertEquals(0, (int) s.num("sessionsInFlight"));
        assertThrows(AssertionError.class, () -> s.num("initiator"), "not a number");
        assertEquals(Map.of("fromInitiator", 22, "fromListener", 22), s.obj("relayedBytes"));
    }

    @Test
    void aLineThatIsNotOneJsonObjectIsRefused() {
        for (String line : List.of("server up: ip1 127.0.0.1", "[1, 2]", "{\"event\":", "")) {
            assertThrows(IOException.class, () -> Peer.fields(line), line);
        }
    }
}
