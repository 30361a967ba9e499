package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayNotice;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What servers tell each other survives its text form, and a registry URI says what is wrong with it. */
class ServerMessageTest {
    @Test
    void everyKindReadsBackAsSentEvenWithTheSeparatorInAnId() throws Exception {
        String odd = "pe" + ServerMessage.SEP + "er|x";
        ServerMessage[] all = {
            new ServerMessage.Announce(7, new Echo(0x7F000001, 45678, 3, odd, 0xC6336401, Protocol.ROLE_LISTENER), 1,
                    "10.0.0.1:8123/abcdef"),
            new ServerMessage.Announce(8, new Echo(0x7F000001, 45678, 4, odd, 0xC6336401, Protocol.ROLE_INITIATOR), 0,
                    "10.0.0.1:8123/abcdef", new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 40002)),
            new ServerMessage.Disconnect(9, "deregistered" + ServerMessage.SEP + "twice"),
            new ServerMessage.Abort(Integer.MAX_VALUE, "a client left"),
            new ServerMessage.Notice(12, new RelayNotice(5, RelayNotice.End.BYTES_LIMIT, 1L << 40, 3)),
        };
        for (ServerMessage m : all) {
            assertEquals(m, ServerMessage.decode(ServerMessage.encode(m)));
        }
    }

    /** Without the peer's IPv6 endpoint an announcement is the kind that earlier servers read. */
    @Test
    void anAnnouncementWithoutIpv6KeepsItsFormAndOneWithItIsOfItsOwnKind() throws Exception {
        Echo e = new Echo(0x7F000001, 45678, 3, "bob", 0xC6336401, Protocol.ROLE_LISTENER);
        String plain = ServerMessage.encode(new ServerMessage.Announce(7, e, 1, "s"));
        assertEquals(String.join(String.valueOf(ServerMessage.SEP), "A", "7", "2130706433", "45678", "3",
                "-969710591", "83", "1", "s", "bob"), plain);
        String six = ServerMessage.encode(new ServerMessage.Announce(7, e, 1, "s",
                new InetSocketAddress(InetAddress.getByName("2001:db8:0:0::7"), 40002)));
        assertEquals(String.join(String.valueOf(ServerMessage.SEP), "A6", "7", "2130706433", "45678", "3",
                "-969710591", "83", "1", "s", "2001:db8::7 40002", "bob"), six);
        assertThrows(IllegalArgumentException.class,
                () -> ServerMessage.decode(six.replace("2001:db8::7", "10.0.0.1")));
    }

    @Test
    void garbageIsRefusedWithWhatItWas() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerMessage.decode("Z"));
        assertEquals(true, e.getMessage().contains("not a server message: Z"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ServerMessage.decode("A" + ServerMessage.SEP + "x"));
    }

    @Test
    void aRegistryUriIsReadOrRefusedWithItsReason() {
        RedisSettings s = RedisSettings.parse(URI.create("redis://secret@10.0.0.5:6380/2?lease-ms=9000&prefix=lab"));
        assertEquals("redis://secret@10.0.0.5:6380/2", s.redisUri());
        assertEquals(Duration.ofMillis(9000), s.lease());
        assertEquals(Duration.ofSeconds(3), s.refreshEvery());
        assertEquals("lab", s.prefix());
        assertEquals(RedisSettings.DEFAULT_COMMAND_TIMEOUT, s.commandTimeout());
        assertEquals("redis://h:6379", RedisSettings.parse(URI.create("redis://h")).redisUri());
        assertEquals(true, assertThrows(IllegalArgumentException.class,
                () -> RedisSettings.parse(URI.create("redis://h:1?leas-ms=5"))).getMessage().contains("leas-ms"));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis://h:1?lease-ms=5")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis://h:1?lease-ms=x")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis://h:1?prefix=a:b")));
    }

    @Test
    void sentinelAndClusterUrisNameSeveralNodes() {
        RedisSettings s = RedisSettings.parse(URI.create("redis-sentinel://pw@s1:5000,s2,s3:5002/1?lease-ms=900#mymaster"));
        assertEquals(RedisSettings.Topology.SENTINEL, s.topology());
        assertEquals("redis-sentinel://pw@s1:5000,s2:26379,s3:5002/1#mymaster", s.redisUri());
        assertEquals(1, s.nodes().size());
        assertEquals("mymaster", s.nodes().get(0).getSentinelMasterId());
        assertEquals(3, s.nodes().get(0).getSentinels().size());
        assertEquals(26379, s.nodes().get(0).getSentinels().get(1).getPort());
        assertEquals(1, s.nodes().get(0).getDatabase());
        assertEquals(Duration.ofMillis(900), s.lease());

        RedisSettings c = RedisSettings.parse(URI.create("redis-cluster://10.0.0.1:7000,10.0.0.2?prefix=p"));
        assertEquals(RedisSettings.Topology.CLUSTER, c.topology());
        assertEquals("redis-cluster://10.0.0.1:7000,10.0.0.2:6379", c.redisUri());
        assertEquals(2, c.nodes().size());
        assertEquals(7000, c.nodes().get(0).getPort());
        assertEquals("p", c.prefix());

        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RedisSettings.parse(URI.create("redis-sentinel://s1:5000"))).getMessage().contains("#"));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis-cluster://a:1/2")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis://a:1,b:2")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis://a:1#m")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis-cluster://a:x")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("redis-cluster://a:1,,b:2")));
        assertThrows(IllegalArgumentException.class, () -> RedisSettings.parse(URI.create("rediss://a:1")));
    }
}
