package dev.shelf.guard.injection;

import java.util.regex.Pattern;

/**
 * One weighted pattern of the scorer. Patterns see the text folded by {@link InjectionScorer}
 * (NFKC, lower case, simplified Chinese, zero-width characters removed, white space collapsed).
 *
 * @param id a stable name reported when it fires, e.g. {@code ignore_instructions}
 * @param weight its contribution in (0, 1]: the chance, on its own, that the input is an attack
 * @param pattern what it looks for (English and Chinese alternatives in one pattern)
 */
public record InjectionSignal(String id, double weight, Pattern pattern) {
  public InjectionSignal {
    if (!(weight > 0 && weight <= 1)) {
      throw new IllegalArgumentException(
          "signal " + id + ": weight must be in (0, 1] but was " + weight);
    }
  }

  /** A signal from a case-sensitive regular expression over folded (lower-case) text. */
  public static InjectionSignal of(String id, double weight, String regex) {
    return new InjectionSignal(id, weight, Pattern.compile(regex));
  }
}
