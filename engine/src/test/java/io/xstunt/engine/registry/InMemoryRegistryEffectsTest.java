package io.xstunt.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When the embedded registry's effects run: after the command's change (and its answer), and never
 * inside another effect, even when an effect's work issues further commands.
 */
class InMemoryRegistryEffectsTest {
    private static final int IP_A = Ipv4.toInt(Ipv4.parse("198.51.100.1"));
    private static final int IP_B = Ipv4.toInt(Ipv4.parse("198.51.100.2"));
    private static final int LOCAL = Ipv4.toInt(Ipv4.parse("10.0.0.7"));
    private static final SessionRef SESSION = new SessionRef(DirectClients.SERVER, 1);

    private final InMemoryRegistry registry = new InMemoryRegistry(100, false);
    private final RecordingEffects effects = new RecordingEffects();
    private final DirectClients clients = new DirectClients(registry);
    private final List<String> events = new ArrayList<>();

    /** Effects that note when they run, and run {@code work} on the first abort. */
    private void attach(Runnable onFirstAbort) {
        registry.attach(DirectClients.SERVER, effects.passingTo(new Registry.Effects() {
            private boolean first = true;

            @Override
            public void disconnect(Holder holder, String reason) {
                events.add("disconnect " + holder.registration() + ", a is " + clients.query("a"));
            }

            @Override
            public void abortSession(SessionRef session, String reason) {
                events.add("abort: " + reason + ", a is " + clients.query("a"));
                if (first) {
                    first = false;
                    onFirstAbort.run();
                    events.add("first abort done");
                }
            }

            @Override
            public void announce(Holder holder, Echo announcement, int relayFlags) {
                events.add("announce " + holder.registration());
            }

            @Override
            public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
            }

            @Override
            public boolean admitAnnouncement(Holder holder) {
                return true;
            }
        }));
    }

    @Test
    void aReplacedHolderIsDisconnectedAfterTheNewClaimIsInPlaceAndAnswered() {
        attach(() -> { });
        clients.probe("a", IP_A, LOCAL);
        Holder again = clients.newHolder();
        registry.claim("a", IP_A, 0L, again, o -> events.add("answer " + o + ", a is " + clients.query("a")));
        assertEquals(List.of("answer REPLACED, a is " + Protocol.CSTATE_PROBE,
                "disconnect 1, a is " + Protocol.CSTATE_PROBE), events);
        registry.reportState("a", again, Protocol.CSTATE_IDLE, LOCAL);
        assertEquals(Protocol.CSTATE_IDLE, clients.query("a"), "the new holder holds it");
    }

    @Test
    void aSessionIsAbortedAfterItsClientIsForgotten() {
        attach(() -> { });
        Holder a = clients.idle("a", IP_A, LOCAL);
        clients.idle("b", IP_B, LOCAL);
        ConnectDecision d = clients.checkConnect("a", "b", IP_A, 0L);
        registry.beginSession(d.source(), d.destination(), SESSION);
        registry.release("a", a);
        assertEquals(List.of("abort: client a disconnected, a is -1", "first abort done"), events);
    }

    @Test
    void aCommandAnEffectIssuesHasItsEffectsRunAfterThatEffectNotInsideIt() {
        Holder[] b = new Holder[1];
        attach(() -> events.add("b deregistered: " + (clients.deregister("b", IP_B, 0L) == null)));
        Holder a = clients.idle("a", IP_A, LOCAL);
        b[0] = clients.idle("b", IP_B, LOCAL);
        ConnectDecision d = clients.checkConnect("a", "b", IP_A, 0L);
        registry.beginSession(d.source(), d.destination(), SESSION);

        registry.release("a", a);
        assertEquals(List.of(
                "abort: client a disconnected, a is -1",
                "b deregistered: true", // answered at once, inside the effect
                "first abort done",
                "abort: client b deregistered, a is -1", // its effects only after the first is done
                "disconnect " + b[0].registration() + ", a is -1"), events);
        assertFalse(effects.ranNested());
        assertEquals(0, clients.count());
    }
}
