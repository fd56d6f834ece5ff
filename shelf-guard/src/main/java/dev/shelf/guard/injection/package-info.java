/** A heuristic prompt-injection and jailbreak scorer for input text. */
@NullMarked
package dev.shelf.guard.injection;

import org.jspecify.annotations.NullMarked;
