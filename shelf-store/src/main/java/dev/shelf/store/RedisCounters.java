package dev.shelf.store;

import dev.shelf.gateway.limits.Counters;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
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

  /**
   * All of an admission in one script. ARGV: the bucket size, then per key five values: kind (slot,
   * window, reserve), a, b, c, d. First every step is checked (a missing budget hash is created
   * from its seed, or answered {i, -2} when the caller sent none); only if all pass are they all
   * taken. Returns {-1, 0}, or {index of the refusing step, retry-after ms or -2}.
   */
  private static final String ADMIT =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local bucket = tonumber(ARGV[1])
      local b = math.floor(now / bucket)
      for i = 1, #KEYS do
        local o = 1 + (i - 1) * 5
        local kind = ARGV[o + 1]
        local k = KEYS[i]
        if kind == 'slot' then
          local n = tonumber(redis.call('GET', k) or '0')
          if n >= tonumber(ARGV[o + 2]) then return {i - 1, 1000} end
        elseif kind == 'window' then
          local h = redis.call('HGETALL', k)
          local sum = 0
          local oldest = b
          for j = 1, #h, 2 do
            local f = tonumber(h[j])
            local c = tonumber(h[j + 1])
            if f <= b - 6 then
              redis.call('HDEL', k, h[j])
            else
              sum = sum + c
              if c > 0 and f < oldest then oldest = f end
            end
          end
          local amount = tonumber(ARGV[o + 2])
          local limit = tonumber(ARGV[o + 3])
          if not (sum < limit and sum + amount <= limit) then
            return {i - 1, (oldest + 6) * bucket - now}
          end
        else
          if redis.call('EXISTS', k) == 0 then
            if ARGV[o + 4] == '' then return {i - 1, -2} end
            redis.call('HSET', k, 'spent', ARGV[o + 4], 'reserved', 0)
            if ARGV[o + 5] ~= '' then redis.call('PEXPIREAT', k, ARGV[o + 5]) end
          end
          local spent = tonumber(redis.call('HGET', k, 'spent'))
          local reserved = tonumber(redis.call('HGET', k, 'reserved'))
          local amount = tonumber(ARGV[o + 2])
          local limit = tonumber(ARGV[o + 3])
          if not (spent + reserved + amount <= limit or (reserved <= 0 and spent < limit)) then
            return {i - 1, 0}
          end
        end
      end
      for i = 1, #KEYS do
        local o = 1 + (i - 1) * 5
        local kind = ARGV[o + 1]
        local k = KEYS[i]
        if kind == 'slot' then
          redis.call('INCR', k)
          redis.call('PEXPIRE', k, 600000)
        elseif kind == 'window' then
          if tonumber(ARGV[o + 2]) ~= 0 then
            redis.call('HINCRBY', k, tostring(b), ARGV[o + 2])
          end
          redis.call('PEXPIRE', k, 70000)
        else
          redis.call('HINCRBY', k, 'reserved', ARGV[o + 2])
        end
      end
      return {-1, 0}
      """;

  /** All of a settlement in one script: per key three values, kind (slot, add, settle), a, b. */
  private static final String RELEASE_ALL =
      """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local b = math.floor(now / tonumber(ARGV[1]))
      for i = 1, #KEYS do
        local o = 1 + (i - 1) * 3
        local kind = ARGV[o + 1]
        local k = KEYS[i]
        if kind == 'slot' then
          local n = redis.call('DECR', k)
          if n <= 0 then redis.call('DEL', k) end
        elseif kind == 'add' then
          redis.call('HINCRBY', k, tostring(b), ARGV[o + 2])
          redis.call('PEXPIRE', k, 70000)
        elseif redis.call('EXISTS', k) == 1 then
          local r = redis.call('HINCRBY', k, 'reserved', -tonumber(ARGV[o + 2]))
          if r < 0 then redis.call('HSET', k, 'reserved', 0) end
          redis.call('HINCRBY', k, 'spent', ARGV[o + 3])
        end
      end
      return 0
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
  public Verdict admit(List<Step> steps) {
    var seeds = new String[steps.size()];
    java.util.Arrays.fill(seeds, "");
    for (int attempt = 0; attempt <= steps.size(); attempt++) {
      var keys = new String[steps.size()];
      var args = new String[1 + 5 * steps.size()];
      args[0] = Long.toString(BUCKET_MS);
      for (int i = 0; i < steps.size(); i++) {
        Step st = steps.get(i);
        keys[i] = prefix + st.key();
        int o = 1 + i * 5;
        switch (st) {
          case Step.Slot sl -> fill(args, o, "slot", Integer.toString(sl.max()), "", "", "");
          case Step.Window w ->
              fill(args, o, "window", Long.toString(w.amount()), Long.toString(w.limit()), "", "");
          case Step.Reserve r ->
              fill(
                  args,
                  o,
                  "reserve",
                  Long.toString(r.amount()),
                  Long.toString(r.limit()),
                  seeds[i],
                  r.expiresAtMs() == Long.MAX_VALUE ? "" : Long.toString(r.expiresAtMs()));
        }
      }
      List<Long> out = evalList(ADMIT, keys, args);
      int refused = out.get(0).intValue();
      long wait = out.get(1);
      if (refused < 0) {
        return Verdict.ADMITTED;
      }
      if (wait == -2 && steps.get(refused) instanceof Step.Reserve r) {
        seeds[refused] = Long.toString(r.spentSoFar().getAsLong()); // a new period: seed, retry
        continue;
      }
      return new Verdict(refused, Math.max(0, wait));
    }
    throw new IllegalStateException("budget counters could not be seeded");
  }

  private static void fill(
      String[] args, int o, String kind, String a, String b, String c, String d) {
    args[o] = kind;
    args[o + 1] = a;
    args[o + 2] = b;
    args[o + 3] = c;
    args[o + 4] = d;
  }

  @Override
  public void release(List<Release> ops) {
    var keys = new String[ops.size()];
    var args = new String[1 + 3 * ops.size()];
    args[0] = Long.toString(BUCKET_MS);
    for (int i = 0; i < ops.size(); i++) {
      int o = 1 + i * 3;
      switch (ops.get(i)) {
        case Release.Slot sl -> {
          keys[i] = prefix + sl.key();
          args[o] = "slot";
          args[o + 1] = "";
          args[o + 2] = "";
        }
        case Release.AddWindow w -> {
          keys[i] = prefix + w.key();
          args[o] = "add";
          args[o + 1] = Long.toString(w.amount());
          args[o + 2] = "";
        }
        case Release.Settle st -> {
          keys[i] = prefix + st.key();
          args[o] = "settle";
          args[o + 1] = Long.toString(st.reserved());
          args[o + 2] = Long.toString(st.actual());
        }
      }
    }
    evalList(RELEASE_ALL, keys, args);
  }

  private List<Long> evalList(String script, String[] keys, String[] args) {
    String sha = SHAS.computeIfAbsent(script, sc -> redis.scriptLoad(sc));
    Object out;
    try {
      out = redis.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    } catch (RedisNoScriptException e) {
      out = redis.eval(script, ScriptOutputType.MULTI, keys, args);
    }
    if (out instanceof List<?> l) {
      var r = new java.util.ArrayList<Long>(l.size());
      for (Object x : l) {
        r.add(((Number) x).longValue());
      }
      return r;
    }
    return List.of(0L);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
