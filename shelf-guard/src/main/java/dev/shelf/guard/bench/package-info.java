/** A keyword-matching benchmark, run by hand, never in the test phase. */
@NullMarked
package dev.shelf.guard.bench;

import org.jspecify.annotations.NullMarked;
