/** Tests. */
@NullMarked
package dev.shelf.eval.dataset;

import org.jspecify.annotations.NullMarked;
