package dev.shelf.guard.pii;

import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds personal data in text. Each detector is a pattern that proposes candidates and a validator
 * that keeps only real ones, so that a random 18-digit string is not an ID number and a random
 * 16-digit one is not a card.
 *
 * <p>Full-width digits, letters and punctuation (common in Chinese input methods) are folded to
 * ASCII before matching; the fold is one char for one char, so spans refer to the text as given.
 * Findings never overlap: where candidates do, the more confident, then the earlier type in {@link
 * PiiType} order, then the longer wins (a valid ID number beats the card number its digits might
 * also pass as).
 *
 * <p>Thread-safe and immutable.
 */
public final class PiiDetector {
  private static final Pattern ID_CARD =
      Pattern.compile("(?<![0-9A-Za-z])\\d{17}[0-9Xx](?![0-9A-Za-z])");
  private static final Pattern PHONE =
      Pattern.compile(
          "(?<![0-9A-Za-z+])(?:(?:\\+|00)?86[ -]?)?(1[3-9]\\d)[ -]?(\\d{4})[ -]?(\\d{4})(?![0-9A-Za-z])");
  private static final Pattern BANK_CARD =
      Pattern.compile("(?<![0-9A-Za-z])\\d(?:[ -]?\\d){12,18}(?![0-9A-Za-z])");
  private static final Pattern EMAIL =
      Pattern.compile(
          "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+"
              + "[A-Za-z]{2,24}(?![A-Za-z0-9-])");
  private static final Pattern IPV4 =
      Pattern.compile("(?<![0-9A-Za-z.])(?:\\d{1,3}\\.){3}\\d{1,3}(?!\\.?[0-9A-Za-z])");
  private static final Pattern IPV6 =
      Pattern.compile(
          "(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f]{1,4})?"
              + "(?![0-9A-Za-z:])");
  private static final Pattern PASSPORT_CN =
      Pattern.compile(
          "(?<![0-9A-Za-z])(?:[EeGg]\\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\\d{7})(?![0-9A-Za-z])");
  private static final Pattern PASSPORT_GENERIC =
      Pattern.compile("(?<![0-9A-Za-z])[A-Z]{1,2}\\d{6,9}(?![0-9A-Za-z])");
  private static final List<String> PASSPORT_CONTEXT =
      List.of("passport", "护照", "護照", "旅行证件", "travel document");
  private static final int CONTEXT_WINDOW = 24;

  private final Set<PiiType> types;
  private final Clock clock;

  private PiiDetector(Set<PiiType> types, Clock clock) {
    this.types = types.isEmpty() ? EnumSet.noneOf(PiiType.class) : EnumSet.copyOf(types);
    this.clock = clock;
  }

  /** A detector for every type. */
  public static PiiDetector all() {
    return new PiiDetector(EnumSet.allOf(PiiType.class), Clock.systemUTC());
  }

  /** A detector for some types. */
  public static PiiDetector of(Set<PiiType> types) {
    return new PiiDetector(types, Clock.systemUTC());
  }

  /** The same detector judging birth dates against another clock (for tests). */
  public PiiDetector withClock(Clock clock) {
    return new PiiDetector(types, clock);
  }

