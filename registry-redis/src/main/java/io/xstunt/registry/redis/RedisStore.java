package io.xstunt.registry.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
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
 * The registry's Redis (one Redis, the primary a Sentinel names, or a Cluster: {@link
 * RedisSettings.Topology}): two Lettuce connections (commands, and the server's sharded pub/sub
 * channel; on a Cluster each routes to the nodes by slot) on Lettuce's own I/O threads, every command asynchronous, every answer handed back to
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
    /** A {@link RedisClient} (one Redis, or the primary a Sentinel names) or a {@link RedisClusterClient}. */
    private final AbstractRedisClient client;
    private volatile StatefulConnection<String, String> commands;
    /** The commands of {@link #commands}: a Cluster connection's route each to its key's node. */
    private volatile RedisClusterAsyncCommands<String, String> async;
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
        if (settings.topology() == RedisSettings.Topology.CLUSTER) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, settings.nodes());
            cluster.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    // not REJECT_COMMANDS: the connection to each node is opened by the first command
                    // for it, which would be refused; a command waits at most the command timeout
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                    // a failover moves slots to a promoted replica: a MOVED answer or a lost node
                    // fetches the topology again at once, and every 10 s in any case
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                            .enablePeriodicRefresh(Duration.ofSeconds(10))
                            .build())
                    .build());
            this.client = cluster;
            // a failover moves the channel's slot to a promoted replica, and a sharded subscription
            // stays with the dead node: subscribe it again where the new topology puts it
            resources.eventBus().get().filter(e -> e instanceof ClusterTopologyChangedEvent)
                    .subscribe(e -> channelMayHaveMoved());
        } else {
            // a Sentinel URI: Lettuce asks the Sentinels for the current primary at each (re)connect
            RedisClient single = RedisClient.create(resources, settings.nodes().get(0));
            single.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    // while Redis is away a command fails at once (the registry answers from its own
                    // records) instead of waiting in a queue for a reconnect that may never come
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                    .build());
            this.client = single;
        }
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress socketAddress) {
                if (!ours(connection)) {
                    return;
                }
                if (commands != null && pubsub != null) {
                    // a reconnect: Lettuce subscribed the channel again before this
                    toLoop(events::up);
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (!closed && ours(connection)) {
                    toLoop(() -> events.down("connection to " + settings.redisUri() + " lost"));
                }
            }
        });
    }

    /**
     * Whether a connection event is of the store's own connections: a Cluster client also reports
     * each node's connection and the short ones that read the topology, which come and go by
     * themselves (there a lost node shows as failing commands, and the registry's PING finds it back).
     */
    private boolean ours(RedisChannelHandler<?, ?> connection) {
        return connection == commands || connection == pubsub;
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
        CompletableFuture<? extends StatefulRedisPubSubConnection<String, String>> subscribing;
        if (client instanceof RedisClusterClient cluster) {
            // its asynchronous connect needs the topology first (the blocking connect() loads it itself)
            subscribing = cluster.refreshPartitionsAsync().toCompletableFuture()
                    .thenCompose(v -> cluster.connectAsync(StringCodec.UTF8)).thenCompose(c -> {
                opened(c, c.async());
                return cluster.connectPubSubAsync(StringCodec.UTF8);
            });
        } else {
            RedisClient single = (RedisClient) client;
            RedisURI uri = settings.nodes().get(0);
            subscribing = single.connectAsync(StringCodec.UTF8, uri).toCompletableFuture().thenCompose(c -> {
                opened(c, c.async());
                return single.connectPubSubAsync(StringCodec.UTF8, uri).toCompletableFuture();
            });
        }
        subscribing
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
                    return subscribe(p);
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

    /**
     * SSUBSCRIBEs this server's channel: on one Redis, on the pub/sub connection; on a Cluster, on
     * the connection to the primary that owns the channel's slot now (a sharded channel lives there
     * alone; its messages reach the cluster pub/sub connection's listener through node message
     * propagation). A Cluster failover moves the slot: {@link #resubscribe} after the store was down.
     */
    private CompletableFuture<?> subscribe(StatefulRedisPubSubConnection<String, String> p) {
        if (p instanceof StatefulRedisClusterPubSubConnection<String, String> cp) {
            cp.setNodeMessagePropagation(true);
            RedisClusterNode owner = cp.getPartitions().getMasterBySlot(SlotHash.getSlot(channel));
            if (owner == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("no node of the Cluster serves the"
                        + " slot of " + channel));
            }
            return cp.getConnectionAsync(owner.getNodeId())
                    .thenCompose(node -> node.async().ssubscribe(channel).toCompletableFuture());
        }
        return p.async().ssubscribe(channel).toCompletableFuture();
    }

    /**
     * Subscribes the channel again where it lives now, before the registry serves from Redis again:
     * a Cluster's slot may have moved to a promoted replica while the store was down; on one Redis
     * the commands connection may be back before Lettuce subscribed the pub/sub one again (a repeated
     * SSUBSCRIBE changes nothing, a refused one means not back yet). Sent from one of Lettuce's
     * threads, not the loop: the pub/sub connection's write lock may be held by Lettuce's own
     * resubscription at that moment. {@code done} hears how it went, on the loop.
     */
    void resubscribe(Consumer<Throwable> done) {
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        if (p == null || closed || closing) {
            toLoop(() -> done.accept(new IllegalStateException("not connected to " + settings.redisUri())));
            return;
        }
        CompletableFuture.supplyAsync(() -> subscribe(p), resources.eventExecutorGroup())
                .thenCompose(f -> f)
                .whenComplete((v, e) -> toLoop(() -> done.accept(e)));
    }

    /**
     * The Cluster's topology changed (Lettuce's event, on one of its threads): SSUBSCRIBE the
     * channel on its slot's primary now. Found by ClusterFailoverTest: without it a server whose
     * channel lived on a primary that died heard no other server's message after the failover,
     * and, its commands never failing, never went through the rejoin that subscribes again. If it
     * fails, the store is down, and the rejoin subscribes again once Redis answers.
     */
    private void channelMayHaveMoved() {
        if (pubsub == null || commands == null || closed || closing) {
            return;
        }
        resubscribe(e -> {
            if (e != null) {
                events.down("the channel " + channel + " could not be subscribed where the new topology puts it: "
                        + cause(e));
            }
        });
    }

    private void opened(StatefulConnection<String, String> c, RedisClusterAsyncCommands<String, String> a) {
        async = a;
        commands = c;
    }

    private void closeConnections() {
        StatefulConnection<String, String> c = commands;
        StatefulRedisPubSubConnection<String, String> p = pubsub;
        commands = null;
        async = null;
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
    <T> void call(Function<RedisClusterAsyncCommands<String, String>, RedisFuture<T>> command,
            BiConsumer<T, Throwable> done) {
        RedisClusterAsyncCommands<String, String> c = async;
        if (c == null || closed || closing) {
            toLoop(() -> done.accept(null, new IllegalStateException("not connected to " + settings.redisUri())));
            return;
        }
        long start = System.nanoTime();
        CompletableFuture<T> f;
        try {
            f = command.apply(c).toCompletableFuture();
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
