/** Tests. */
@NullMarked
package dev.shelf.eval.arena;

import org.jspecify.annotations.NullMarked;
