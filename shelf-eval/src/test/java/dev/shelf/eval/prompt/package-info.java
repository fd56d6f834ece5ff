/** Tests. */
@NullMarked
package dev.shelf.eval.prompt;

import org.jspecify.annotations.NullMarked;
