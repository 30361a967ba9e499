package io.xstunt.engine.server;

import io.xstunt.engine.wire.Echo;
import java.util.ArrayList;
import java.util.List;

/** A {@link LogEndpoint} that records what the registry asks of it. */
final class RecordingEndpoint implements LogEndpoint {
    final List<Echo> announcements = new ArrayList<>();
    int disconnects;

    @Override
    public void announce(Echo announcement) {
        announcements.add(announcement);
    }

    @Override
    public void disconnect() {
        disconnects++;
    }
}
