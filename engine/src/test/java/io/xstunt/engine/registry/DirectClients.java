package io.xstunt.engine.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Protocol;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Clients put into a registry directly, without a log connection: each registration gets a
 * {@link Holder} of its own, as a server's log service would number it. For tests of what a
 * registry decides, and of what is decided with it. The registry must answer at once (an
 * {@link InMemoryRegistry}, or a {@link DeferredRegistry}'s store).
 */
public final class DirectClients {
    /** The server name in every holder made here. */
    public static final String SERVER = "test-server";

    private final Registry registry;
    private long nextRegistration = 1;

    public DirectClients(Registry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** @return a holder no registration has used yet */
    public Holder newHolder() {
        return new Holder(SERVER, nextRegistration++);
    }

    /** @return what the registry answered to {@code holder}'s claim of {@code id} from {@code ip} */
    public ClaimOutcome claim(Holder holder, String id, int ip, long token) {
        return answer(a -> registry.claim(id, ip, token, holder, a), "claim of " + id);
    }

    /** Claims {@code id} from {@code ip} for a new holder (ACCEPTED, or the test fails); its state not reported yet. */
    public Holder pending(String id, int ip) {
        return pending(id, ip, 0L);
    }

    /** Like {@link #pending(String, int)} for a registration issued {@code token}. */
    public Holder pending(String id, int ip, long token) {
        Holder h = newHolder();
        assertEquals(ClaimOutcome.ACCEPTED, claim(h, id, ip, token), id + " claimed");
        return h;
    }

    /** Registers {@code id} from {@code ip} as IDLE with local IP {@code localIp}. */
    public Holder idle(String id, int ip, int localIp) {
        return idle(id, ip, localIp, 0L);
    }

    /** Like {@link #idle(String, int, int)} for a registration issued {@code token}. */
    public Holder idle(String id, int ip, int localIp, long token) {
        Holder h = pending(id, ip, token);
        registry.reportState(id, h, Protocol.CSTATE_IDLE, localIp);
        return h;
    }

    /** Registers {@code id} from {@code ip} as PROBE (its state reported). */
    public Holder probe(String id, int ip, int localIp) {
        Holder h = pending(id, ip);
        registry.reportState(id, h, Protocol.CSTATE_PROBE, localIp);
        return h;
    }

    /** @return MSG_QUERY's answer for {@code id}: its {@code CSTATE_*}, or -1 */
    public int query(String id) {
        return answer(a -> registry.query(id, a::accept), "query of " + id);
    }

    /** @return the number of IDs registered */
    public int count() {
        return answer(a -> registry.count(a::accept), "count");
    }

    /** @return the decision on MSG_CONNECT {@code src -> dst} from {@code ip} with {@code token} */
    public ConnectDecision checkConnect(String src, String dst, int ip, long token) {
        return answer(a -> registry.checkConnect(src, dst, ip, token, a), "MSG_CONNECT " + src + " -> " + dst);
    }

    /** @return null if MSG_DEREGISTER of {@code id} from {@code ip} with {@code token} was honoured, else why not */
    public String deregister(String id, int ip, long token) {
        return answer(a -> registry.deregister(id, ip, token, a), "deregistration of " + id);
    }

    /** Runs {@code command} and returns the answer it gave within the call (the test fails otherwise). */
    private static <T> T answer(Consumer<Consumer<T>> command, String what) {
        Object[] box = new Object[1];
        boolean[] answered = {false};
        command.accept(v -> {
            box[0] = v;
            answered[0] = true;
        });
        assertTrue(answered[0], "the registry answers the " + what + " at once");
        @SuppressWarnings("unchecked")
        T t = (T) box[0];
        return t;
    }
}
