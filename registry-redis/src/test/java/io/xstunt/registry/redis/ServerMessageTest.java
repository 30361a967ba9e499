package io.xstunt.registry.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xstunt.engine.wire.Echo;
import io.xstunt.engine.wire.Protocol;
import io.xstunt.engine.wire.RelayNotice;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What servers tell each other survives its text form, and a registry URI says what is wrong with it. */
class ServerMessageTest {
    @Test
    void everyKindReadsBackAsSentEvenWithTheSeparatorInAnId() {
        String odd = "pe" + ServerMessage.SEP + "er|x";
        ServerMessage[] all = {
            new ServerMessage.Announce(7, new Echo(0x7F000001, 45678, 3, odd, 0xC6336401, Protocol.ROLE_LISTENER), 1,
                    "10.0.0.1:8123/abcdef"),
            new ServerMessage.Disconnect(9, "deregistered" + ServerMessage.SEP + "twice"),
            new ServerMessage.Abort(Integer.MAX_VALUE, "a client left"),
            new ServerMessage.Notice(12, new RelayNotice(5, RelayNotice.End.BYTES_LIMIT, 1L << 40, 3)),
        };
        for (ServerMessage m : all) {
            assertEquals(m, ServerMessage.decode(ServerMessage.encode(m)));
        }
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
}