  /** Every finding, by start, non-overlapping. */
  public List<PiiMatch> detect(String text) {
    String folded = foldWidth(text);
    List<PiiMatch> candidates = new ArrayList<>();
    if (types.contains(PiiType.ID_CARD)) {
      LocalDate today = LocalDate.now(clock);
      for (Matcher m = ID_CARD.matcher(folded); m.find(); ) {
        if (Validators.isResidentId(m.group(), today)) {
          candidates.add(match(PiiType.ID_CARD, m, text, Confidence.HIGH));
        }
      }
    }
    if (types.contains(PiiType.BANK_CARD)) {
      for (Matcher m = BANK_CARD.matcher(folded); m.find(); ) {
        String digits = m.group().replace(" ", "").replace("-", "");
        if (digits.length() >= 13
            && digits.length() <= 19
            && Validators.luhn(digits)
            && !digits.chars().allMatch(c -> c == digits.charAt(0))) {
          candidates.add(match(PiiType.BANK_CARD, m, text, Confidence.HIGH));
        }
      }
    }
    if (types.contains(PiiType.PHONE)) {
      for (Matcher m = PHONE.matcher(folded); m.find(); ) {
        candidates.add(match(PiiType.PHONE, m, text, Confidence.HIGH));
      }
    }
    if (types.contains(PiiType.EMAIL)) {
      for (Matcher m = EMAIL.matcher(folded); m.find(); ) {
        if (Validators.isEmail(m.group())) {
          candidates.add(match(PiiType.EMAIL, m, text, Confidence.HIGH));
        }
      }
    }
    if (types.contains(PiiType.IP_ADDRESS)) {
      for (Matcher m = IPV4.matcher(folded); m.find(); ) {
        if (Validators.isIpv4(m.group())) {
          candidates.add(match(PiiType.IP_ADDRESS, m, text, Confidence.HIGH));
        }
      }
      for (Matcher m = IPV6.matcher(folded); m.find(); ) {
        if (plausibleIpv6(m.group()) && Validators.isIpv6(m.group())) {
          candidates.add(match(PiiType.IP_ADDRESS, m, text, Confidence.HIGH));
        }
      }
    }
    if (types.contains(PiiType.PASSPORT)) {
      for (Matcher m = PASSPORT_CN.matcher(folded); m.find(); ) {
        Confidence c = passportContext(folded, m.start()) ? Confidence.HIGH : Confidence.MEDIUM;
        candidates.add(match(PiiType.PASSPORT, m, text, c));
      }
      for (Matcher m = PASSPORT_GENERIC.matcher(folded); m.find(); ) {
        Confidence c = passportContext(folded, m.start()) ? Confidence.MEDIUM : Confidence.LOW;
        candidates.add(match(PiiType.PASSPORT, m, text, c));
      }
    }
    return resolveOverlaps(candidates);
  }

  private static PiiMatch match(PiiType type, Matcher m, String original, Confidence confidence) {
    return new PiiMatch(
        type, m.start(), m.end(), original.substring(m.start(), m.end()), confidence);
  }

  /** Rules out look-alikes the syntax allows: {@code std::c}, {@code ::}, {@code dead::beef}. */
  private static boolean plausibleIpv6(String candidate) {
    int groups = 0;
    boolean digit = false;
    for (String group : candidate.split("[:.]")) {
      if (!group.isEmpty()) {
        groups++;
        digit |= group.chars().anyMatch(Character::isDigit);
      }
    }
    return groups >= 2 && digit;
  }

  private static boolean passportContext(String folded, int start) {
    String before =
        folded.substring(Math.max(0, start - CONTEXT_WINDOW), start).toLowerCase(Locale.ROOT);
    return PASSPORT_CONTEXT.stream().anyMatch(before::contains);
  }

  private static List<PiiMatch> resolveOverlaps(List<PiiMatch> candidates) {
    List<PiiMatch> ranked = new ArrayList<>(candidates);
    ranked.sort(
        Comparator.comparing(PiiMatch::confidence)
            .reversed()
            .thenComparing(PiiMatch::type)
            .thenComparing(m -> m.start() - m.end())
            .thenComparingInt(PiiMatch::start));
    List<PiiMatch> kept = new ArrayList<>();
    for (PiiMatch candidate : ranked) {
      if (kept.stream()
          .noneMatch(k -> k.start() < candidate.end() && candidate.start() < k.end())) {
        kept.add(candidate);
      }
    }
    kept.sort(Comparator.comparingInt(PiiMatch::start));
    return kept;
  }

  /** Full-width ASCII variants and the ideographic space to ASCII, one char for one char. */
  static String foldWidth(String text) {
    char[] chars = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char f = c >= '\uFF01' && c <= '\uFF5E' ? (char) (c - 0xFEE0) : c == '\u3000' ? ' ' : c;
      if (f != c) {
        if (chars == null) {
          chars = text.toCharArray();
        }
        chars[i] = f;
      }
    }
    return chars == null ? text : new String(chars);
  }
}
