package io.xstunt.engine.loop;

import java.nio.channels.SelectionKey;

/** What the loop calls when a registered channel is ready. Runs on the loop thread. */
public interface IoHandler {
    /**
     * The channel of {@code key} is ready for {@code key.readyOps()}.
     * Must not block. An exception thrown here is logged and passed to {@link #onFailure}.
     */
    void onReady(SelectionKey key);

    /** The handler threw or the loop is closing; the handler releases its channel. */
    void onFailure(Throwable cause);
}
