/**
 * Scoring as the standard harnesses do it: letter extraction, GSM8K number extraction, exact and
 * normalized match, refusal detection.
 */
@NullMarked
package dev.shelf.eval.score;

import org.jspecify.annotations.NullMarked;
