package dev.shelf.gateway.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Makes and hashes secrets. A key is {@code sk-shelf-} and 40 base62 characters (238 bits from
 * {@link SecureRandom}); it is stored as its SHA-256 hash (a fast hash is right here: the input has
 * full entropy, so there is nothing to guess) with its first 12 characters kept for display.
 */
public final class KeySecrets {
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeySecrets() {}

  public static String newKey() {
    return "sk-shelf-" + random(40);
  }

  /** A short random id for rows ({@code prefix_} and 16 base62 characters). */
  public static String newId(String prefix) {
    return prefix + "_" + random(16);
  }

  public static String random(int n) {
    var sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  public static String hash(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What may be shown of a key: its first 12 characters. */
  public static String prefix(String key) {
    return key.length() <= 12 ? key.substring(0, Math.min(3, key.length())) : key.substring(0, 12);
  }

  /** A key for messages and logs: a few characters at each end. */
  public static String mask(String key) {
    return key.length() <= 8
        ? "****"
        : key.substring(0, 3) + "****" + key.substring(key.length() - 4);
  }
}
