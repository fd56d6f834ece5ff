/** Tests. */
@NullMarked
package dev.shelf.eval.score;

import org.jspecify.annotations.NullMarked;
