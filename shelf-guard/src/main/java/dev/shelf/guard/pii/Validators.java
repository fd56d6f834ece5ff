package dev.shelf.guard.pii;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Set;

/** The checks that separate real identifiers from look-alike digit strings. */
public final class Validators {
  private static final int[] ID_WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  private static final String ID_CHECK = "10X98765432";

  /** First two digits of a resident ID: the province-level division (71, 81-83: TW, HK, MO). */
  private static final Set<Integer> ID_REGIONS =
      Set.of(
          11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
          51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83);

  private Validators() {}

  /** The GB 11643 check character for the first 17 digits of a resident ID number. */
  public static char residentIdCheckChar(CharSequence first17) {
    if (first17.length() < 17) {
      throw new IllegalArgumentException(
          "a resident ID needs 17 digits before its check character but had " + first17.length());
    }
    int sum = 0;
    for (int i = 0; i < 17; i++) {
      char c = first17.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException("not a digit at " + i + ": '" + c + "'");
      }
      sum += (c - '0') * ID_WEIGHTS[i];
    }
    return ID_CHECK.charAt(sum % 11);
  }

  /**
   * Whether an 18-character resident ID number is valid: a known province code, a real birth date
   * between 1900 and {@code today}, and the right check character ({@code x} accepted for {@code
   * X}).
   */
  public static boolean isResidentId(String id, LocalDate today) {
    if (id.length() != 18) {
      return false;
    }
    for (int i = 0; i < 17; i++) {
      if (id.charAt(i) < '0' || id.charAt(i) > '9') {
        return false;
      }
    }
    if (!ID_REGIONS.contains(Integer.parseInt(id.substring(0, 2)))) {
      return false;
    }
    try {
      LocalDate born =
          LocalDate.of(
              Integer.parseInt(id.substring(6, 10)),
              Integer.parseInt(id.substring(10, 12)),
              Integer.parseInt(id.substring(12, 14)));
      if (born.getYear() < 1900 || born.isAfter(today)) {
        return false;
      }
    } catch (DateTimeException e) {
      return false;
    }
    return Character.toUpperCase(id.charAt(17)) == residentIdCheckChar(id);
  }

  /** Whether a digit string passes the Luhn (mod 10) check. */
  public static boolean luhn(CharSequence digits) {
    int sum = 0;
    boolean doubled = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return false;
      }
      if (doubled) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      doubled = !doubled;
    }
    return digits.length() > 0 && sum % 10 == 0;
  }

  /** Whether text is a dotted-quad IPv4 address (no leading zeros, each part at most 255). */
  public static boolean isIpv4(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String part : parts) {
      if (part.isEmpty()
          || part.length() > 3
          || (part.length() > 1 && part.charAt(0) == '0')
          || !part.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(part) > 255) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether text is an IPv6 address in RFC 4291 text form: eight groups of one to four hex digits,
   * or fewer with one {@code ::}, optionally ending in an IPv4 address (which counts as two
   * groups). Zone ids and prefix lengths are not part of the address.
   */
  public static boolean isIpv6(String text) {
    int compressed = text.indexOf("::");
    if (compressed >= 0 && text.indexOf("::", compressed + 1) >= 0) {
      return false;
    }
    int groups;
    if (compressed < 0) {
      groups = countGroups(text, true);
      return groups == 8;
    }
    String head = text.substring(0, compressed);
    String tail = text.substring(compressed + 2);
    int headGroups = head.isEmpty() ? 0 : countGroups(head, false);
    int tailGroups = tail.isEmpty() ? 0 : countGroups(tail, true);
    return headGroups >= 0 && tailGroups >= 0 && headGroups + tailGroups <= 7;
  }

  /** Groups in a colon-separated run, an IPv4 tail counting two; -1 when malformed. */
  private static int countGroups(String run, boolean ipv4TailAllowed) {
    String[] parts = run.split(":", -1);
    int groups = 0;
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (i == parts.length - 1 && ipv4TailAllowed && part.indexOf('.') >= 0) {
        if (!isIpv4(part)) {
          return -1;
        }
        groups += 2;
      } else if (part.isEmpty() || part.length() > 4 || !part.chars().allMatch(Validators::hex)) {
        return -1;
      } else {
        groups++;
      }
    }
    return groups;
  }

  private static boolean hex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /**
   * Whether an address matched by the e-mail pattern is well formed: local part 1-64 characters
   * without a leading, trailing or doubled dot; whole address at most 254.
   */
  public static boolean isEmail(String address) {
    int at = address.lastIndexOf('@');
    if (at <= 0 || at > 64 || address.length() > 254) {
      return false;
    }
    String local = address.substring(0, at);
    return !local.startsWith(".") && !local.endsWith(".") && !local.contains("..");
  }
}
