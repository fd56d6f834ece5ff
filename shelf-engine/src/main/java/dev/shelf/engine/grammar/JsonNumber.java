package dev.shelf.engine.grammar;

import static dev.shelf.engine.grammar.JsonGrammar.CONSUMED;
import static dev.shelf.engine.grammar.JsonGrammar.DONE_RETRY;
import static dev.shelf.engine.grammar.JsonGrammar.MAX_DIGITS;
import static dev.shelf.engine.grammar.JsonGrammar.REJECT;

import java.math.BigDecimal;
import java.math.RoundingMode;
import org.jspecify.annotations.Nullable;

/**
 * A number, by RFC 8259's grammar, of at most {@link JsonGrammar#MAX_DIGITS} digits before the
 * point and as many after it, and three in the exponent; it ends at the first byte that cannot
 * continue it.
 *
 * <p>A bounded one takes a byte only while some number its text may still become lies in range
 * (and, with a {@code multipleOf}, is a multiple of it), compared as exact decimals (an integer's
 * on a step of 1, a number's of {@link JsonGrammar#MAX_DIGITS} places), and a bounded number has no
 * exponent (with one, a prefix could still reach almost any value, and a model can write every
 * value in range without).
 */
final class JsonNumber extends JsonGrammar.Frame {
  private static final int START = 0;
  private static final int MINUS = 1;
  private static final int ZERO = 2;
  private static final int INT = 3;
  private static final int DOT = 4;
  private static final int FRAC = 5;
  private static final int EXP = 6;
  private static final int EXP_SIGN = 7;
  private static final int EXP_DIGITS = 8;

  final boolean integer;

  /** The least and most value; null for none on that side. */
  final @Nullable BigDecimal least;

  final @Nullable BigDecimal most;

  /** What the value must be a whole multiple of; null for anything. */
  final @Nullable BigDecimal multiple;

  /** The step between the values it may take: 1 for an integer, else the smallest decimal. */
  private final BigDecimal step;

  int state = START;
  int digits;
  boolean negative;

  /** The digits so far, as a magnitude (bounded numbers only). */
  BigDecimal decimal = BigDecimal.ZERO;

  /**
   * An integer (or any number) in {@code [least, most]} (null: no bound on that side), a whole
   * multiple of {@code multiple} (null: of anything).
   */
  JsonNumber(
      boolean integer,
      @Nullable BigDecimal least,
      @Nullable BigDecimal most,
      @Nullable BigDecimal multiple) {
    this.integer = integer;
    this.least = least;
    this.most = most;
    this.multiple = multiple;
    this.step = integer ? BigDecimal.ONE : STEP;
  }

  private boolean constrained() {
    return least != null || most != null || multiple != null;
  }

  @Override
  JsonGrammar.Frame copy() {
    JsonNumber n = new JsonNumber(integer, least, most, multiple);
    n.state = state;
    n.digits = digits;
    n.negative = negative;
    n.decimal = decimal;
    return n;
  }

  @Override
  boolean mayEnd() {
    boolean whole = state == ZERO || state == INT || state == FRAC || state == EXP_DIGITS;
    if (!whole || !constrained()) {
      return whole;
    }
    BigDecimal value = negative ? decimal.negate() : decimal;
    return (least == null || value.compareTo(least) >= 0)
        && (most == null || value.compareTo(most) <= 0)
        && (multiple == null || value.remainder(multiple).signum() == 0);
  }

  /**
   * Whether a bounded number may take the next byte, making {@code next} with magnitude {@code m}:
   * the numbers its text may become fill, for a sign, everything of that sign; for a leading zero
   * {@code [0, 1)}; for {@code count} digits before the point, {@code [m 10^j, (m + 1) 10^j)} for
   * each number j of digits still to come; after the point, with {@code count} decimals, {@code [m,
   * m + 10^-count)}.
   */
  private boolean inRange(int next, BigDecimal m, int count, boolean minus) {
    return switch (next) {
      case MINUS -> meets(BigDecimal.ZERO, LIMIT, minus);
      case ZERO -> meets(BigDecimal.ZERO, BigDecimal.ONE.subtract(step), minus);
      case INT -> {
        for (int j = 0; count + j <= MAX_DIGITS; j++) {
          BigDecimal low = m.movePointRight(j);
          if (meets(low, low.add(BigDecimal.ONE.movePointRight(j)).subtract(step), minus)) {
            yield true;
          }
        }
        yield false;
      }
      case DOT -> meets(m, m.add(BigDecimal.ONE).subtract(step), minus);
      case FRAC -> meets(m, m.add(BigDecimal.ONE.movePointLeft(count)).subtract(step), minus);
      default -> false; // no exponent in a bounded number
    };
  }

  /**
   * Whether magnitudes {@code [low, high]}, negative or not, meet the number's range, at a multiple
   * of {@link #multiple} when it has one.
   */
  private boolean meets(BigDecimal low, BigDecimal high, boolean minus) {
    BigDecimal from = minus ? high.negate() : low;
    BigDecimal to = minus ? low.negate() : high;
    if (least != null && least.compareTo(from) > 0) {
      from = least;
    }
    if (most != null && most.compareTo(to) < 0) {
      to = most;
    }
    if (from.compareTo(to) > 0) {
      return false;
    }
    // the least multiple at or above from
    return multiple == null
        || from.divide(multiple, 0, RoundingMode.CEILING).multiply(multiple).compareTo(to) <= 0;
  }

  /** The step between the decimals a number may have, and the largest magnitude it may have. */
  private static final BigDecimal STEP = BigDecimal.ONE.movePointLeft(MAX_DIGITS);

  private static final BigDecimal LIMIT = BigDecimal.TEN.pow(MAX_DIGITS).subtract(STEP);

  @Override
  int accept(int b, JsonGrammar g) {
    boolean digit = b >= '0' && b <= '9';
    int next =
        switch (state) {
          case START -> b == '-' ? MINUS : b == '0' ? ZERO : digit ? INT : -1;
          case MINUS -> b == '0' ? ZERO : digit ? INT : -1;
          case ZERO, INT -> {
            if (digit && state == INT) {
              yield digits < MAX_DIGITS ? INT : -1;
            }
            yield integer ? -1 : b == '.' ? DOT : b == 'e' || b == 'E' ? EXP : -1;
          }
          case DOT -> digit ? FRAC : -1;
          case FRAC -> digit ? (digits < MAX_DIGITS ? FRAC : -1) : b == 'e' || b == 'E' ? EXP : -1;
          case EXP -> b == '+' || b == '-' ? EXP_SIGN : digit ? EXP_DIGITS : -1;
          case EXP_SIGN, EXP_DIGITS -> digit && digits < 3 ? EXP_DIGITS : -1;
          default -> -1;
        };
    if (next >= 0 && constrained()) {
      // the digit's place: the count of digits before the point, or of decimals, with it
      int count = (next == state ? digits : 0) + 1;
      BigDecimal value = BigDecimal.valueOf(b - '0');
      BigDecimal m =
          switch (next) {
            case INT -> decimal.movePointRight(1).add(value);
            case FRAC -> decimal.add(value.movePointLeft(count));
            default -> decimal;
          };
      if (!inRange(next, m, count, negative || next == MINUS)) {
        return mayEnd() ? DONE_RETRY : REJECT;
      }
      decimal = m;
    }
    if (next >= 0) {
      negative |= next == MINUS;
      digits = next == state ? digits + 1 : digit ? 1 : 0;
      state = next;
      return CONSUMED;
    }
    return mayEnd() ? DONE_RETRY : REJECT;
  }
}
