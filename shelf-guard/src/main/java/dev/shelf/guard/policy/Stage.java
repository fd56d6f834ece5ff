package dev.shelf.guard.policy;

import java.util.Locale;

/** Where a rule looks: the request's input or the generated output. */
public enum Stage {
  INPUT,
  OUTPUT;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
