package dev.shelf.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {
  static final byte[] KEY = new byte[32];

  static {
    for (int i = 0; i < 32; i++) {
      KEY[i] = (byte) (i * 7 + 3);
    }
  }

  @Test
  void sealsAndOpensBoundToItsContext() {
    var box = new SecretBox(KEY);
    String sealed = box.seal("sk-live-123", "provider:a");
    assertThat(sealed).doesNotContain("sk-live");
    assertThat(box.seal("sk-live-123", "provider:a"))
        .as("a fresh nonce each time")
        .isNotEqualTo(sealed);
    assertThat(box.open(sealed, "provider:a")).isEqualTo("sk-live-123");
    assertThatThrownBy(() -> box.open(sealed, "provider:b")).hasMessageContaining("provider:b");
  }

  @Test
  void aTamperedValueOrAnotherKeyIsRefused() {
    var box = new SecretBox(KEY);
    byte[] raw = Base64.getDecoder().decode(box.seal("secret", "c"));
    raw[raw.length - 1] ^= 1;
    String tampered = Base64.getEncoder().encodeToString(raw);
    assertThatThrownBy(() -> box.open(tampered, "c")).isInstanceOf(IllegalStateException.class);
    byte[] other = KEY.clone();
    other[0] ^= 1;
    assertThatThrownBy(() -> new SecretBox(other).open(box.seal("secret", "c"), "c"))
        .hasMessageContaining("SHELF_SECRET_KEY");
  }

  @Test
  void derivedKeysAreStablePerPurposeAndUnlikeTheSecretKey() {
    byte[] label = new SecretBox(KEY).deriveKey("shelf-aigc-label-v1");
    assertThat(label).hasSize(32).isNotEqualTo(KEY);
    assertThat(new SecretBox(KEY.clone()).deriveKey("shelf-aigc-label-v1")).isEqualTo(label);
    assertThat(new SecretBox(KEY).deriveKey("another-purpose")).isNotEqualTo(label);
    byte[] other = KEY.clone();
    other[31] ^= 1;
    assertThat(new SecretBox(other).deriveKey("shelf-aigc-label-v1")).isNotEqualTo(label);
  }

  @Test
  void theKeyComesFromTheEnvironmentOrAFileMadeOnce(@TempDir Path dir) throws Exception {
    var env = new SecretBox(KEY);
    var fromEnv =
        SecretBox.fromEnvironment(
            Map.of("SHELF_SECRET_KEY", Base64.getEncoder().encodeToString(KEY)), dir);
    assertThat(fromEnv.open(env.seal("x", "c"), "c")).isEqualTo("x");

    var first = SecretBox.fromEnvironment(Map.of(), dir);
    Path file = dir.resolve("secret.key");
    assertThat(file).exists();
    assertThat(Files.getPosixFilePermissions(file).toString())
        .isEqualTo("[OWNER_READ, OWNER_WRITE]");
    var second = SecretBox.fromEnvironment(Map.of(), dir);
    assertThat(second.open(first.seal("y", "c"), "c")).isEqualTo("y");
    assertThatThrownBy(() -> new SecretBox(new byte[16])).hasMessageContaining("32 bytes");
  }
}
