package io.xstunt.engine.registry;

import io.xstunt.engine.wire.Echo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link Registry.Effects} that records what a registry asks of its server, in order, and passes
 * each effect on to an optional next {@link Registry.Effects} (a test that routes announcements to
 * its procedures). Also records whether an effect ever ran inside another, which a registry must
 * never do.
 */
public final class RecordingEffects implements Registry.Effects {
    /** One effect as the registry asked for it. */
    public sealed interface Effect {
    }

    /** {@link Registry.Effects#disconnect}. */
    public record Disconnect(Holder holder, String reason) implements Effect {
    }

    /** {@link Registry.Effects#abortSession}. */
    public record Abort(SessionRef session, String reason) implements Effect {
    }

    /** {@link Registry.Effects#announce}. */
    public record Announce(Holder holder, Echo announcement) implements Effect {
    }

    private static final Registry.Effects NONE = new Registry.Effects() {
        @Override
        public void disconnect(Holder holder, String reason) {
        }

        @Override
        public void abortSession(SessionRef session, String reason) {
        }

        @Override
        public void announce(Holder holder, Echo announcement, int relayFlags) {
        }

        @Override
        public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
        }

        @Override
        public boolean admitAnnouncement(Holder holder) {
            return true;
        }
    };

    private final List<Effect> seen = new ArrayList<>();
    private Registry.Effects next = NONE;
    private int depth;
    private boolean nested;

    /** Passes every effect on to {@code effects} after recording it. */
    public RecordingEffects passingTo(Registry.Effects effects) {
        this.next = Objects.requireNonNull(effects, "effects");
        return this;
    }

    @Override
    public void disconnect(Holder holder, String reason) {
        record(new Disconnect(holder, reason), () -> next.disconnect(holder, reason));
    }

    @Override
    public void abortSession(SessionRef session, String reason) {
        record(new Abort(session, reason), () -> next.abortSession(session, reason));
    }

    @Override
    public void announce(Holder holder, Echo announcement, int relayFlags) {
        record(new Announce(holder, announcement), () -> next.announce(holder, announcement, relayFlags));
    }

    @Override
    public void announce(Holder holder, Echo announcement, int relayFlags, java.net.InetSocketAddress peerIpv6) {
        record(new Announce(holder, announcement), () -> next.announce(holder, announcement, relayFlags, peerIpv6));
    }

    @Override
    public void relayEnded(Holder holder, io.xstunt.engine.wire.RelayNotice notice) {
        next.relayEnded(holder, notice);
    }

    @Override
    public boolean admitAnnouncement(Holder holder) {
        return next.admitAnnouncement(holder);
    }

    private void record(Effect e, Runnable passOn) {
        nested |= depth > 0;
        seen.add(e);
        depth++;
        try {
            passOn.run();
        } finally {
            depth--;
        }
    }

    /** @return every effect so far, in order */
    public List<Effect> all() {
        return List.copyOf(seen);
    }

    /** @return the announcements {@code holder} was sent, in order */
    public List<Echo> announcementsTo(Holder holder) {
        List<Echo> l = new ArrayList<>();
        for (Effect e : seen) {
            if (e instanceof Announce a && a.holder().equals(holder)) {
                l.add(a.announcement());
            }
        }
        return l;
    }

    /** @return how often {@code holder} was disconnected */
    public int disconnectsOf(Holder holder) {
        return (int) seen.stream().filter(e -> e instanceof Disconnect d && d.holder().equals(holder)).count();
    }

    /** @return the sessions aborted, in order */
    public List<SessionRef> aborts() {
        return seen.stream().filter(e -> e instanceof Abort).map(e -> ((Abort) e).session()).toList();
    }

    /** @return true if an effect ever started while another was running */
    public boolean ranNested() {
        return nested;
    }
}
