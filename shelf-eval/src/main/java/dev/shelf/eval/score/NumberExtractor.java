package dev.shelf.eval.score;

import dev.shelf.eval.dataset.DatasetImporter;
import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * GSM8K answer extraction, the two filters of lm-evaluation-harness's {@code gsm8k} task:
 *
 * <ul>
 *   <li><b>strict-match</b>: the first match of {@code #### (-?[0-9.,]+)}.
 *   <li><b>flexible-extract</b>: the last match of {@code (-?[$0-9.,]{2,})|(-?[0-9]+)} (the last
 *       number-looking run in the response, whatever the format).
 * </ul>
 *
 * The extracted text is compared with the gold number after removing {@code ,} and {@code $} and a
 * trailing {@code .} (the harness's {@code regexes_to_ignore}), then as numbers ({@link
 * BigDecimal#compareTo}), so {@code 18.00} equals {@code 18}; the harness compares the strings and
 * would count that one wrong. Text that is not a number after cleaning is wrong.
 */
public final class NumberExtractor {
  public static final Pattern STRICT = Pattern.compile("#### (-?[0-9.,]+)");
  public static final Pattern FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");

  private NumberExtractor() {}

  public static @Nullable String strict(String response) {
    Matcher m = STRICT.matcher(response);
    return m.find() ? m.group(1) : null;
  }

  public static @Nullable String flexible(String response) {
    Matcher m = FLEXIBLE.matcher(response);
    String last = null;
    while (m.find()) {
      last = m.group(1) != null ? m.group(1) : m.group(2);
    }
    return last;
  }

  /** Whether extracted text equals the gold number after cleaning (see the class comment). */
  public static boolean matches(@Nullable String extracted, BigDecimal gold) {
    if (extracted == null) {
      return false;
    }
    BigDecimal value = DatasetImporter.number(extracted);
    return value != null && value.compareTo(gold) == 0;
  }
}
