/**
 * Evaluation of shelf models: datasets, prompts, scoring, metrics and arena ratings (a library; the
 * run executor, API and CLI come later).
 */
@NullMarked
package dev.shelf.eval;

import org.jspecify.annotations.NullMarked;
