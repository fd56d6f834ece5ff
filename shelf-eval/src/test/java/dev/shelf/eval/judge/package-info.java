/** Tests. */
@NullMarked
package dev.shelf.eval.judge;

import org.jspecify.annotations.NullMarked;
