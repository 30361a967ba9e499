package io.xstunt.engine.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.xstunt.engine.proc.Outbound.Closing;
import io.xstunt.engine.registry.DirectClients;
import io.xstunt.engine.registry.InMemoryRegistry;
import io.xstunt.engine.registry.RecordingEffects;
import io.xstunt.engine.wire.Ipv4;
import io.xstunt.engine.wire.Msg;
import io.xstunt.engine.wire.WireVariant;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link CommResponder}s driven by hand, the sans-IO way, as the server drives them: each is
 * started and fed on a fake clock ({@link #now}); its {@code Decide} is carried out by a real
 * {@link CommService} over an {@link InMemoryRegistry} ({@code answer -> handleAnswer(answer, now)}),
 * whose effects are recorded in {@link #effects}; its {@link Refused} actions are recorded. What the
 * service needs of the server beyond the registry is a {@link ScriptedServer}. With
 * {@link #withholdDecisions()} the decisions wait for {@link #decide()}, or never come.
 */
final class CommRequests extends HandDriven<CommResponder, CommResponder.Action> {
    /** The IP the control listeners are announced on. */
    static final int CONTROL_IP = Ipv4.toInt(Ipv4.parse("192.0.2.1"));
    /** How long a FAST session waits for its first report (the server's session timeout). */
    static final java.time.Duration FAST_TIMEOUT = java.time.Duration.ofSeconds(30);

    final InMemoryRegistry registry = new InMemoryRegistry(100, false);
    final RecordingEffects effects = new RecordingEffects();
    final DirectClients clients = new DirectClients(registry);
    final ScriptedServer server = new ScriptedServer();
    final CommService service;
    private final long handshakeNs;
    private final Map<CommResponder, Integer> sourceIps = new IdentityHashMap<>();
    private final List<Runnable> withheld = new ArrayList<>();
    private boolean withholding;
    private int decisionsAsked;

    /**
     * @param handshakeNs each responder's bound on the Msg, the decision and the answer's flush
     * @param maxSessions the service's limit of sessions in flight
     * @param perSecond the announcement budget the service names in its messages
     */
    CommRequests(long handshakeNs, int maxSessions, int perSecond) {
        super(0);
        this.handshakeNs = handshakeNs;
        registry.attach(DirectClients.SERVER, effects);
        service = new CommService(DirectClients.SERVER, registry, server, CONTROL_IP, maxSessions, perSecond,
                FAST_TIMEOUT);
    }

    /** A comm connection from {@code sourceIp} was accepted: its responder, started. */
    CommResponder open(int sourceIp) {
        return open(sourceIp, null);
    }

    /**
     * Like {@link #open(int)}, from a source whose registrations on the server are all of
     * {@code expected} (null: none, or of both variants).
     */
    CommResponder open(int sourceIp, WireVariant expected) {
        CommResponder r = drive(new CommResponder(handshakeNs, ServerConfig.DEFAULT_VARIANT_WAIT.toNanos(), expected));
        sourceIps.put(r, sourceIp);
        r.start(now);
        settle(r);
        return r;
    }

    /** The Msg {@code m} arrived whole, as it is encoded (its holder token after the struct, if any). */
    void feed(CommResponder r, Msg m) {
        feed(r, bytes(m));
    }

    /** @return the next buffer the responder queued, or null */
    static ByteBuffer reply(CommResponder r) {
        return r.outbound(0).pollTransmit();
    }

    /**
     * Runs one whole comm connection from {@code sourceIp} that sends {@code m} and checks that it
     * is answered and closed after the answer.
     *
     * @return the INT32 answer, or null for none
     */
    Integer exchange(Msg m, int sourceIp) {
        CommResponder r = open(sourceIp);
        now += 10;
        feed(r, m);
        assertEquals(Closing.AFTER_FLUSH, r.outbound(0).closing(), "closed after any message");
        assertEquals(CommResponder.State.ANSWERED, r.state());
        ByteBuffer reply = reply(r);
        assertNull(reply(r));
        if (reply == null) {
            return null;
        }
        assertEquals(4, reply.remaining());
        return reply.getInt();
    }

    /** From now on the decisions wait for {@link #decide()}. */
    void withholdDecisions() {
        withholding = true;
    }

    /** @return how many decisions the responders asked for */
    int decisionsAsked() {
        return decisionsAsked;
    }

    /** Decides what was withheld, in order; the answers reach their responders at {@link #now}. */
    void decide() {
        List<Runnable> all = List.copyOf(withheld);
        withheld.clear();
        all.forEach(Runnable::run);
    }

    static ByteBuffer bytes(Msg m) {
        ByteBuffer b = ByteBuffer.allocate(m.encodedSize(WireVariant.ID32));
        m.write(b, WireVariant.ID32);
        return b.flip();
    }

    @Override
    protected void carryOut(CommResponder r, CommResponder.Action a) {
        switch (a) {
            case CommResponder.Action.Decide d -> {
                decisionsAsked++;
                Runnable decision = () -> service.handle(d.msg(), sourceIps.get(r), answer -> {
                    r.handleAnswer(answer, now);
                    carryOutActions(r);
                });
                if (withholding) {
                    withheld.add(decision);
                } else {
                    decision.run();
                }
            }
            case Refused f -> throw new AssertionError("recorded by HandDriven");
        }
    }
}
