package dev.shelf.store;

import dev.shelf.gateway.limits.Counters;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.function.LongSupplier;

/**
 * {@link Counters} in Redis, shared by every node. Each check-and-add is one Lua script, so it is
 * atomic across nodes; time is Redis's own clock ({@code TIME}), so nodes with skewed clocks still
 * agree on windows. Keys carry the {@code shelf:} prefix; every key expires (windows after 70 s,
 * concurrency slots ten minutes after the last use, so slots held by a node that died come back,
 * budgets a day after their period), so Redis never fills with dead counters.
 *
 * <p>Budgets hold {@code spent} and {@code reserved} in a hash. A period's hash starts from the
 * ledger's sum: the first script call finds the hash missing and answers -1; the caller then reads
 * the ledger and calls again with the seed, which is used only if the hash is still missing, so of
 * two nodes seeding at once the first wins and the second sees its hash. Amounts are integers; Lua
 * compares them as doubles, exact up to 2^53 nano-units (9 million currency units).
 */
public final class RedisCounters implements Counters {
  private static final String WINDOW =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local bucket = tonumber(ARGV[3])
      local b = math.floor(now / bucket)
      local h = redis.call('HGETALL', KEYS[1])
      local sum = 0
      local oldest = b
      for i = 1, #h, 2 do
        local f = tonumber(h[i])
        local c = tonumber(h[i + 1])
        if f <= b - 6 then
          redis.call('HDEL', KEYS[1], h[i])
        else
          sum = sum + c
          if c > 0 and f < oldest then oldest = f end
        end
      end
      local amount = tonumber(ARGV[1])
      local limit = tonumber(ARGV[2])
      if limit < 0 or (sum < limit and sum + amount <= limit) then
        if amount ~= 0 then redis.call('HINCRBY', KEYS[1], tostring(b), amount) end
        redis.call('PEXPIRE', KEYS[1], 70000)
        return 0
      end
      return (oldest + 6) * bucket - now
      """;
  private static final String ACQUIRE =
      """
      local n = tonumber(redis.call('GET', KEYS[1]) or '0')
      if n >= tonumber(ARGV[1]) then return 0 end
      redis.call('INCR', KEYS[1])
      redis.call('PEXPIRE', KEYS[1], 600000)
      return 1
      """;
  private static final String RELEASE =
      """
      local n = redis.call('DECR', KEYS[1])
      if n <= 0 then redis.call('DEL', KEYS[1]) end
      return n
      """;
  private static final String RESERVE =
      """
      if redis.call('EXISTS', KEYS[1]) == 0 then
        if ARGV[3] == '' then return -1 end
        redis.call('HSET', KEYS[1], 'spent', ARGV[3], 'reserved', 0)
        if ARGV[4] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[4]) end
      end
      local spent = tonumber(redis.call('HGET', KEYS[1], 'spent'))
      local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved'))
      local amount = tonumber(ARGV[1])
      local limit = tonumber(ARGV[2])
      if spent + reserved + amount <= limit or (reserved <= 0 and spent < limit) then
        redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
        return 1
      end
      return 0
      """;
  private static final String SETTLE =
      """
      if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
      local r = redis.call('HINCRBY', KEYS[1], 'reserved', -tonumber(ARGV[1]))
      if r < 0 then redis.call('HSET', KEYS[1], 'reserved', 0) end
      redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
      return 1
      """;
  private static final String USED =
      """
      if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
      return tonumber(redis.call('HGET', KEYS[1], 'spent'))
          + tonumber(redis.call('HGET', KEYS[1], 'reserved'))
      """;

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;
  private final String prefix;

  public RedisCounters(String url) {
    this(url, "shelf:");
  }

  /** With a key prefix of its own (tests use one per run). */
  public RedisCounters(String url, String prefix) {
    this.client = RedisClient.create(url);
    this.connection = client.connect();
    this.redis = connection.sync();
    this.prefix = prefix;
  }

  private long eval(String script, String key, String... args) {
    String sha = SHAS.computeIfAbsent(script, s -> redis.scriptLoad(s));
    try {
      return redis.<Long>evalsha(sha, ScriptOutputType.INTEGER, new String[] {prefix + key}, args);
    } catch (RedisNoScriptException e) {
      // the server was restarted or flushed its script cache
      return redis.<Long>eval(script, ScriptOutputType.INTEGER, new String[] {prefix + key}, args);
    }
  }

  private static final java.util.Map<String, String> SHAS =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public long tryWindow(String key, long amount, long limit) {
    return eval(WINDOW, key, Long.toString(amount), Long.toString(limit), Long.toString(BUCKET_MS));
  }

  @Override
  public void addWindow(String key, long amount) {
    eval(WINDOW, key, Long.toString(amount), "-1", Long.toString(BUCKET_MS));
  }

  @Override
  public boolean tryAcquire(String key, int max) {
    return eval(ACQUIRE, key, Integer.toString(max)) == 1;
  }

  @Override
  public void release(String key) {
    eval(RELEASE, key);
  }

  @Override
  public boolean tryReserve(
      String key, long amount, long limit, long expiresAtMs, LongSupplier spentSoFar) {
    String exp = expiresAtMs == Long.MAX_VALUE ? "" : Long.toString(expiresAtMs);
    long r = eval(RESERVE, key, Long.toString(amount), Long.toString(limit), "", exp);
    if (r == -1) {
      long seed = spentSoFar.getAsLong();
      r = eval(RESERVE, key, Long.toString(amount), Long.toString(limit), Long.toString(seed), exp);
    }
    return r == 1;
  }

  @Override
  public void settle(String key, long reserved, long actual, long expiresAtMs) {
    eval(SETTLE, key, Long.toString(reserved), Long.toString(actual));
  }

  @Override
  public long budgetUsed(String key) {
    return eval(USED, key);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
