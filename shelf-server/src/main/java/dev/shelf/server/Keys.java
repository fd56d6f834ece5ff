package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.gateway.config.ShelfConfig;
import dev.shelf.gateway.tenancy.Authenticator;
import dev.shelf.gateway.tenancy.KeySecrets;
import dev.shelf.gateway.tenancy.Principal;
import dev.shelf.gateway.tenancy.TenancyStore;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Reads the presented key ({@code Authorization: Bearer}, or {@code x-api-key} as Anthropic's
 * clients send it) and resolves it through the {@link Authenticator}: master key, keys from the
 * file, stored keys (by SHA-256 hash, cached for a second).
 *
 * <p>Open mode (no master key, no file keys, no stored keys when the node started) lets keyless
 * requests through as {@link Principal#ANONYMOUS}; a valid stored key is still honoured, with its
 * limits, so a newcomer's first key works before any master key is set.
 *
 * <p>Delegated tokens: work the server does for a caller through its own {@code /v1} (evaluation
 * runs, arena battles) authenticates with a random token that stands for the caller's identity,
 * held in memory only, never stored and never valid on another process. The identity is resolved
 * again at every request, so a key revoked while its run goes on stops working for the run too.
 */
final class Keys {
  private static final String DELEGATED_PREFIX = "sk-shelf-delegated-";
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private final Authenticator auth;
  private final boolean open;
  private final Map<String, Supplier<Principal>> delegated = new ConcurrentHashMap<>();

  Keys(ShelfConfig config, @Nullable TenancyStore store) {
    var file = new LinkedHashMap<String, Authenticator.FileKey>();
    for (ShelfConfig.StaticKey k : config.auth().keys()) {
      file.put(k.key(), new Authenticator.FileKey(k.name(), k.models()));
    }
    this.auth =
        new Authenticator(
            config.auth().masterKey(),
            file,
            store,
            config.storage().keyCacheTtl().toMillis(),
            System::currentTimeMillis);
    this.open = auth.noKeysConfigured();
  }

  boolean open() {
    return open;
  }

  /**
   * A new token that authenticates as {@code who} until {@link #withdraw}n; {@code who} may throw
   * an {@link ApiException} (401) when the identity is gone.
   */
  String delegate(Supplier<Principal> who) {
    byte[] b = new byte[24];
    RANDOM.nextBytes(b);
    String token = DELEGATED_PREFIX + HexFormat.of().formatHex(b);
    delegated.put(token, who);
    return token;
  }

  void withdraw(String token) {
    delegated.remove(token);
  }

  /** Forgets cached keys, so an admin change on this node applies here at once. */
  void invalidate() {
    auth.invalidate();
  }

  Principal authenticate(@Nullable String authorization, @Nullable String apiKeyHeader) {
    String key = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = authorization.substring(7).trim();
    } else if (apiKeyHeader != null) {
      key = apiKeyHeader.trim();
    }
    if (key == null || key.isEmpty()) {
      if (open) {
        return Principal.ANONYMOUS;
      }
      throw ApiException.unauthorized(
          "You didn't provide an API key. You need to provide your API key in an Authorization"
              + " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    }
    if (key.startsWith(DELEGATED_PREFIX)) {
      Supplier<Principal> who = delegated.get(key);
      if (who != null) {
        return who.get();
      }
    }
    Optional<Principal> p = auth.authenticate(key);
    if (p.isPresent()) {
      var stored = p.get().key();
      if (stored != null && stored.suspendedAt(System.currentTimeMillis())) {
        throw ApiException.forbidden(
            "key_suspended",
            "This key is suspended until "
                + java.time.Instant.ofEpochMilli(
                    java.util.Objects.requireNonNull(stored.suspendedUntilMs()))
                + " after repeated content-policy violations; an administrator can lift it"
                + " (POST /admin/v1/keys/"
                + stored.id()
                + "/unsuspend).");
      }
      return p.get();
    }
    if (open) {
      return Principal.ANONYMOUS; // SDKs insist on sending some key; in open mode any will do
    }
    throw ApiException.unauthorized("Incorrect API key provided: " + KeySecrets.mask(key) + ".");
  }
}
