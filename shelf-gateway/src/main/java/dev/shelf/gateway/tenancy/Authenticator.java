package dev.shelf.gateway.tenancy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns a presented key into a {@link Principal}: the master key, keys from {@code shelf.yaml},
 * then stored keys by hash. Stored keys and their teams are cached for {@code ttlMs} (a second by
 * default), which is how a key created, revoked or re-limited on one node takes effect on every
 * node sharing the database within a second, without a database read per request. Unknown hashes
 * are cached too (briefly), so a flood of bad keys does not become a flood of queries.
 */
public final class Authenticator {
  private record Entry(@Nullable Principal principal, long loadedMs) {}

  private final @Nullable String masterHash;
  private final Map<String, Principal> fileKeys = new HashMap<>();
  private final @Nullable TenancyStore store;
  private final long ttlMs;
  private final LongSupplier clock;
  private final Map<String, Entry> cache = new ConcurrentHashMap<>();

  public Authenticator(
      @Nullable String masterKey,
      Map<String, FileKey> fileKeys,
      @Nullable TenancyStore store,
      long ttlMs,
      LongSupplier clock) {
    this.masterHash = masterKey == null ? null : KeySecrets.hash(masterKey);
    fileKeys.forEach(
        (secret, k) ->
            this.fileKeys.put(KeySecrets.hash(secret), Principal.fileKey(k.name(), k.models())));
    this.store = store;
    this.ttlMs = ttlMs;
    this.clock = clock;
  }

  /** A key declared in the file, by its secret. */
  public record FileKey(String name, List<String> models) {}

  /** Whether the node runs without keys (no master key, no file keys, no stored keys at start). */
  public boolean noKeysConfigured() {
    return masterHash == null && fileKeys.isEmpty() && (store == null || !store.anyActiveKey());
  }

  /** The principal for a key, or empty when the key is unknown, revoked or expired. */
  public Optional<Principal> authenticate(String secret) {
    String hash = KeySecrets.hash(secret);
    if (hash.equals(masterHash)) {
      return Optional.of(Principal.MASTER);
    }
    Principal p = fileKeys.get(hash);
    if (p != null) {
      return Optional.of(p);
    }
    if (store == null) {
      return Optional.empty();
    }
    long now = clock.getAsLong();
    Entry e = cache.get(hash);
    if (e == null || now - e.loadedMs >= ttlMs) {
      e = new Entry(load(hash), now);
      if (cache.size() > 100_000) {
        cache.clear(); // bounded: a scan of random keys cannot grow it without end
      }
      cache.put(hash, e);
    }
    Principal found = e.principal;
    if (found == null || found.key() == null || !found.key().activeAt(now)) {
      return Optional.empty();
    }
    return Optional.of(found);
  }

  /** Forgets cached keys (after an admin change on this node, so it applies at once here). */
  public void invalidate() {
    cache.clear();
  }

  private @Nullable Principal load(String hash) {
    TenancyStore s = store;
    if (s == null) {
      return null;
    }
    Optional<ApiKey> k = s.keyByHash(hash);
    if (k.isEmpty()) {
      return null;
    }
    Team team = s.team(k.get().teamId()).orElse(null);
    return Principal.stored(k.get(), team);
  }
}
