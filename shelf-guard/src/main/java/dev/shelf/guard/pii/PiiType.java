package dev.shelf.guard.pii;

/** Kinds of personal data the detector knows, in the order overlapping findings are preferred. */
public enum PiiType {
  /** A mainland resident identity card number (GB 11643-1999), check digit and birth date valid. */
  ID_CARD,
  /** A bank card number: 13 to 19 digits passing the Luhn check. */
  BANK_CARD,
  /** A mainland mobile number: 1[3-9] and nine more digits, optionally +86, 0086 or 86 first. */
  PHONE,
  /** An e-mail address. */
  EMAIL,
  /** An IPv4 or IPv6 address. */
  IP_ADDRESS,
  /** A passport number: China's E/G formats, or a generic letters-and-digits one. */
  PASSPORT;

  /** The placeholder for the {@code n}th distinct value of this type, e.g. {@code [PHONE_1]}. */
  public String placeholder(int n) {
    return "[" + name() + "_" + n + "]";
  }
}
