/** Deterministic prompt templates per task type, with k-shot exemplars from a dev split. */
@NullMarked
package dev.shelf.eval.prompt;

import org.jspecify.annotations.NullMarked;
