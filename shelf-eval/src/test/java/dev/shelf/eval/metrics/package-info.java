/** Tests. */
@NullMarked
package dev.shelf.eval.metrics;

import org.jspecify.annotations.NullMarked;
