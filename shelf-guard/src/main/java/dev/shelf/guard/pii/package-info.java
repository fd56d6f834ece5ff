/**
 * PII detection with validation (check digits, Luhn, address syntax, dates) and reversible
 * redaction to typed placeholders.
 */
@NullMarked
package dev.shelf.guard.pii;

import org.jspecify.annotations.NullMarked;
