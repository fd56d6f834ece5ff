/** A run's results as a self-contained HTML page with inline SVG charts. */
@NullMarked
package dev.shelf.eval.report;

import org.jspecify.annotations.NullMarked;
