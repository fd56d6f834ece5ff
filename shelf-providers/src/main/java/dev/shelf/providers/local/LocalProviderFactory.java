package dev.shelf.providers.local;

import dev.shelf.providers.spi.Provider;
import dev.shelf.providers.spi.ProviderFactory;
import dev.shelf.providers.spi.ProviderSpec;
import java.nio.file.Path;

/**
 * Creates {@code local} providers. Options: {@code dir} (where relative model paths are resolved;
 * default the working directory), {@code threads} (the engine's threads for this provider; default
 * the process-wide pool), {@code kv_cache} (a KV cache budget of its own, e.g. {@code 1GiB}, which
 * leaves that much less heap for every local model's scales while the provider is open; default the
 * one every local provider of the process shares, half the heap), {@code kv_wait} (how long a
 * request waits for KV memory, e.g. {@code 30s}), {@code prefix_cache} (finished sequences kept per
 * model for prefix reuse, default 4) and {@code keep_alive} (how long a model that serves no
 * request stays loaded, e.g. {@code 5m}; default {@code forever}: until another model needs the
 * memory); see {@link Memory}.
 */
public final class LocalProviderFactory implements ProviderFactory {
  @Override
  public String type() {
    return "local";
  }

  @Override
  public Provider create(ProviderSpec spec) {
    Object dir = spec.options().get("dir");
    Path base = Path.of(dir == null ? "." : dir.toString()).toAbsolutePath().normalize();
    Object t = spec.options().get("threads");
    int threads = 0;
    if (t != null) {
      try {
        threads = Integer.parseInt(t.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "options.threads must be a positive integer but was '" + t + "'", e);
      }
      if (threads < 1) {
        throw new IllegalArgumentException(
            "options.threads must be a positive integer but was " + threads);
      }
    }
    Memory defaults = Memory.defaults();
    Object kvCache = spec.options().get("kv_cache");
    Object kvWait = spec.options().get("kv_wait");
    var wait = kvWait == null ? defaults.kvWait() : duration("kv_wait", kvWait.toString());
    int prefix = count("prefix_cache", spec.options().get("prefix_cache"), defaults.prefixCache());
    var keepAlive = keepAlive(spec.options().get("keep_alive"));
    // every option is read before the provider's own budget is counted against the heap
    var kv = kvCache == null ? defaults.kv() : Memory.ownKv(bytes("kv_cache", kvCache.toString()));
    var memory =
        new Memory(
            kv,
            wait,
            defaults.physical(),
            defaults.scalesHeapNow(),
            prefix,
            defaults.resident(),
            keepAlive);
    try {
      return new LocalProvider(spec.name(), base, threads, memory);
    } catch (RuntimeException e) {
      Memory.release(kv);
      throw e;
    }
  }

  /** {@code keep_alive}: a duration, or null for {@code forever} (the default). */
  static java.time.@org.jspecify.annotations.Nullable Duration keepAlive(
      @org.jspecify.annotations.Nullable Object value) {
    if (value == null || value.toString().trim().equalsIgnoreCase("forever")) {
      return null;
    }
    return duration("keep_alive", value.toString());
  }

  /** A count of zero or more, {@code fallback} when absent. */
  static int count(String option, @org.jspecify.annotations.Nullable Object value, int fallback) {
    if (value == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.toString().trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        "options." + option + " must be a whole number of 0 or more but was '" + value + "'");
  }

  /** {@code 512MiB}, {@code 2GiB}, {@code 1.5GB}, {@code 65536}: a positive size in bytes. */
  static long bytes(String option, String text) {
    var m =
        java.util.regex.Pattern.compile(
                "(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(|b|kib|kb|k|mib|mb|m|gib|gb|g)\\s*")
            .matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "options." + option + " must be a size such as 512MiB or 2GiB but was '" + text + "'");
    }
    double n = Double.parseDouble(m.group(1));
    long unit =
        switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
          case "kib", "kb", "k" -> 1L << 10;
          case "mib", "mb", "m" -> 1L << 20;
          case "gib", "gb", "g" -> 1L << 30;
          default -> 1;
        };
    long bytes = (long) (n * unit);
    if (bytes < 1) {
      throw new IllegalArgumentException(
          "options." + option + " must be positive but was '" + text + "'");
    }
    return bytes;
  }

  /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 0}: a duration of zero or more. */
  static java.time.Duration duration(String option, String text) {
    var m = java.util.regex.Pattern.compile("\\s*(\\d+)\\s*(ms|s|m|)\\s*").matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "options." + option + " must be a duration such as 30s or 500ms but was '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> java.time.Duration.ofMillis(n);
      case "m" -> java.time.Duration.ofMinutes(n);
      default -> java.time.Duration.ofSeconds(n);
    };
  }
}
