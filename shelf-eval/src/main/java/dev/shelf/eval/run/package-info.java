/**
 * The seam to the model being evaluated: an answerer turns a prompt into a response with its
 * measurements.
 */
@NullMarked
package dev.shelf.eval.run;

import org.jspecify.annotations.NullMarked;
