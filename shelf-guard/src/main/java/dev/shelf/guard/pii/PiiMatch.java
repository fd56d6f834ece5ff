package dev.shelf.guard.pii;

/**
 * Personal data found in text.
 *
 * @param type what it is
 * @param start where it starts in the text (a char index)
 * @param end where it ends, exclusive
 * @param value the text as found (separators included)
 * @param confidence how sure the detector is
 */
public record PiiMatch(PiiType type, int start, int end, String value, Confidence confidence) {}
