/** Tests. */
@NullMarked
package dev.shelf.eval.exec;

import org.jspecify.annotations.NullMarked;
