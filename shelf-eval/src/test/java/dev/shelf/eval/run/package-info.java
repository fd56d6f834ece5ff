/** Tests. */
@NullMarked
package dev.shelf.eval.run;

import org.jspecify.annotations.NullMarked;
