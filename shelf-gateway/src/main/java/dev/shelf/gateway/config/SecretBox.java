package dev.shelf.gateway.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts provider credentials at rest with AES-256-GCM. Each value gets a fresh 96-bit nonce and
 * is bound to its row by associated data (say {@code provider:deepseek}), so a ciphertext copied to
 * another row does not decrypt. Stored form: base64 of nonce followed by ciphertext and tag.
 *
 * <p>The key comes from {@code SHELF_SECRET_KEY} (base64 of 32 bytes), else the file named by
 * {@code SHELF_SECRET_KEY_FILE}, else {@code secret.key} in the data directory, made on first use
 * readable by its owner only. Nodes sharing a database must share the key; a lost key makes the
 * stored credentials unreadable (they can be entered again), never anything else.
 */
public final class SecretBox {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final SecretKeySpec key;

  public SecretBox(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("the secret key must be 32 bytes but was " + key.length);
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
  }

  /** The key as the environment or the data directory gives it (see the class comment). */
  public static SecretBox fromEnvironment(java.util.Map<String, String> env, Path dataDir) {
    String b64 = env.get("SHELF_SECRET_KEY");
    if (b64 != null && !b64.isBlank()) {
      return new SecretBox(decode(b64.trim(), "SHELF_SECRET_KEY"));
    }
    String file = env.get("SHELF_SECRET_KEY_FILE");
    Path p = file != null && !file.isBlank() ? Path.of(file) : dataDir.resolve("secret.key");
    try {
      if (!Files.exists(p)) {
        if (file != null && !file.isBlank()) {
          throw new IllegalStateException("SHELF_SECRET_KEY_FILE " + p + " does not exist");
        }
        byte[] fresh = new byte[32];
        RANDOM.nextBytes(fresh);
        Files.createDirectories(p.toAbsolutePath().getParent());
        Files.writeString(p, Base64.getEncoder().encodeToString(fresh) + "\n");
        try {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: the directory's own protection applies
        }
      }
      return new SecretBox(decode(Files.readString(p).trim(), p.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the secret key " + p, e);
    }
  }

  private static byte[] decode(String b64, String where) {
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " must be base64 of 32 random bytes", e);
    }
  }

  /**
   * A key for another purpose, derived from this one as HMAC-SHA256(secret key, {@code purpose}):
   * stable across restarts and the same on every node that shares the secret key, yet it reveals
   * nothing of the secret key itself. Each purpose gets its own name (say {@code
   * shelf-aigc-label-v1}).
   */
  public byte[] deriveKey(String purpose) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
      return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  public String seal(String plain, String context) {
    try {
      byte[] nonce = new byte[12];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[nonce.length + sealed.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * Decrypts; throws when the value was altered, moved to another context or sealed by another key.
   */
  public String open(String sealed, String context) {
    try {
      byte[] all = Base64.getDecoder().decode(sealed);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
      c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
      return new String(c.doFinal(all, 12, all.length - 12), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot decrypt the stored secret for " + context + " (wrong SHELF_SECRET_KEY?)", e);
    }
  }
}
