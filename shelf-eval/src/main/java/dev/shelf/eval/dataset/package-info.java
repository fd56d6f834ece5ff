/**
 * Typed in-memory datasets and their importers (JSONL, CSV); bad rows are reported with their line,
 * never dropped silently.
 */
@NullMarked
package dev.shelf.eval.dataset;

import org.jspecify.annotations.NullMarked;
