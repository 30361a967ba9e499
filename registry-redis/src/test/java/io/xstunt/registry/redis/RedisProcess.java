package io.xstunt.registry.redis;

import io.xstunt.testkit.Prerequisite;
import io.xstunt.testkit.RedisServer;
import java.nio.file.Path;

/**
 * The tests' real Redis ({@link RedisServer}). Where redis-server is not installed the tests are
 * skipped with a message, except under CI (env CI set to anything but "" or "false"), where they
 * fail: CI installs it (.ci/run).
 */
final class RedisProcess {
    private RedisProcess() {
    }

    static RedisServer start(Path dir) throws Exception {
        requireInstalled();
        return RedisServer.start(dir);
    }

    /** Skips the test (fails it under CI) unless redis-server and redis-cli are installed. */
    static void requireInstalled() {
        if (RedisServer.binary() == null || io.xstunt.testkit.RedisCluster.cli() == null) {
            Prerequisite.missing("redis-server is not installed (apt-get install redis-server): the shared"
                    + " registry's tests need a real one");
        }
    }
}
