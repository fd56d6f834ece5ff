package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.gateway.config.ShelfConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Authenticates bearer keys. Keys are held only as SHA-256 hashes, looked up by hash, so a key is
 * never compared character by character nor kept in memory in the clear after start-up.
 */
final class Keys {
  /** Who is calling: a key's name and the models it may use (empty: all). */
  record Caller(String name, boolean admin, List<String> models) {
    boolean mayUse(String model) {
      return models.isEmpty() || models.contains(model);
    }
  }

  static final Caller ANONYMOUS = new Caller("anonymous", true, List.of());

  private final boolean open;
  private final Map<String, Caller> byHash = new HashMap<>();

  Keys(ShelfConfig.Auth auth) {
    this.open = auth.open();
    if (auth.masterKey() != null) {
      byHash.put(hash(auth.masterKey()), new Caller("master", true, List.of()));
    }
    for (ShelfConfig.StaticKey k : auth.keys()) {
      byHash.put(hash(k.key()), new Caller(k.name(), false, k.models()));
    }
  }

  boolean open() {
    return open;
  }

  Caller authenticate(@Nullable String authorization, @Nullable String apiKeyHeader) {
    if (open) {
      return ANONYMOUS;
    }
    String key = null;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = authorization.substring(7).trim();
    } else if (apiKeyHeader != null) {
      key = apiKeyHeader.trim();
    }
    if (key == null || key.isEmpty()) {
      throw ApiException.unauthorized(
          "You didn't provide an API key. You need to provide your API key in an Authorization"
              + " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    }
    Caller c = byHash.get(hash(key));
    if (c == null) {
      throw ApiException.unauthorized("Incorrect API key provided: " + mask(key) + ".");
    }
    return c;
  }

  static String mask(String key) {
    return key.length() <= 8
        ? "****"
        : key.substring(0, 3) + "****" + key.substring(key.length() - 4);
  }

  static String hash(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
