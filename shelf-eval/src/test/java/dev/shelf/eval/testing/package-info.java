/** Tests. */
@NullMarked
package dev.shelf.eval.testing;

import org.jspecify.annotations.NullMarked;
