package dev.shelf.gateway.tenancy;

import org.jspecify.annotations.Nullable;

/**
 * Rate limits of a key or a team; null means unlimited. {@code rpm}: requests per rolling minute;
 * {@code tpm}: tokens (prompt plus completion) per rolling minute; {@code maxConcurrent}: requests
 * in flight at once.
 */
public record Limits(
    @Nullable Integer rpm, @Nullable Integer tpm, @Nullable Integer maxConcurrent) {
  public static final Limits NONE = new Limits(null, null, null);

  public Limits {
    positive("rpm", rpm);
    positive("tpm", tpm);
    positive("max_concurrent", maxConcurrent);
  }

  private static void positive(String name, @Nullable Integer v) {
    if (v != null && v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1 but was " + v);
    }
  }
}
