package io.xstunt.registry.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.xstunt.engine.net.Network;
import io.xstunt.engine.registry.RegistryHealth;
import io.xstunt.engine.registry.RegistryListener;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's Redis: two Lettuce connections (commands, and the server's sharded pub/sub
 * channel) on Lettuce's own I/O thread, every command asynchronous, every answer handed back to
 * the server's loop through {@link Network#execute}. Counts what the health and the metrics read
 * (any thread). Lettuce reconnects by itself every {@link #RECONNECT_DELAY}; until the first
 * connection succeeds, {@link #connect} is tried again on the loop's timer by the registry.
 */
final class RedisStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
    /** How soon Lettuce tries again after losing Redis: bounds how long a server stays cut off once Redis is back. */
    static final Duration RECONNECT_DELAY = Duration.ofMillis(500);

    /** What the store tells the registry, on the loop thread. */
    interface Events {
        /** The channel subscription is in place and commands go through (again). */
        void up();

        /** The store cannot be reached ({@code why}). */
        void down(String why);

        /** A message arrived on this server's channel. */
        void message(String text);
    }

    private final RedisSettings settings;
    private final Network network;
    /** This server's channel, known once the registry is attached; written before {@link #connect}. */
    private volatile String channel;
    private volatile Events events;
    private final ClientResources resources;
    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> commands;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean connecting;
    private volatile boolean closed;
    /** Set when the registry closes: commands after its last ones are not sent. */
    private volatile boolean closing;
    private volatile RegistryListener listener;
    private volatile boolean reachable;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong outages = new AtomicLong();
    private volatile long lastLatencyNs;

    /**
     * Creates the Lettuce client and its threads: on the thread that opens the registry (the
     * server's start), not on the loop. Nothing connects before {@link #connect}.
     */
    RedisStore(RedisSettings settings, Network network) {
        this.settings = settings;
        this.network = network;
        // Lettuce's smallest pools: a registry's traffic is small, and the machine's cores belong to the loop
        this.resources = ClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(RECONNECT_DELAY)).build();
        this.client = RedisClient.create(resources, RedisURI.create(settings.redisUri()));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // while Redis is away a command fails at once (the registry answers from its own
                // records) instead of waiting in a queue for a reconnect that may never come
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress socketAddress) {
                if (commands != null && pubsub != null) {
                    // a reconnect: Lettuce subscribed the channel again before this
                    toLoop(events::up);
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (!closed) {
                    toLoop(() -> events.down("connection to " + settings.redisUri() + " lost"));
                }
            }
        });
    }

    /** Where the store's events go, and the channel this server listens on; before the first {@link #connect}. */
    void attach(String serverChannel, Events to) {
        this.channel = serverChannel;
        this.events = to;
    }

    /** Connects both connections and subscribes the channel, in the background; {@link Events} say how it went. */
    void connect() {
        if (connecting || closed || commands != null) {
            return;
        }
        connecting = true;
        RedisURI uri = RedisURI.create(settings.redisUri());
        client.connectAsync(StringCodec.UTF8, uri).toCompletableFuture()
                .thenCompose(c -> {
                    commands = c;
                    return client.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
                })
                .thenCompose(p -> {
                    pubsub = p;
                    p.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void smessage(String ch, String message) {
                            toLoop(() -> events.message(message));
                        }

                        @Override
                        public void message(String ch, String message) {
                            toLoop(() -> events.message(message));
                        }
                    });
                    return p.async().ssubscribe(channel).toCompletableFuture();
                })
                .whenComplete((v, e) -> {
                    connecting = false;
                    if (e != null) {
                        closeConnections();
                        toLoop(() -> events.down("cannot connect to " + settings.redisUri() + ": " + cause(e)));
                    } else if (closed) {
                        closeConnections();
                    } else {
                        toLoop(events::up);
                    }
                });
    }

    private void closeConnections() {
        StatefulRedisConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        commands = null;
        pubsub = null;
        if (c != null) {
            c.closeAsync();
        }
        if (p != null) {
            p.closeAsync();
        }
    }

    /** @return true once both connections exist (Lettuce then reconnects them by itself) */
    boolean connected() {
        return commands != null && pubsub != null;
    }

    /**
     * Runs one command; {@code done} gets its value or its failure on the loop thread. A command
     * that cannot be sent (no connection) fails the same way, at once.
     */
    <T> void call(Function<RedisAsyncCommands<String, String>, RedisFuture<T>> command, BiConsumer<T, Throwable> done) {
        StatefulRedisConnection<String, String> c = commands;
        if (c == null || closed || closing) {
            toLoop(() -> done.accept(null, new IllegalStateException("not connected to " + settings.redisUri())));
            return;
        }
        long start = System.nanoTime();
        CompletableFuture<T> f;
        try {
            f = command.apply(c.async()).toCompletableFuture();
        } catch (RuntimeException e) {
            count(System.nanoTime() - start, true);
            toLoop(() -> done.accept(null, e));
            return;
        }
        f.whenComplete((v, e) -> {
            count(System.nanoTime() - start, e != null);
            toLoop(() -> done.accept(v, e));
        });
    }

    /** Runs {@code script} on key {@code key}; its reply is a list (Lua table). */
    void script(String script, String key, String[] args, BiConsumer<List<Object>, Throwable> done) {
        call(c -> c.<List<Object>>eval(script, ScriptOutputType.MULTI, new String[] {key}, args), done);
    }

    private void count(long latencyNs, boolean failed) {
        if (failed) {
            errors.incrementAndGet();
        } else {
            completed.incrementAndGet();
            lastLatencyNs = latencyNs;
        }
        RegistryListener l = listener;
        if (l != null) {
            try {
                l.command(latencyNs, failed);
            } catch (RuntimeException e) {
                LOG.warn("registry listener failed: {}", e.toString());
            }
        }
    }

    /** The registry's reachability changed (loop thread). */
    void reachable(boolean now, String why) {
        if (reachable == now) {
            return;
        }
        reachable = now;
        if (!now) {
            outages.incrementAndGet();
        }
        RegistryListener l = listener;
        if (l != null) {
            try {
                l.reachability(now, why);
            } catch (RuntimeException e) {
                LOG.warn("registry listener failed: {}", e.toString());
            }
        }
    }

    RegistryHealth health() {
        return new RegistryHealth(true, reachable, completed.get(), errors.get(), lastLatencyNs, outages.get());
    }

    void listen(RegistryListener l) {
        this.listener = l;
    }

    private void toLoop(Runnable r) {
        try {
            network.execute(r);
        } catch (RejectedExecutionException e) {
            // the server's loop is closed without closing its registry (the process is going away):
            // nobody waits for answers any more, so the connections go too
            if (!closed) {
                close(CompletableFuture.completedFuture(null));
            }
        }
    }

    /**
     * Closes both connections and Lettuce's threads once {@code last} (the registry's final
     * commands) completed or after the command timeout; never blocks the caller.
     */
    void close(CompletableFuture<?> last) {
        closing = true;
        last.completeOnTimeout(null, settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    closed = true;
                    closeConnections();
                    client.shutdownAsync(0, 2, TimeUnit.SECONDS)
                            .whenComplete((x, y) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
                });
    }

    private static String cause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t != t.getCause()) {
            t = t.getCause();
        }
        return t.toString();
    }
}
