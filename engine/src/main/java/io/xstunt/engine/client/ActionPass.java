package io.xstunt.engine.client;

import java.util.function.BooleanSupplier;

/**
 * An adapter's "run the procedures' actions until they are quiet" pass. Running an action can
 * feed a procedure again synchronously (a connect that fails at once, a close that completes
 * at once); such a nested call must not start a second pass: its actions are picked up by the
 * pass already running. Loop thread only.
 */
final class ActionPass {
    private boolean running;

    /**
     * Runs {@code step} until it reports no work, unless a pass is running already.
     *
     * @param step runs the queued actions once; true if there were any
     * @return false if this was a nested call (the running pass will do the work)
     */
    boolean run(BooleanSupplier step) {
        if (running) {
            return false;
        }
        running = true;
        try {
            while (step.getAsBoolean()) {
                // until quiet
            }
        } finally {
            running = false;
        }
        return true;
    }
}
